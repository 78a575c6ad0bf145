// A rig owner's view over time: jobs, tokens and earnings by day, how often the rig ran the jobs it was
// offered, and how many of the last day's jobs another ask would have won.
import { describe, expect, it } from 'vitest';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';

const bed = useTestBed();

describe('rig history', () => {
  it('counts days, fill and what another ask would have won', async () => {
    await bed.start();
    const cheap = await bed.rig(1001, 1_000_000n);
    const dear = await bed.rig(1002, 2_000_000n);
    const user = userClient(bed.proxy, 2001);
    const runs = [];
    for (let i = 0; i < 3; i++)
      runs.push(
        await user.runJob({
          model: 'test-echo',
          body: { kind: 'generate', prompt: `job ${i} here`, maxTokens: 5 },
        }),
      );
    expect(runs.every((r) => r.rigId === cheap.id)).toBe(true);

    const mine = await cheap.owner.rigHistory(cheap.id);
    expect(mine.days).toHaveLength(30);
    const today = mine.days.at(-1)!;
    expect(today.day).toBe(new Date().toISOString().slice(0, 10));
    expect(today.jobs).toBe(3);
    const earned = (await cheap.owner.rigs()).rigs[0].earningsNano;
    expect(today.earningsNano).toBe(earned);
    expect(mine.days.slice(0, -1).every((d) => d.jobs === 0)).toBe(true);
    expect(mine.fill).toEqual({ offered: 3, ran: 3 });

    // The dearer rig was offered every job and ran none; at half its ask it would have won them all (ties
    // count), at its own ask none.
    const theirs = await dear.owner.rigHistory(dear.id);
    expect(theirs.fill).toEqual({ offered: 3, ran: 0 });
    expect(theirs.jobsLastDay).toBe(3);
    const at = (ask: bigint) => theirs.askEstimate.find((e) => e.askNanoPer1k === ask.toString())?.jobsWon;
    expect(at(1_000_000n)).toBe(3);
    expect(at(2_000_000n)).toBe(0);

    // Another owner's rig is not yours to read.
    await expect(cheap.owner.rigHistory(dear.id)).rejects.toThrow();
  });
});
