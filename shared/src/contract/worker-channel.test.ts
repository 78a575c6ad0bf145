// The heartbeat's progress report is rig-controlled input: bounded in entries and in counts, and optional
// (an older worker's heartbeat still parses, reporting no progress and nothing queued).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { workerToProxy } from './worker-channel';

const ids = (n: number) => Array.from({ length: n }, () => randomUUID());

describe('the heartbeat', () => {
  it("parses an older worker's heartbeat with no progress and nothing queued", () => {
    const [id] = ids(1);
    expect(workerToProxy.parse({ type: 'heartbeat', running: [id] })).toEqual({
      type: 'heartbeat',
      running: [id],
      queued: [],
      progress: [],
    });
  });

  it('takes tokens done per job, and refuses a report past its bounds', () => {
    const beat = (progress: unknown, queued: unknown = []) =>
      workerToProxy.safeParse({ type: 'heartbeat', running: [], queued, progress }).success;
    expect(beat(ids(64).map((jobId) => ({ jobId, tokens: 1_000_000 })))).toBe(true);
    expect(beat(ids(65).map((jobId) => ({ jobId, tokens: 1 })))).toBe(false);
    expect(beat([{ jobId: randomUUID(), tokens: 1_000_001 }])).toBe(false);
    expect(beat([{ jobId: randomUUID(), tokens: -1 }])).toBe(false);
    expect(beat([{ jobId: randomUUID(), tokens: 1.5 }])).toBe(false);
    expect(beat([{ jobId: 'not-a-job', tokens: 1 }])).toBe(false);
    expect(beat([], ids(65))).toBe(false);
  });
});
