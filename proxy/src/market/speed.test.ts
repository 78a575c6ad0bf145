// Speed on the market: a rig's time to first token and decode speed, measured by the proxy over settled jobs
// paid by others, on the board, the Rigs page and in quotes; `priority: 'speed'` puts the soonest rig first
// within the candidate rules, and the default stays cheapest first.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { userAuth, userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';
import { bySpeed, expectedMs, UNMEASURED } from './speed';

const bed = useTestBed();

/**
 * `n` settled jobs of test-echo on `rigId`, paid by `payer`: first output `ttftMs` after the claim, then
 * 101 completion tokens at `tokensPerS`.
 */
async function settled(
  rigId: string,
  payer: string,
  n: number,
  ttftMs: number,
  tokensPerS: number,
  trialNano = 0n,
) {
  const decodeMs = (100 * 1000) / tokensPerS;
  for (let i = 0; i < n; i++) {
    await bed.db.query(
      `INSERT INTO jobs (id, user_id, model, kind, state, input_tokens, max_tokens, hold_nano, fee_bps, candidates,
         rig_id, prompt_tokens, completion_tokens, price_nano_per_1k, expires_at, started_at, first_token_at, finished_at,
         hold_trial_nano)
       VALUES ($1, $2, 'test-echo', 'generate', 'done', 10, 101, 0, 0, '[]', $3, 10, 101, 1000, now(),
         now() - interval '1 minute',
         now() - interval '1 minute' + $4 * interval '1 millisecond',
         now() - interval '1 minute' + ($4 + $5) * interval '1 millisecond', $6::numeric)`,
      [randomUUID(), payer, rigId, ttftMs, decodeMs, trialNano.toString()],
    );
  }
}

describe('measured speed', () => {
  it('a settled job is measured by the proxy and shows on the board, the Rigs page and the quote; the owner’s own jobs do not count', async () => {
    await bed.start();
    const rig = await bed.rig(1001, 1_000n, 'ok', { delayMs: 40 });
    const user = userClient(bed.proxy, 2001);
    expect((await user.market()).models[0].rigs?.[0].speed).toEqual(UNMEASURED);

    const res = await user.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'one two three four five six', maxTokens: 10 },
    });
    expect(res.rigId).toBe(rig.id);
    // The owner paying its own rig: no measure of anything.
    await rig.owner.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'self dealing', maxTokens: 10 },
    });

    const [entry] = (await user.market()).models[0].rigs ?? [];
    expect(entry).toMatchObject({ tier: 'open', priceNanoPer1k: '1000', speed: { jobs: 1 } });
    expect(entry.speed.firstTokenMs).not.toBeNull();
    expect(entry.speed.tokensPerS).toBeGreaterThan(0);

    const [view] = (await rig.owner.rigs()).rigs;
    expect(view.models[0].speed).toEqual(entry.speed);

    const quote = await user.quote({ model: 'test-echo', kind: 'generate', inputTokens: 10, maxTokens: 50 });
    expect(quote.candidates[0].speed).toEqual(entry.speed);
    expect(quote.expectedMs).toBe(expectedMs(entry.speed, 50));
    expect(quote.candidates[0].expectedMs).toBe(quote.expectedMs);
  });

  it('a rig’s self-paid jobs never make it look fast', async () => {
    await bed.start();
    const rig = await bed.rig(1001, 1_000n);
    const other = await bed.rig(1002, 1_000n);
    await settled(rig.id, '1002', 3, 500, 10); // paid by another owner: counts
    await settled(rig.id, '1001', 20, 1, 10_000); // its owner's own: ignored, however many
    await settled(other.id, '1002', 5, 1, 10_000); // the other rig's owner's own: ignored
    const board = (await userClient(bed.proxy, 2001).market()).models[0].rigs ?? [];
    const mine = board.find((r) => r.speed.jobs > 0);
    expect(mine?.speed).toEqual({ firstTokenMs: 500, tokensPerS: 10, jobs: 3 });
    expect(board.filter((r) => r.speed.jobs === 0)).toHaveLength(1);
  });

  it('one payer flooding a rival with slow jobs (long prompts) does not set its figures: each payer is one vote', async () => {
    await bed.start();
    const rival = await bed.rig(1001, 1_000n);
    await bed.rig(1002, 1_000n);
    for (const payer of ['2002', '2003'])
      await bed.db.query('INSERT INTO users (id, deposit_memo) VALUES ($1, $2)', [payer, `memo-${payer}`]);
    // Two honest payers saw 100 ms to first token at 50 tokens/s.
    await settled(rival.id, '1002', 5, 100, 50);
    await settled(rival.id, '2002', 5, 100, 50);
    // A hostile user (or a rival's Sybil) buys a flood of context-filling jobs: 10 s to first token, 1 token/s.
    await settled(rival.id, '2003', 40, 10_000, 1);
    const board = (await userClient(bed.proxy, 2001).market()).models[0].rigs ?? [];
    const speed = board.find((r) => r.speed.jobs > 0)?.speed;
    expect(speed).toMatchObject({ firstTokenMs: 100, tokensPerS: 50 });
  });

  it('Sybil accounts paying a rig with their free trial credit are one vote together', async () => {
    await bed.start();
    const rig = await bed.rig(1001, 1_000n);
    await bed.rig(1002, 1_000n);
    const user = async (id: string) =>
      bed.db.query('INSERT INTO users (id, deposit_memo) VALUES ($1, $2)', [id, `memo-${id}`]);
    await user('2002');
    await settled(rig.id, '1002', 3, 500, 10); // two payers with money
    await settled(rig.id, '2002', 3, 500, 10);
    // Fresh accounts cost nothing and each brings TRIAL_CREDIT_NANO, which pays the rig's owner back in trial
    // credit: a free Sybil farm, one vote per account if each counted as a payer.
    for (let i = 0; i < 5; i++) {
      await user(`${3000 + i}`);
      await settled(rig.id, `${3000 + i}`, 3, 1, 10_000, 101_000n);
    }
    const board = (await userClient(bed.proxy, 2001).market()).models[0].rigs ?? [];
    expect(board.find((r) => r.speed.jobs > 0)?.speed).toMatchObject({ firstTokenMs: 500, tokensPerS: 10 });
  });

  it('jobs refunded after a failed audit (a result made up fast, never computed) measure nothing', async () => {
    await bed.start();
    const rig = await bed.rig(1001, 1_000n);
    await bed.rig(1002, 1_000n);
    await settled(rig.id, '1002', 3, 1, 10_000);
    await bed.db.query(`UPDATE jobs SET audit_state = 'refunded' WHERE rig_id = $1`, [rig.id]);
    const board = (await userClient(bed.proxy, 2001).market()).models[0].rigs ?? [];
    expect(board.every((r) => r.speed.jobs === 0)).toBe(true);
  });

  it('a rig that holds its output back to the end gets no decode speed (a job decodes over at least half its run)', async () => {
    await bed.start();
    const rig = await bed.rig(1001, 1_000n);
    await bed.rig(1002, 1_000n);
    // 100 tokens in 100 ms after a 900 ms "first token": 1,000 tokens/s if taken at its word.
    await settled(rig.id, '1002', 3, 900, 1_000);
    const board = (await userClient(bed.proxy, 2001).market()).models[0].rigs ?? [];
    expect(board.find((r) => r.speed.jobs > 0)?.speed).toEqual({
      firstTokenMs: 900,
      tokensPerS: null,
      jobs: 3,
    });
  });
});

describe('priority', () => {
  async function market() {
    await bed.start();
    const cheapSlow = await bed.rig(1001, 1_000n);
    const dearFast = await bed.rig(1002, 2_000n);
    await settled(cheapSlow.id, '1002', 5, 2_000, 5);
    await settled(dearFast.id, '1001', 5, 100, 100);
    return { cheapSlow, dearFast };
  }
  const ask = { model: 'test-echo', kind: 'generate' as const, inputTokens: 10, maxTokens: 100 };

  it('speed puts the faster rig first; the default stays cheapest first', async () => {
    const { cheapSlow, dearFast } = await market();
    const user = userClient(bed.proxy, 2001);
    const byPrice = await user.quote(ask);
    expect(byPrice.candidates.map((c) => c.rigId)).toEqual([cheapSlow.id, dearFast.id]);
    expect(byPrice.expectedMs).toBe(2_000 + 20_000);
    expect((await user.quote({ ...ask, priority: 'price' })).candidates[0].rigId).toBe(cheapSlow.id);

    const bySpeedQuote = await user.quote({ ...ask, priority: 'speed' });
    expect(bySpeedQuote.candidates.map((c) => c.rigId)).toEqual([dearFast.id, cheapSlow.id]);
    expect(bySpeedQuote.expectedMs).toBe(100 + 1_000);
    // The hold still comes from the candidate rules: the dearer ask is held either way.
    expect(bySpeedQuote.holdNano).toBe(byPrice.holdNano);

    const res = await user.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'fast please', maxTokens: 10 },
      priority: 'speed',
    });
    expect(res.rigId).toBe(dearFast.id);
  });

  it('speed reorders only within the candidate rules: a faster rig above the hold ceiling is no candidate', async () => {
    await bed.start();
    const cheap = await bed.rig(1001, 1_000_000n);
    const tooDear = await bed.rig(1002, 4_000_000n); // over HOLD_ASK_MULTIPLE (3) × the cheapest
    await settled(tooDear.id, '1001', 5, 1, 1_000);
    const quote = await userClient(bed.proxy, 2001).quote({ ...ask, priority: 'speed' });
    expect(quote.candidates.map((c) => c.rigId)).toEqual([cheap.id]);
  });

  it('a bad priority is refused with what to send', async () => {
    await bed.start();
    await bed.rig(1001, 1_000n);
    const res = await bed.proxy.app.inject({
      method: 'POST',
      url: '/v1/quotes',
      headers: { authorization: `tma ${(userAuth(bed.proxy, 2001) as { initData: string }).initData}` },
      payload: { ...ask, priority: 'fastest' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe('priority: must be "price" or "speed"');
  });
});

describe('bySpeed', () => {
  const rig = (id: string, price: number, ms?: number, waitMs = 0) => ({
    id,
    priceNanoPer1k: String(price),
    expectedWaitMs: waitMs,
    successRate: 1,
    ...(ms !== undefined ? { expectedMs: ms } : {}),
  });

  it('soonest result first, an unmeasured rig as the median measured one, ties by price', () => {
    const order = bySpeed([rig('a', 100, 9_000), rig('b', 200, 1_000), rig('c', 300), rig('d', 400, 5_000)]);
    expect(order.map((r) => r.id)).toEqual(['b', 'c', 'd', 'a']); // c is ranked as d (5 s), and asks less
  });

  it('counts the expected wait of a busy rig', () => {
    const order = bySpeed([rig('fast-busy', 100, 1_000, 10_000), rig('slow-free', 200, 3_000)]);
    expect(order.map((r) => r.id)).toEqual(['slow-free', 'fast-busy']);
  });

  it('with nothing measured it keeps the price order', () => {
    expect(bySpeed([rig('a', 100), rig('b', 200)]).map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('expected time: first token + max tokens ÷ decode speed, absent when unmeasured', () => {
    expect(expectedMs({ firstTokenMs: 200, tokensPerS: 50, jobs: 3 }, 100)).toBe(2_200);
    expect(expectedMs({ firstTokenMs: 200, tokensPerS: null, jobs: 3 }, 100)).toBeUndefined();
    expect(expectedMs(UNMEASURED, 100)).toBeUndefined();
  });
});
