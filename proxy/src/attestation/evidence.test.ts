// The proxy's side of the confidential tier, over the worker channel with the protocol-real test worker:
// every way a rig's evidence can fall short keeps it in the open tier with its own reason, and it stays
// usable there. The quotes are synthetic, for a test root the proxy is given by injection only.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fromBase64, newEd25519KeyPair, signPolicy, tdxReportData, toBase64 } from '@cocoon/shared';
import {
  createSyntheticTdx,
  type PccsEmulator,
  type SyntheticTdx,
  startPccsEmulator,
} from '@cocoon/shared/attestation/testing';
import { QuoteVerifier } from '@phala/dcap-qvl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';
import { startTestWorker, type TestWorker } from '../testing/test-worker';

const bed = useTestBed({ RIG_COOLDOWN_MS: '0' });
const operator = newEd25519KeyPair();
let tdx: SyntheticTdx;
let pccs: PccsEmulator;
let dir: string;
let policyFile: string;

beforeAll(async () => {
  tdx = await createSyntheticTdx();
  pccs = await startPccsEmulator(tdx);
  dir = await mkdtemp(path.join(tmpdir(), 'cocoon-evidence-'));
  policyFile = path.join(dir, 'policy.json');
  const policy = signPolicy(
    {
      version: 1,
      issuedAt: new Date().toISOString(),
      tcbStatuses: ['UpToDate'],
      images: [{ name: 'td', ...tdx.measurements }],
    },
    operator.secretKey,
  );
  await writeFile(policyFile, JSON.stringify(policy));
});
afterAll(async () => {
  await pccs?.close();
  await rm(dir, { recursive: true, force: true });
});

function start(env: Record<string, string> = {}) {
  return bed.start({ ATTESTATION_POLICY_FILE: policyFile, PCCS_URL: pccs.url, ...env });
}

/** The bed's proxy with the test root injected (never through configuration). */
function startWithTestRoot(env: Record<string, string> = {}) {
  return bed.start(
    { ATTESTATION_POLICY_FILE: policyFile, PCCS_URL: pccs.url, ...env },
    { attestation: { verifier: QuoteVerifier.newWithRootCa(tdx.rootCaDer) } },
  );
}

/** A TDX test rig for an owner; its first challenge has arrived when this returns. */
async function tdxRig(proxy: { url: string }, ownerId: number, device: 'cpu' | 'cuda' = 'cpu') {
  const owner = userClient(bed.proxy, ownerId);
  const { rig, token } = await owner.registerRig(`tdx-${ownerId}`);
  const worker = bed.track(startTestWorker({ url: proxy.url, token, tee: 'tdx', device }));
  await worker.rigId;
  return { id: rig.id, worker, owner };
}

function quoteFor(worker: TestWorker, challengeB64: string, opts = {}) {
  const reportData = tdxReportData({
    x25519PublicKey: fromBase64(worker.keys.x25519PublicKey),
    ed25519PublicKey: fromBase64(worker.keys.ed25519PublicKey),
    challenge: fromBase64(challengeB64),
  });
  return toBase64(tdx.quote(reportData, opts));
}

async function trustOf(owner: ReturnType<typeof userClient>, rigId: string, since = '') {
  for (let i = 0; i < 200; i++) {
    const view = (await owner.rigs()).rigs.find((r) => r.id === rigId);
    if (view?.trust.checkedAt && view.trust.checkedAt > since) return view.trust;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('never checked');
}

describe('TDX evidence at the proxy', () => {
  it('a rig that says TDX gets a challenge, waits in the open tier, and enters the tier with a good quote', async () => {
    const proxy = await startWithTestRoot();
    const { id, worker, owner } = await tdxRig(proxy, 31);
    expect(worker.challenges).toHaveLength(1);
    expect(fromBase64(worker.challenges[0])).toHaveLength(32);
    const waiting = (await owner.rigs()).rigs[0].trust;
    expect(waiting).toMatchObject({ tier: 'open', tee: 'tdx', code: 'awaiting', checkedAt: null });
    worker.send({
      type: 'evidence',
      evidence: {
        kind: 'tdx',
        quote: quoteFor(worker, worker.challenges[0]),
        challenge: worker.challenges[0],
      },
    });
    expect(await trustOf(owner, id)).toMatchObject({ tier: 'tdx', image: 'td', tcbStatus: 'UpToDate' });
  });

  it('an old challenge, a GPU rig, a rig without a quote and a garbage quote each stay open with their reason', async () => {
    const proxy = await startWithTestRoot({ ATTESTATION_REFRESH_MS: '1000' });
    const stale = await tdxRig(proxy, 32);
    // Wait for the scheduled refresh: the welcome's challenge is then an old one.
    while (stale.worker.challenges.length < 2) await new Promise((r) => setTimeout(r, 50));
    const old = stale.worker.challenges[0];
    stale.worker.send({
      type: 'evidence',
      evidence: { kind: 'tdx', quote: quoteFor(stale.worker, old), challenge: old },
    });
    expect(await trustOf(stale.owner, stale.id)).toMatchObject({ tier: 'open', code: 'stale_challenge' });

    const gpu = await tdxRig(proxy, 33, 'cuda');
    const c = gpu.worker.challenges.at(-1)!;
    gpu.worker.send({
      type: 'evidence',
      evidence: { kind: 'tdx', quote: quoteFor(gpu.worker, c), challenge: c },
    });
    const onGpu = await trustOf(gpu.owner, gpu.id);
    expect(onGpu).toMatchObject({ tier: 'open', code: 'gpu' });
    expect(onGpu.reason).toMatch(/outside the TD/);

    const none = await tdxRig(proxy, 34);
    none.worker.send({
      type: 'evidence',
      evidence: { kind: 'none', reason: 'configfs-tsm produced no quote in time' },
    });
    expect(await trustOf(none.owner, none.id)).toMatchObject({ tier: 'open', code: 'no_quote' });

    const garbage = await tdxRig(proxy, 35);
    const g = garbage.worker.challenges.at(-1)!;
    garbage.worker.send({
      type: 'evidence',
      evidence: { kind: 'tdx', quote: toBase64(new Uint8Array(700).fill(1)), challenge: g },
    });
    expect(await trustOf(garbage.owner, garbage.id)).toMatchObject({ tier: 'open', code: 'malformed' });

    // All of them still take open jobs.
    const quote = await userClient(proxy, 99).quote({
      model: 'test-echo',
      kind: 'generate',
      inputTokens: 10,
      maxTokens: 10,
    });
    expect(quote.candidates.length).toBeGreaterThan(0);
  });

  it('a quote too large for the channel is refused as a bad message, not parsed', async () => {
    const proxy = await startWithTestRoot();
    const big = await tdxRig(proxy, 36);
    big.worker.send({
      type: 'evidence',
      evidence: { kind: 'tdx', quote: toBase64(new Uint8Array(40_000)), challenge: big.worker.challenges[0] },
    });
    for (let i = 0; i < 100 && big.worker.errors.length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(big.worker.errors[0]).toMatch(/bad message: evidence\.quote/);
  });

  it('without a policy or a PCCS the tier is empty and says why; the policy route says there is none', async () => {
    const proxy = await start({ ATTESTATION_POLICY_FILE: '', PCCS_URL: '' });
    const rig = await tdxRig(proxy, 37);
    const c = rig.worker.challenges[0];
    rig.worker.send({
      type: 'evidence',
      evidence: { kind: 'tdx', quote: quoteFor(rig.worker, c), challenge: c },
    });
    expect(await trustOf(rig.owner, rig.id)).toMatchObject({ tier: 'open', code: 'no_policy' });
    const res = await fetch(`${proxy.url}/v1/attestation/policy`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toMatch(/publishes no attestation policy/);
  });

  it('serves the signed policy as the operator signed it, and refuses to start with a policy not signed by ATTESTATION_POLICY_KEY', async () => {
    const proxy = await start();
    const served = await (await fetch(`${proxy.url}/v1/attestation/policy`)).json();
    expect(served.publicKey).toBe(toBase64(operator.publicKey));
    await bed.reset();
    await expect(start({ ATTESTATION_POLICY_KEY: toBase64(newEd25519KeyPair().publicKey) })).rejects.toThrow(
      /ATTESTATION_POLICY_FILE: the attestation policy is not signed by the operator key/,
    );
  });

  it('an owner asks for a fresh check: the rig gets a new challenge, and the old one no longer counts', async () => {
    const proxy = await startWithTestRoot();
    const { id, worker, owner } = await tdxRig(proxy, 38);
    const first = worker.challenges[0];
    const view = await owner.attestRig(id);
    expect(view.id).toBe(id);
    for (let i = 0; i < 100 && worker.challenges.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const fresh = worker.challenges[1];
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(first);
    worker.send({
      type: 'evidence',
      evidence: { kind: 'tdx', quote: quoteFor(worker, first), challenge: first },
    });
    const stale = await trustOf(owner, id);
    expect(stale.code).toBe('stale_challenge');
    worker.send({
      type: 'evidence',
      evidence: { kind: 'tdx', quote: quoteFor(worker, fresh), challenge: fresh },
    });
    expect(await trustOf(owner, id, stale.checkedAt!)).toMatchObject({ tier: 'tdx' });

    // Asked again at once: refused, since each challenge costs the proxy a quote check.
    await expect(owner.attestRig(id)).rejects.toMatchObject({ status: 429, code: 'too_soon' });

    const open = await bed.rig(39, 1_000_000n);
    await expect(open.owner.attestRig(open.id)).rejects.toMatchObject({ status: 409, code: 'no_tee' });
  });

  it("asking for a check of someone else's rig, or of no rig, is a clean 404, never a 500", async () => {
    const proxy = await startWithTestRoot();
    const { id } = await tdxRig(proxy, 40);
    const stranger = userClient(bed.proxy, 41);
    await stranger.me();
    await expect(stranger.attestRig(id)).rejects.toMatchObject({ status: 404, message: 'no such rig' });
    await expect(stranger.attestRig('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
      status: 404,
    });
  });

  it('a policy that names model digests admits a confidential rig only for those', async () => {
    const pinned = 'c'.repeat(64);
    const file = path.join(dir, 'models-policy.json');
    const signed = signPolicy(
      {
        version: 1,
        issuedAt: new Date().toISOString(),
        tcbStatuses: ['UpToDate'],
        images: [{ name: 'td', ...tdx.measurements }],
        models: { 'test-echo': [pinned] },
      },
      operator.secretKey,
    );
    await writeFile(file, JSON.stringify(signed));
    const proxy = await startWithTestRoot({ ATTESTATION_POLICY_FILE: file });
    const ask = (minTrust: 'open' | 'tdx') =>
      userClient(proxy, 99).quote({
        model: 'test-echo',
        kind: 'generate',
        inputTokens: 5,
        maxTokens: 5,
        minTrust,
      });
    for (const [ownerId, digest] of [
      [40, 'd'.repeat(64)],
      [41, pinned],
    ] as const) {
      const owner = userClient(proxy, ownerId);
      const { rig, token } = await owner.registerRig(`models-${ownerId}`);
      const worker = bed.track(
        startTestWorker({
          url: proxy.url,
          token,
          tee: 'tdx',
          models: [{ id: 'test-echo', kinds: ['generate'], digest }],
        }),
      );
      await worker.rigId;
      const c = worker.challenges[0];
      worker.send({ type: 'evidence', evidence: { kind: 'tdx', quote: quoteFor(worker, c), challenge: c } });
      expect(await trustOf(owner, rig.id)).toMatchObject({ tier: 'tdx' });
      const quote = await ask('tdx').catch((e) => e);
      if (digest === pinned)
        expect(quote.candidates.map((x: { rigId: string }) => x.rigId)).toEqual([rig.id]);
      else expect(quote).toMatchObject({ code: 'no_confidential_capacity' });
    }
    expect((await ask('open')).candidates).toHaveLength(2);
  });

  it('checks one piece of evidence per challenge: a rig flooding quotes gets refusals, not verifications', async () => {
    const proxy = await startWithTestRoot();
    const { id, worker, owner } = await tdxRig(proxy, 42);
    const c = worker.challenges[0];
    worker.send({ type: 'evidence', evidence: { kind: 'tdx', quote: quoteFor(worker, c), challenge: c } });
    const first = await trustOf(owner, id);
    expect(first.tier).toBe('tdx');
    for (let i = 0; i < 20; i++)
      worker.send({
        type: 'evidence',
        evidence: { kind: 'tdx', quote: toBase64(new Uint8Array(700).fill(i)), challenge: c },
      });
    for (let i = 0; i < 200 && worker.errors.length < 20; i++) await new Promise((r) => setTimeout(r, 20));
    expect(worker.errors).toHaveLength(20);
    expect(worker.errors[0]).toMatch(/already checked/);
    // Nothing was verified again: the rig keeps its tier and its last check's time.
    expect((await owner.rigs()).rigs[0].trust).toEqual(first);
  });
});
