// Deadlines that measure progress: a running job is lost when its rig stops making progress (no first token
// in time, or too long between tokens, as the rig's heartbeats report them), never because the rig is slow;
// and a rig that reports progress it never delivers is still cut at the run time cap. Real proxy, real test
// workers over WebSockets; short configured deadlines keep the tests quick. Outcomes, not durations.
import type { CocoonClient } from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';

const bed = useTestBed({
  LEASE_MS: '3000',
  HEARTBEAT_MS: '1000',
  FIRST_TOKEN_BASE_MS: '2500',
  FIRST_TOKEN_MS_PER_INPUT_TOKEN: '10',
  TOKEN_GAP_MS: '2500',
  RUN_CAP_MS_PER_TOKEN: '1000',
  JOB_TIMEOUT_MS: '600000',
});

const generate = (c: CocoonClient, prompt: string, maxTokens = 10) =>
  c.runJob({ model: 'test-echo', body: { kind: 'generate', prompt, maxTokens } });

async function jobRow() {
  const r = await bed.db.query<{ fail_reason: string | null; attempt: number }>(
    'SELECT fail_reason, attempt FROM jobs',
  );
  return r.rows[0];
}

async function failuresOf(rigId: string): Promise<number> {
  const r = await bed.db.query<{ n: number }>('SELECT consecutive_failures AS n FROM rigs WHERE id = $1', [
    rigId,
  ]);
  return r.rows[0].n;
}

describe('a slow rig that keeps producing', () => {
  it('keeps its job: a long job at ~2.5 tokens/s finishes on it, on the first attempt', async () => {
    // The old rule's settings (no longer read): 1 s + (12 + 12 tokens) × 10 ms would have taken this job
    // from the rig after ~1.2 s, though it was producing all along.
    await bed.start({ RUN_BASE_MS: '1000', RUN_MS_PER_TOKEN: '10' });
    const slow = await bed.rig(1001, 1_000n, 'ok', { delayMs: 400 });
    const prompt = 'one two three four five six seven eight nine ten eleven twelve';
    const res = await generate(userClient(bed.proxy, 2001), prompt, 12);
    expect(res).toMatchObject({ text: prompt.toUpperCase(), rigId: slow.id });
    expect(await jobRow()).toEqual({ fail_reason: null, attempt: 0 });
    expect(await failuresOf(slow.id)).toBe(0);
  });
});

describe('a slow rig at 2 tokens/s', () => {
  it('finishes a 256-token job (about two minutes), on the first attempt', { timeout: 300_000 }, async () => {
    await bed.start();
    const slow = await bed.rig(1001, 1_000n, 'ok', { delayMs: 500 });
    const prompt = Array.from({ length: 256 }, (_, i) => `w${i}`).join(' ');
    const res = await generate(userClient(bed.proxy, 2001), prompt, 256);
    expect(res).toMatchObject({ text: prompt.toUpperCase(), rigId: slow.id, completionTokens: 256 });
    expect(await jobRow()).toEqual({ fail_reason: null, attempt: 0 });
  });
});

describe('a rig that stops making progress', () => {
  it('claiming a job and never starting it loses the job at the first-token deadline; another rig finishes it', async () => {
    await bed.start();
    const stalled = await bed.rig(1001, 0n, 'ok', { stallAfterTokens: 0 });
    const honest = await bed.rig(1002, 2_000n);
    const res = await generate(userClient(bed.proxy, 2001), 'finished elsewhere');
    expect(res).toMatchObject({ text: 'FINISHED ELSEWHERE', rigId: honest.id });
    expect(stalled.worker.received).toHaveLength(1);
    expect((await jobRow()).fail_reason).toMatch(/no first token/);
    // Cooled down as for a failure: a stall counts against the rig.
    expect(await failuresOf(stalled.id)).toBe(1);
  });

  it('stalling mid-stream loses the job at the between-token deadline; another rig finishes it', async () => {
    await bed.start();
    const stalled = await bed.rig(1001, 0n, 'ok', { stallAfterTokens: 2 });
    const honest = await bed.rig(1002, 2_000n);
    const res = await generate(userClient(bed.proxy, 2001), 'a b c d e');
    expect(res).toMatchObject({ text: 'A B C D E', rigId: honest.id });
    expect((await jobRow()).fail_reason).toMatch(/no progress/);
    expect(await failuresOf(stalled.id)).toBe(1);
  });
});

describe('a rig that reports progress it never delivers', () => {
  it("a count past the job's max tokens is no progress: the job still ends at the first-token deadline", async () => {
    await bed.start();
    const liar = await bed.rig(1001, 0n, 'hold-forever', { heartbeatMs: 60_000 });
    const honest = await bed.rig(1002, 2_000n);
    const done = generate(userClient(bed.proxy, 2001), 'told the truth', 10);
    const beats = setInterval(() => {
      const jobId = liar.worker.received[0];
      if (jobId) liar.worker.send({ type: 'heartbeat', running: [jobId], progress: [{ jobId, tokens: 11 }] });
    }, 400);
    try {
      expect(await done).toMatchObject({ text: 'TOLD THE TRUTH', rigId: honest.id });
    } finally {
      clearInterval(beats);
    }
    expect((await jobRow()).fail_reason).toMatch(/no first token/);
  });

  it('is cut at the run time cap, and the job finishes on another rig', async () => {
    // Cap: the first-token allowance + 10 tokens × 100 ms, ~3.6 s; the faker reports a token a second, so
    // its between-token deadline keeps moving and only the cap ends it.
    await bed.start({ RUN_CAP_MS_PER_TOKEN: '100' });
    const faker = await bed.rig(1001, 0n, 'fake-progress');
    const honest = await bed.rig(1002, 2_000n);
    const res = await generate(userClient(bed.proxy, 2001), 'still finished', 10);
    expect(res).toMatchObject({ text: 'STILL FINISHED', rigId: honest.id });
    expect(faker.worker.received).toHaveLength(1);
    expect((await jobRow()).fail_reason).toMatch(/run time cap/);
    expect(await failuresOf(faker.id)).toBe(1);
  });
});
