// The confidential tier end to end, with the real verifier (dcap-qvl) and no mock of it: real workers attest
// through configfs-tsm (the test's stand-in directory, since no TDX machine is here) with synthetic quotes
// under a test root; the proxy fetches collateral from a PCCS (the test's emulator, over HTTP) and checks
// each rig against the operator's signed policy; the client checks every candidate again itself before it
// seals, with the operator's key it was configured with. The test root is trusted only here, by injection.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db, ProxyServer } from '@cocoon/proxy';
import { openTestDb, resetDb, startTestProxy, userClient } from '@cocoon/proxy/testing';
import { ApiError, type AttestationPolicy, newEd25519KeyPair, signPolicy, toBase64 } from '@cocoon/shared';
import {
  createSyntheticTdx,
  type PccsEmulator,
  type SyntheticQuoteOptions,
  type SyntheticTdx,
  startPccsEmulator,
  startTsmEmulator,
  type TsmEmulator,
} from '@cocoon/shared/attestation/testing';
import { createLogger } from '@cocoon/shared/node';
import { loadModels, type Model, SUMMARIZER_ID, startWorker, type WorkerHandle } from '@cocoon/worker';
import { QuoteVerifier } from '@phala/dcap-qvl';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const silent = createLogger('silent');
const CHAT = {
  kind: 'summarize' as const,
  messages: [
    { author: 'ann', text: 'The release is on Thursday at 10am; Bo owns the rollback plan.' },
    { author: 'bo', text: 'Agreed, I will write the rollback plan by Wednesday noon.' },
    { author: 'cy', text: 'I will book room 4B for the release call.' },
  ],
  maxTokens: 200,
};

let db: Db;
let proxy: ProxyServer;
let models: Map<string, Model>;
let tdx: SyntheticTdx;
let pccs: PccsEmulator;
let dir: string;
let policyFile: string;
const operator = newEd25519KeyPair();
const emulators: TsmEmulator[] = [];
let workers: WorkerHandle[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cocoon-tdx-'));
  [db, models, tdx] = await Promise.all([
    openTestDb(),
    loadModels({ device: 'cpu', logger: silent }),
    createSyntheticTdx(),
  ]);
  pccs = await startPccsEmulator(tdx);
  const policy: AttestationPolicy = {
    version: 1,
    issuedAt: new Date().toISOString(),
    tcbStatuses: ['UpToDate'],
    images: [{ name: 'cocoon-worker-td', ...tdx.measurements }],
  };
  policyFile = path.join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(signPolicy(policy, operator.secretKey)));
});
afterAll(async () => {
  for (const m of models?.values() ?? []) await m.dispose();
  await db?.close();
  await pccs?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await resetDb(db);
  proxy = await startTestProxy(
    db,
    {
      ATTESTATION_POLICY_FILE: policyFile,
      ATTESTATION_POLICY_KEY: toBase64(operator.publicKey),
      PCCS_URL: pccs.url,
      RIG_COOLDOWN_MS: '0',
    },
    200,
    // Only here is the test root trusted: by injection, never by configuration.
    { attestation: { verifier: testVerifier() } },
  );
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop({ graceful: false })));
  workers = [];
  for (const e of emulators.splice(0)) e.stop();
  await proxy?.close();
});

function testVerifier() {
  return QuoteVerifier.newWithRootCa(tdx.rootCaDer);
}

/** A client for a user, checking the tier itself with the operator's key (or another key, to test that). */
function client(userId: number, operatorKey = operator.publicKey, fetchImpl?: typeof fetch) {
  return userClient(proxy, userId, undefined, {
    attestation: { operatorKey, verifier: testVerifier() },
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
}

/**
 * A real worker for an owner of its own. `tee: 'tdx'` gives it a configfs-tsm stand-in whose quotes come
 * from the synthetic TDX world, optionally from an image the policy doesn't allow.
 */
async function rig(
  ownerId: number,
  ask: bigint,
  tee: 'tdx' | 'none',
  quoteOptions: () => SyntheticQuoteOptions = () => ({}),
) {
  const owner = userClient(proxy, ownerId);
  const { rig: view, token } = await owner.registerRig(`rig-${ownerId}`);
  let tsmDir: string | undefined;
  if (tee === 'tdx') {
    tsmDir = path.join(dir, `tsm-${ownerId}-${Date.now()}`);
    mkdirSync(tsmDir);
    emulators.push(startTsmEmulator(tsmDir, (reportData) => tdx.quote(reportData, quoteOptions())));
  }
  const worker = startWorker({
    proxyUrl: proxy.url,
    token,
    models: new Map([[SUMMARIZER_ID, models.get(SUMMARIZER_ID)!]]),
    configDir: path.join(dir, `keys-${ownerId}-${Date.now()}`),
    logger: silent,
    tee,
    tsmDir,
    backoff: { initialMs: 50, maxMs: 200 },
  });
  workers.push(worker);
  expect(await worker.rigId).toBe(view.id);
  await owner.setAsk(view.id, SUMMARIZER_ID, ask);
  return { id: view.id, owner };
}

/** Waits until the owner's view of a rig shows its evidence checked (after `since`, when given). */
async function checkedTrust(owner: ReturnType<typeof userClient>, rigId: string, since = '') {
  for (let i = 0; i < 400; i++) {
    const view = (await owner.rigs()).rigs.find((r) => r.id === rigId);
    if (view?.trust.checkedAt && view.trust.checkedAt > since) return view.trust;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the rig’s evidence was never checked');
}

describe('the confidential tier', () => {
  it('a min_trust tdx job goes only to the rig whose evidence verifies, even when an open rig asks less', async () => {
    const confidential = await rig(11, 3_000_000n, 'tdx');
    const open = await rig(12, 1_000_000n, 'none');
    expect(await checkedTrust(confidential.owner, confidential.id)).toMatchObject({
      tier: 'tdx',
      tee: 'tdx',
      tcbStatus: 'UpToDate',
      image: 'cocoon-worker-td',
      measurements: tdx.measurements,
      code: null,
    });

    const user = client(21);
    const quote = await user.quote({
      model: SUMMARIZER_ID,
      kind: 'summarize',
      inputTokens: 200,
      maxTokens: 200,
      minTrust: 'tdx',
    });
    expect(quote.candidates.map((c) => [c.rigId, c.trust])).toEqual([[confidential.id, 'tdx']]);

    const done = await user.runJob({ model: SUMMARIZER_ID, body: CHAT, minTrust: 'tdx' });
    expect(done.rigId).toBe(confidential.id);
    expect(done.text).toMatch(/rollback/);
    // Without the tier the cheaper open rig wins, as before.
    expect((await user.runJob({ model: SUMMARIZER_ID, body: CHAT })).rigId).toBe(open.id);

    // The price board shows each tier's ladder; anyone can fetch the rig's evidence and the signed policy.
    const board = await user.market();
    const asks = board.models.find((m) => m.model === SUMMARIZER_ID)!.asks;
    expect(asks.map((a) => [a.tier, a.priceNanoPer1k])).toEqual([
      ['open', '1000000'],
      ['tdx', '3000000'],
    ]);
    const evidence = await user.call((await import('@cocoon/shared')).CONTRACT.rigEvidence, {
      params: { id: confidential.id },
    });
    expect(evidence.trust.tier).toBe('tdx');
    expect(evidence.quote).toBeTruthy();
    expect(evidence.collateral?.tcb_info).toContain('"TDX"');
  });

  it('a rig whose image is outside the policy stays in the open tier with the reason, and still serves open jobs', async () => {
    const outside = await rig(13, 1_000_000n, 'tdx', () => ({ mrTd: 'ab'.repeat(48) }));
    const trust = await checkedTrust(outside.owner, outside.id);
    expect(trust).toMatchObject({ tier: 'open', tee: 'tdx', code: 'measurements' });
    expect(trust.reason).toMatch(/not one the policy allows/);

    const user = client(22);
    const refused = await user.runJob({ model: SUMMARIZER_ID, body: CHAT, minTrust: 'tdx' }).catch((e) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 503, code: 'no_confidential_capacity' });
    expect(refused.message).toMatch(/no rig in the confidential \(TDX\) tier/);
    expect((await user.runJob({ model: SUMMARIZER_ID, body: CHAT })).rigId).toBe(outside.id);
  });

  it('the client refuses to seal to a rig the proxy lists as confidential when its evidence fails (a proxy that lies)', async () => {
    const open = await rig(14, 1_000_000n, 'none');
    // The proxy lies: it puts an unattested rig in the tier.
    await db.query(`UPDATE rigs SET trust_tier = 'tdx' WHERE id = $1`, [open.id]);
    const user = client(23);
    const refused = await user.runJob({ model: SUMMARIZER_ID, body: CHAT, minTrust: 'tdx' }).catch((e) => e);
    expect(refused).toMatchObject({ code: 'no_verified_rig' });
    expect(refused.message).toMatch(/nothing was sealed.*it has sent no quote/);
    const submitted = await db.query(`SELECT count(*)::int AS n FROM jobs WHERE envelope IS NOT NULL`);
    expect(submitted.rows[0].n).toBe(0);
  });

  it('the client refuses a candidate whose key the proxy swapped for its own, though the rig’s quote is real', async () => {
    const confidential = await rig(15, 1_000_000n, 'tdx');
    await checkedTrust(confidential.owner, confidential.id);
    const proxyKey = toBase64(new Uint8Array(32).fill(3));
    // A man in the middle at the proxy: the quote answer names the proxy's key for the rig.
    const swapping: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).endsWith('/v1/quotes')) return res;
      const body = await res.json();
      for (const c of body.candidates ?? []) c.x25519PublicKey = proxyKey;
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    };
    const refused = await client(24, operator.publicKey, swapping)
      .runJob({ model: SUMMARIZER_ID, body: CHAT, minTrust: 'tdx' })
      .catch((e) => e);
    expect(refused).toMatchObject({ code: 'no_verified_rig' });
    expect(refused.message).toMatch(/binding: the quote's report data does not bind/);
  });

  it('the client refuses a policy not signed by the operator key it was configured with', async () => {
    const confidential = await rig(16, 1_000_000n, 'tdx');
    await checkedTrust(confidential.owner, confidential.id);
    const refused = await client(25, newEd25519KeyPair().publicKey)
      .runJob({ model: SUMMARIZER_ID, body: CHAT, minTrust: 'tdx' })
      .catch((e) => e);
    expect(refused).toMatchObject({ code: 'policy_rejected' });
    expect(refused.message).toMatch(/not signed by the operator key/);
  });

  it('a TDX rig is asked for a fresh quote on schedule, and leaves the tier when its PCK is revoked since', async () => {
    await proxy.close();
    proxy = await startTestProxy(
      db,
      {
        ATTESTATION_POLICY_FILE: policyFile,
        ATTESTATION_POLICY_KEY: toBase64(operator.publicKey),
        PCCS_URL: pccs.url,
        ATTESTATION_REFRESH_MS: '1000',
      },
      200,
      { attestation: { verifier: testVerifier() } },
    );
    let revoked = false;
    const confidential = await rig(17, 1_000_000n, 'tdx', () => ({ revokedPck: revoked }));
    const first = await checkedTrust(confidential.owner, confidential.id);
    expect(first.tier).toBe('tdx');
    revoked = true;
    const later = await checkedTrust(confidential.owner, confidential.id, first.checkedAt!);
    expect(later).toMatchObject({ tier: 'open', code: 'revoked' });
    expect(later.reason).toMatch(/Certificate is revoked/);
    const refused = await client(26)
      .runJob({ model: SUMMARIZER_ID, body: CHAT, minTrust: 'tdx' })
      .catch((e) => e);
    expect(refused).toMatchObject({ code: 'no_confidential_capacity' });
  });

  it('a candidate verified a moment ago is not fetched and checked again, until a minute passes or its keys change', async () => {
    const confidential = await rig(18, 1_000_000n, 'tdx');
    await checkedTrust(confidential.owner, confidential.id);
    let evidenceFetches = 0;
    const counting: typeof fetch = async (input, init) => {
      if (String(input).includes('/evidence')) evidenceFetches++;
      return fetch(input, init);
    };
    let clock = Date.now();
    const user = userClient(proxy, 27, undefined, {
      attestation: { operatorKey: operator.publicKey, verifier: testVerifier(), now: () => clock },
      fetch: counting,
    });
    const run = () => user.runJob({ model: SUMMARIZER_ID, body: CHAT, minTrust: 'tdx' });
    expect((await run()).rigId).toBe(confidential.id);
    expect((await run()).rigId).toBe(confidential.id);
    expect(evidenceFetches).toBe(1);
    clock += 61_000;
    await run();
    expect(evidenceFetches).toBe(2);
  });
});
