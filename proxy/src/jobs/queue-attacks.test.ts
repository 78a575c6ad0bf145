// Attacks on the queue (issue #28) by hostile users and Sybils, against the real proxy and protocol-real test
// workers. What must hold (the acceptance): no request fails while a rig serving its model is
// online and working, unless its own wait deadline passes; the ledger sums to zero; a hold goes back once.
import {
  ApiError,
  type CocoonClient,
  chargeFor,
  fromBase64,
  inputTokenBound,
  type RunJobOptions,
  sealJob,
} from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import { ledgerTotals } from '../ledger/ledger';
import { until } from '../testing/audit-scenes';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';

const bed = useTestBed({ HEARTBEAT_MS: '1000', LEASE_MS: '5000', FIRST_TOKEN_BASE_MS: '5000' });

const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');

function generate(c: CocoonClient, prompt: string, extra: Partial<RunJobOptions> = {}) {
  const maxTokens = prompt.split(' ').length;
  return c.runJob({ model: 'test-echo', body: { kind: 'generate', prompt, maxTokens }, ...extra });
}

async function count(state: string): Promise<number> {
  const r = await bed.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs WHERE state = $1', [
    state,
  ]);
  return r.rows[0].n;
}
const jobsIn = (state: string, n: number) =>
  until(`${n} jobs ${state}`, async () => ((await count(state)) === n ? true : undefined), 400);

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => new Error('expected a refusal'),
    (e) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

/** Every job's money is where it should be: the ledger sums to zero, no hold is left on a finished job. */
async function moneyBalances(): Promise<void> {
  expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  const left = await bed.db.query<{ id: string }>(
    `SELECT j.id FROM jobs j JOIN accounts a ON a.id = 'hold:' || j.id::text
     WHERE j.state IN ('done', 'failed', 'expired') AND a.balance <> 0`,
  );
  expect(left.rows).toEqual([]);
  // A hold is settled or released, never both, never twice.
  const twice = await bed.db.query<{ ref: string }>(
    `SELECT ref FROM ledger_tx WHERE kind IN ('settle', 'release', 'expire') GROUP BY ref HAVING count(*) > 1`,
  );
  expect(twice.rows).toEqual([]);
}

/** A one-slot rig busy with a slow job (about 3 s), and that job's promise. */
async function busyRig(ownerId = 1001, price = 1_000n) {
  const rig = await bed.rig(ownerId, price, 'ok', { slots: 1, delayMs: 100 });
  const blocker = generate(userClient(bed.proxy, 2999), words(30, 'busy'));
  await jobsIn('running', 1);
  return { rig, blocker };
}

describe('a Sybil filling the queue', () => {
  it("can't shut an honest user out while the model's rig is online and working", async () => {
    // 256 / 8 in production: 32 accounts, each holding its 8 jobs with the free trial credit (a hold of a few
    // tokens is a tiny part of it, given back at the wait deadline). Here 4 / 3: two accounts, two jobs each.
    await bed.start({ MAX_QUEUE_PER_MODEL: '4', MAX_QUEUED_PER_USER: '3' });
    const { blocker } = await busyRig();
    const sybils = [3001, 3002].map((id) => userClient(bed.proxy, id));
    const spam = sybils.flatMap((s, i) => [generate(s, words(2, `s${i}a`)), generate(s, words(2, `s${i}b`))]);
    await jobsIn('queued', 4);
    // The trial credit bounds nothing: it pays the Sybil's holds, and comes back whole.
    const sybilMe = await sybils[0].me();
    expect(BigInt(sybilMe.balanceNano)).toBeGreaterThan(0n);
    // The honest user's first job gets in line, ahead of the Sybils' second jobs, and is done.
    const places: number[] = [];
    const honest = generate(userClient(bed.proxy, 2001), words(3, 'h'), {
      onQueued: (p) => places.push(p.position),
    });
    await jobsIn('queued', 5);
    // A Sybil's further job past the model's bound is still refused.
    const more = await rejection(generate(sybils[0], words(2, 's0c')));
    expect(more).toMatchObject({ status: 503, code: 'queue_full' });
    expect((await honest).text).toBe(words(3, 'h').toUpperCase());
    expect(places[0]).toBe(3);
    await Promise.all([blocker, ...spam]);
    await moneyBalances();
  });

  it('the bound on a line of first jobs holds (twice MAX_QUEUE_PER_MODEL), so Sybils cost accounts', async () => {
    await bed.start({ MAX_QUEUE_PER_MODEL: '1', MAX_QUEUED_PER_USER: '1' });
    const { blocker } = await busyRig();
    const first = [generate(userClient(bed.proxy, 3001), 'a'), generate(userClient(bed.proxy, 3002), 'b')];
    await jobsIn('queued', 2);
    const err = await rejection(generate(userClient(bed.proxy, 3003), 'c'));
    expect(err).toMatchObject({ status: 503, code: 'queue_full' });
    await Promise.all([blocker, ...first]);
    await moneyBalances();
  });
});

describe('a job sealed to fewer rigs than its candidates', () => {
  it("doesn't keep a free rig from a job that may run on it now", async () => {
    await bed.start();
    const { rig: busy, blocker } = await busyRig(1001, 1_000n);
    const free = await bed.rig(1002, 2_000n, 'ok', { slots: 1 });
    // The Sybil's quote lists both rigs; it seals its job to the busy one only, so it waits, listing the free
    // rig it can never run on.
    const sybil = userClient(bed.proxy, 3001);
    const q = await sybil.quote({ model: 'test-echo', kind: 'generate', inputTokens: 2, maxTokens: 2 });
    expect(q.candidates.map((c) => c.rigId)).toEqual([busy.id, free.id]);
    const only = q.candidates.filter((c) => c.rigId === busy.id);
    const { envelope } = sealJob(
      { kind: 'generate', prompt: 'x y', maxTokens: 2 },
      only.map((c) => ({ rigId: c.rigId, x25519PublicKey: fromBase64(c.x25519PublicKey) })),
      q.quoteId,
    );
    const waiting = await sybil.submit({ quoteId: q.quoteId, envelope, idempotencyKey: 'sybil-subset-1' });
    expect(waiting.state).toBe('queued');
    // An honest job that asks not to wait runs on the free rig at once.
    const res = await generate(userClient(bed.proxy, 2001), words(3, 'h'), { maxWaitMs: 0 });
    expect(res.rigId).toBe(free.id);
    await blocker;
    await jobsIn('done', 3);
    await moneyBalances();
  });
});

describe('cancel', () => {
  it("another user's waiting job: 404, and it is neither cancelled nor refunded", async () => {
    await bed.start();
    const { blocker } = await busyRig();
    const victim = generate(userClient(bed.proxy, 2001), words(3, 'v'));
    await jobsIn('queued', 1);
    const { rows } = await bed.db.query<{ id: string }>("SELECT id FROM jobs WHERE state = 'queued'");
    const err = await rejection(userClient(bed.proxy, 3001).cancelJob(rows[0].id));
    expect(err.status).toBe(404);
    expect((await victim).text).toBe(words(3, 'v').toUpperCase());
    await blocker;
    await moneyBalances();
  });

  it('racing the claim: each job either runs and is paid once, or fails with its hold back once', async () => {
    // Room in line for all twelve: a cancel that lands on a running job (refused) must not turn a later submit
    // into a 429 (on a slow database the one-slot rig can fall behind the loop).
    await bed.start({ MAX_QUEUED_PER_USER: '12' });
    await bed.rig(1001, 1_000n, 'ok', { slots: 1, delayMs: 5 });
    const user = userClient(bed.proxy, 2001);
    const runs: Array<Promise<unknown>> = [];
    for (let i = 0; i < 12; i++) {
      let ended = false;
      runs.push(
        generate(user, words(4, `r${i}w`))
          .catch(() => undefined)
          .finally(() => {
            ended = true;
          }),
      );
      // Cancel as soon as it is in line (or over), while slots free up and the line moves.
      await until(
        `job ${i} in`,
        async () => (ended || (await count('quoted')) === 0 ? true : undefined),
        400,
      );
      const { rows } = await bed.db.query<{ id: string }>(
        "SELECT id FROM jobs WHERE state IN ('queued', 'running') ORDER BY submitted_at DESC LIMIT 1",
      );
      if (rows[0]) void user.cancelJob(rows[0].id).catch(() => undefined);
    }
    await Promise.all(runs);
    await until('every job ended', async () =>
      (await count('queued')) + (await count('running')) === 0 ? true : undefined,
    );
    await moneyBalances();
  });
});

describe('holds', () => {
  it('waiting jobs hold their price: past the balance the next is refused (402), nothing spent twice', async () => {
    // Every job here is the same size (same prompt length): the trial credit covers two and a half holds.
    const job = { kind: 'generate' as const, prompt: 'a0 a1', maxTokens: 2 };
    const hold = chargeFor(inputTokenBound(job) + 2, 10_000_000n, 1000).totalNano;
    await bed.start({ TRIAL_CREDIT_NANO: String((hold * 5n) / 2n) });
    await bed.rig(1001, 10_000_000n, 'ok', { slots: 1, delayMs: 1500 });
    const blocker = generate(userClient(bed.proxy, 2999), 'x0 x1');
    await jobsIn('running', 1);
    const user = userClient(bed.proxy, 2001);
    const waiting = [generate(user, words(2, 'a')), generate(user, words(2, 'b'))];
    await jobsIn('queued', 2);
    expect(BigInt((await user.me()).balanceNano)).toBe((hold * 5n) / 2n - 2n * hold);
    const err = await rejection(generate(user, words(2, 'c')));
    expect(err.status).toBe(402);
    expect((await Promise.all(waiting)).map((r) => r.text)).toEqual(['A0 A1', 'B0 B1']);
    await blocker;
    await moneyBalances();
  });
});

describe('maxWaitMs', () => {
  it('out of range or fractional is a 400 naming it; past QUEUE_WAIT_MS it waits QUEUE_WAIT_MS at most', async () => {
    await bed.start({ QUEUE_WAIT_MS: '60000' });
    const { blocker } = await busyRig();
    const user = userClient(bed.proxy, 2001);
    const q = await user.quote({ model: 'test-echo', kind: 'generate', inputTokens: 2, maxTokens: 2 });
    const recipients = q.candidates.map((c) => ({
      rigId: c.rigId,
      x25519PublicKey: fromBase64(c.x25519PublicKey),
    }));
    const { envelope } = sealJob({ kind: 'generate', prompt: 'x y', maxTokens: 2 }, recipients, q.quoteId);
    for (const maxWaitMs of [-1, 1.5, 3_600_001, '5']) {
      const err = await rejection(
        user.request('POST', '/v1/jobs', {
          quoteId: q.quoteId,
          envelope,
          idempotencyKey: 'wait-key-1',
          maxWaitMs,
        }),
      );
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/maxWaitMs/);
    }
    const view = await user.submit({
      quoteId: q.quoteId,
      envelope,
      idempotencyKey: 'wait-key-1',
      maxWaitMs: 3_600_000,
    });
    expect(view.state).toBe('queued');
    const r = await bed.db.query<{ max_wait_ms: number; left: number }>(
      'SELECT max_wait_ms, extract(epoch FROM wait_deadline - now()) * 1000 AS left FROM jobs WHERE id = $1',
      [q.quoteId],
    );
    expect(r.rows[0].max_wait_ms).toBe(60_000);
    expect(Number(r.rows[0].left)).toBeLessThanOrEqual(60_000);
    await user.cancelJob(q.quoteId);
    await blocker;
    await moneyBalances();
  });
});
