// The whole job path over real HTTP and WebSocket: quote, seal, dispatch, failover, settlement, refunds.
import { ApiError, type CocoonClient, fromBase64, sealJob } from '@cocoon/shared';
import { beforeEach, describe, expect, it } from 'vitest';
import { balanceOf, ledgerTotals, SYSTEM } from '../ledger/ledger';
import { spendableNano, userAuth, userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';
import { startTestWorker } from '../testing/test-worker';

const TRIAL = 500_000_000n;
const bed = useTestBed({ LEASE_MS: '800', HEARTBEAT_MS: '5000' });

async function expectApiError(p: Promise<unknown>, status: number, code?: string): Promise<ApiError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  expect(err.status).toBe(status);
  if (code) expect(err.code).toBe(code);
  return err;
}

async function expectLedgerBalanced() {
  expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
}

describe('a sealed job through the proxy', () => {
  it('is quoted, fails over once, settles, and every balance is exact to the nanoTON', async () => {
    await bed.start();
    const cheap = await bed.rig(1001, 1_000_000n, 'fail');
    const dear = await bed.rig(1002, 2_000_000n, 'ok');
    const user = userClient(bed.proxy, 2001);

    const deltas: string[] = [];
    const res = await user.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'hello sealed world', maxTokens: 10 },
      onDelta: (d) => deltas.push(d),
    });

    expect(res.text).toBe('HELLO SEALED WORLD');
    expect(deltas.join('')).toBe('HELLO SEALED WORLD');
    expect(res.rigId).toBe(dear.id);
    expect(cheap.worker.received).toEqual([res.jobId]);
    // 3 prompt + 3 completion tokens at the dear rig's 2,000,000 nanoTON per 1k: 12,000 + 10% fee.
    expect(res.costNano).toBe(13_200n);
    expect(await spendableNano(bed.db, '2001')).toBe(TRIAL - 13_200n);
    expect(await spendableNano(bed.db, '1002')).toBe(TRIAL + 12_000n);
    expect(await spendableNano(bed.db, '1001')).toBe(TRIAL);
    expect(await balanceOf(bed.db, SYSTEM.fees)).toBe(1_200n);
    const job = await user.job(res.jobId);
    expect(job).toMatchObject({
      state: 'done',
      attempts: 2,
      costNano: '13200',
      promptTokens: 3,
      completionTokens: 3,
    });
    const rigs = await dear.owner.rigs();
    expect(rigs.rigs[0]).toMatchObject({ jobsDone: 1, earningsNano: '12000', online: true, device: 'cpu' });
    await expectLedgerBalanced();
  });

  it('never stores or forwards plaintext: the database holds only sealed bytes', async () => {
    await bed.start();
    await bed.rig(1001, 1_000_000n);
    const user = userClient(bed.proxy, 2001);
    await user.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'canary-7f3a9 private', maxTokens: 5 },
    });
    const dump = await bed.db.query('SELECT * FROM jobs');
    expect(JSON.stringify(dump.rows)).not.toMatch(/canary-7f3a9/i);
  });

  it('picks the cheapest rig and refuses when every ask is above the max price', async () => {
    await bed.start();
    const a = await bed.rig(1001, 3_000_000n);
    const b = await bed.rig(1002, 2_000_000n);
    const user = userClient(bed.proxy, 2001);
    const q = await user.quote({ model: 'test-echo', kind: 'generate', inputTokens: 10, maxTokens: 10 });
    expect(q.candidates.map((c) => c.rigId)).toEqual([b.id, a.id]);
    // Hold: 20 tokens at the highest candidate ask, plus the fee.
    expect(q.holdNano).toBe('66000');
    const err = await expectApiError(
      user.quote({
        model: 'test-echo',
        kind: 'generate',
        inputTokens: 10,
        maxTokens: 10,
        maxPriceNanoPer1k: 1_000n,
      }),
      503,
      'price_too_high',
    );
    expect(err.message).toContain('2000000');
    await expectApiError(
      user.quote({ model: 'nope', kind: 'generate', inputTokens: 1, maxTokens: 1 }),
      503,
      'no_capacity',
    );
  });

  it('refunds in full when no candidate is left', async () => {
    await bed.start();
    await bed.rig(1001, 1_000_000n, 'fail');
    await bed.rig(1002, 1_000_000n, 'fail');
    const user = userClient(bed.proxy, 2001);
    await expectApiError(
      user.runJob({ model: 'test-echo', body: { kind: 'generate', prompt: 'x y', maxTokens: 4 } }),
      502,
      'job_failed',
    );
    expect(await spendableNano(bed.db, '2001')).toBe(TRIAL);
    await expectLedgerBalanced();
  });

  it('fails over when a worker disconnects mid-job and when a lease lapses', async () => {
    await bed.start();
    const gone = await bed.rig(1001, 1_000_000n, 'disconnect');
    const silent = await bed.rig(1002, 2_000_000n, 'silent');
    const good = await bed.rig(1003, 3_000_000n, 'ok');
    const user = userClient(bed.proxy, 2001);
    const res = await user.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'a b c', maxTokens: 5 },
    });
    expect(res.rigId).toBe(good.id);
    expect(gone.worker.received).toHaveLength(1);
    expect(silent.worker.received).toHaveLength(1);
    expect((await user.job(res.jobId)).attempts).toBe(3);
    expect(await spendableNano(bed.db, '1003')).toBe(TRIAL + 18_000n);
    expect(await spendableNano(bed.db, '1001')).toBe(TRIAL);
    expect(await spendableNano(bed.db, '1002')).toBe(TRIAL);
    await expectLedgerBalanced();
  });

  it('rejects receipts with a bad signature or usage above the hold, and charges nobody for them', async () => {
    await bed.start();
    await bed.rig(1001, 1_000_000n, 'bad-signature');
    await bed.rig(1002, 2_000_000n, 'overuse');
    const user = userClient(bed.proxy, 2001);
    const err = await expectApiError(
      user.runJob({ model: 'test-echo', body: { kind: 'generate', prompt: 'a b', maxTokens: 3 } }),
      502,
    );
    expect(err.message).toMatch(/invalid receipt: completion tokens above maxTokens/);
    const jobs = await bed.db.query<{ fail_reason: string }>('SELECT fail_reason FROM jobs');
    expect(jobs.rows[0].fail_reason).toContain('invalid receipt');
    expect(await spendableNano(bed.db, '2001')).toBe(TRIAL);
    expect(await spendableNano(bed.db, '1001')).toBe(TRIAL);
    expect(await spendableNano(bed.db, '1002')).toBe(TRIAL);
    await expectLedgerBalanced();
  });

  it('answers a second submit with the same idempotency key with the first job, run once', async () => {
    await bed.start();
    const r = await bed.rig(1001, 1_000_000n);
    const user = userClient(bed.proxy, 2001);
    const first = await user.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'once only', maxTokens: 5 },
      idempotencyKey: 'idem-key-0001',
    });
    const q = await user.quote({ model: 'test-echo', kind: 'generate', inputTokens: 20, maxTokens: 5 });
    const again = await user
      .submit({ quoteId: q.quoteId, envelope: { bogus: true }, idempotencyKey: 'idem-key-0001' })
      .catch((e) => e);
    // The envelope is validated first; a valid retry returns the first job.
    expect(again).toBeInstanceOf(ApiError);
    const { envelope } = sealJob(
      { kind: 'generate', prompt: 'x', maxTokens: 5 },
      q.candidates.map((c) => ({ rigId: c.rigId, x25519PublicKey: fromBase64(c.x25519PublicKey) })),
      q.quoteId,
    );
    const replay = await user.submit({ quoteId: q.quoteId, envelope, idempotencyKey: 'idem-key-0001' });
    expect(replay.id).toBe(first.jobId);
    expect(r.worker.received).toEqual([first.jobId]);
  });

  it('streams the job from the submit itself, and answers bad input and replays as before', async () => {
    await bed.start();
    await bed.rig(1001, 1_000_000n);
    const user = userClient(bed.proxy, 2001);
    const auth = userAuth(bed.proxy, 2001);
    const q = await user.quote({ model: 'test-echo', kind: 'generate', inputTokens: 20, maxTokens: 5 });
    const { envelope } = sealJob(
      { kind: 'generate', prompt: 'one two three', maxTokens: 5 },
      q.candidates.map((c) => ({ rigId: c.rigId, x25519PublicKey: fromBase64(c.x25519PublicKey) })),
      q.quoteId,
    );
    const submit = (body: unknown) =>
      fetch(`${bed.proxy.url}/v1/jobs`, {
        method: 'POST',
        headers: {
          authorization: `tma ${auth.kind === 'tma' ? auth.initData : ''}`,
          'content-type': 'application/json',
          accept: 'text/event-stream',
        },
        body: JSON.stringify(body),
      });
    const events = async (res: Response) =>
      (await res.text())
        .split('\n\n')
        .filter((f) => f.startsWith('data: '))
        .map((f) => JSON.parse(f.slice(6)) as { type: string });

    // A bad body is a JSON 400, not a stream.
    const bad = await submit({
      quoteId: q.quoteId,
      envelope: { bogus: true },
      idempotencyKey: 'sse-key-0001',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/json');
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request');

    // A good one answers with the job's events, ending with done.
    const ok = await submit({ quoteId: q.quoteId, envelope, idempotencyKey: 'sse-key-0001' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/event-stream');
    const types = (await events(ok)).map((e) => e.type);
    expect(types[0]).toBe('state');
    expect(types.filter((t) => t === 'chunk')).toHaveLength(3);
    expect(types.at(-1)).toBe('done');

    // The same submit again streams the finished job: just done.
    const replay = await submit({ quoteId: q.quoteId, envelope, idempotencyKey: 'sse-key-0001' });
    expect((await events(replay)).map((e) => e.type)).toEqual(['done']);
    await expectLedgerBalanced();
  });

  it('an unsubmitted quote takes no money, and once expired leaves nothing behind but a counter', async () => {
    await bed.start({ QUOTE_TTL_MS: '300' });
    await bed.rig(1001, 1_000_000n);
    const user = userClient(bed.proxy, 2001);
    const ledgerRows = async () =>
      Number((await bed.db.query<{ n: string }>('SELECT count(*)::text AS n FROM ledger_tx')).rows[0].n);
    await user.me(); // the user's trial grant, before counting
    const before = await ledgerRows();
    const q = await user.quote({ model: 'test-echo', kind: 'generate', inputTokens: 100, maxTokens: 100 });
    expect(BigInt(q.holdNano)).toBeGreaterThan(0n);
    expect((await user.me()).heldNano).toBe('0');
    for (let i = 0; i < 50 && (await bed.db.query('SELECT 1 FROM jobs')).rows.length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect((await bed.db.query('SELECT 1 FROM jobs')).rows).toHaveLength(0);
    expect(await ledgerRows()).toBe(before);
    expect((await bed.db.query("SELECT 1 FROM accounts WHERE id LIKE 'hold:%'")).rows).toHaveLength(0);
    const counter = await bed.db.query<{ value: string }>(
      "SELECT value::text FROM counters WHERE name = 'quotes_expired'",
    );
    expect(counter.rows[0].value).toBe('1');
    await expectApiError(user.job(q.quoteId), 404);
    expect(await spendableNano(bed.db, '2001')).toBe(TRIAL);
    await expectLedgerBalanced();
  });

  it('takes the hold at submit, and refuses a quote the balance could not pay', async () => {
    await bed.start({ TRIAL_CREDIT_NANO: '1000' });
    await bed.rig(1001, 1_000n);
    const user = userClient(bed.proxy, 2001);
    await expectApiError(
      user.quote({ model: 'test-echo', kind: 'generate', inputTokens: 100_000, maxTokens: 100_000 }),
      402,
      'insufficient_funds',
    );
    const res = await user.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'a b', maxTokens: 5 },
    });
    expect(res.text).toBe('A B');
    const holds = await bed.db.query("SELECT 1 FROM ledger_tx WHERE kind = 'hold'");
    expect(holds.rows).toHaveLength(1);
    await expectLedgerBalanced();
  });
});

describe('bad input is refused with a 4xx that names the problem', () => {
  let user: CocoonClient;
  beforeEach(async () => {
    await bed.start({ MAX_ENVELOPE_BYTES: '2048' });
    user = userClient(bed.proxy, 2001);
  });

  it('unknown and revoked rig tokens cannot connect', async () => {
    const w = startTestWorker({ url: bed.proxy.url, token: 'rig_unknown' });
    bed.track(w);
    await expect(w.rigId).rejects.toThrow(/4401/);
    const owner = userClient(bed.proxy, 1001);
    const { rig: r, token } = await owner.registerRig('soon revoked');
    await owner.revokeRig(r.id);
    const w2 = startTestWorker({ url: bed.proxy.url, token });
    bed.track(w2);
    await expect(w2.rigId).rejects.toThrow(/4401/);
  });

  it('forged, expired and missing initData', async () => {
    const { createCocoonClient, signInitData } = await import('@cocoon/shared');
    const forged = createCocoonClient({
      baseUrl: bed.proxy.url,
      auth: {
        kind: 'tma',
        initData: signInitData({ user: { id: 5, first_name: 'Eve' } }, '999:not-the-bot-token'),
      },
    });
    expect((await expectApiError(forged.me(), 401)).message).toMatch(/signature/);
    const old = createCocoonClient({
      baseUrl: bed.proxy.url,
      auth: {
        kind: 'tma',
        initData: signInitData(
          { user: { id: 5, first_name: 'Old' }, auth_date: 1_600_000_000 },
          bed.proxy.ctx.config.BOT_TOKEN!,
        ),
      },
    });
    expect((await expectApiError(old.me(), 401)).message).toMatch(/older than/);
    const anon = createCocoonClient({ baseUrl: bed.proxy.url, auth: { kind: 'none' } });
    await expectApiError(anon.me(), 401);
  });

  it('negative or fractional prices', async () => {
    const owner = userClient(bed.proxy, 1001);
    const r = await bed.rig(1001, 1_000_000n);
    for (const bad of ['-5', '1.5', 1.5, 'abc']) {
      const err = await expectApiError(
        owner.request('PUT', `/v1/rigs/${r.id}/asks/test-echo`, { priceNanoPer1k: bad }),
        400,
        'invalid_request',
      );
      expect(err.message).toContain('priceNanoPer1k');
    }
  });

  it('envelopes over the size limit, malformed quotes and unknown jobs', async () => {
    await bed.rig(1001, 1_000_000n);
    const q = await user.quote({ model: 'test-echo', kind: 'generate', inputTokens: 10, maxTokens: 10 });
    const recipients = q.candidates.map((c) => ({
      rigId: c.rigId,
      x25519PublicKey: fromBase64(c.x25519PublicKey),
    }));
    const { envelope } = sealJob(
      { kind: 'generate', prompt: 'x'.repeat(4000), maxTokens: 10 },
      recipients,
      q.quoteId,
    );
    await expectApiError(
      user.submit({ quoteId: q.quoteId, envelope, idempotencyKey: 'too-big-0001' }),
      413,
      'envelope_too_large',
    );
    const err = await expectApiError(
      user.request('POST', '/v1/quotes', { model: 'test-echo', kind: 'dance', maxTokens: -1 }),
      400,
    );
    expect(err.message).toMatch(/kind/);
    expect(err.message).toMatch(/maxTokens/);
    await expectApiError(user.job('00000000-0000-4000-8000-000000000000'), 404);
    await expectApiError(user.request('GET', '/v1/jobs/not-a-uuid'), 400);
  });

  it('a job beyond the balance is refused with 402', async () => {
    await bed.rig(1001, 1_000_000_000n);
    const err = await expectApiError(
      user.quote({ model: 'test-echo', kind: 'generate', inputTokens: 1000, maxTokens: 1000 }),
      402,
      'insufficient_funds',
    );
    expect(err.message).toMatch(/balance is 0.5 TON/);
  });
});

// Test workers and clients (they play the rig and the user) may open envelopes. (The benchmarks and the
// chaos harness, which may too, live in @cocoon/bench.)
const TEST_SUPPORT = /[/\\]testing[/\\]/;

describe('privacy by construction', () => {
  it('no proxy module imports the functions that open envelopes or results', async () => {
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const { join } = await import('node:path');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !TEST_SUPPORT.test(p)) files.push(p);
      }
    };
    walk(join(import.meta.dirname, '..'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(readFileSync(f, 'utf8')).not.toMatch(/\bopen(Job|ResultPart)\b/);
  });
});

describe('retention', () => {
  it("drops a finished job's sealed envelope and result after SEALED_RETENTION_MS, keeping its account", async () => {
    await bed.start({ SEALED_RETENTION_MS: '1' });
    await bed.rig(1001, 1_000_000n);
    const user = userClient(bed.proxy, 2001);
    const res = await user.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'kept a day', maxTokens: 5 },
    });
    const sealed = async () =>
      (
        await bed.db.query<{ e: boolean; r: boolean }>(
          'SELECT envelope IS NOT NULL AS e, result IS NOT NULL AS r FROM jobs',
        )
      ).rows[0];
    for (let i = 0; i < 50 && (await sealed()).e; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await sealed()).toEqual({ e: false, r: false });
    const job = await user.job(res.jobId);
    expect(job).toMatchObject({ state: 'done', costNano: res.costNano.toString() });
  });
});
