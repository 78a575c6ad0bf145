// The candidate rule: the cheapest rig first, the other slots drawn at random among affordable rigs (they are
// the job's possible auditors), other owners before a second rig of an owner, failover cheapest first.
import { describe, expect, it } from 'vitest';
import { pickCandidates, type RankedRig } from './candidates';

function rig(id: string, ownerId: string, price: number): RankedRig {
  return {
    rigId: id,
    ownerId,
    priceNanoPer1k: String(price),
    x25519PublicKey: '',
    ed25519PublicKey: '',
    device: 'cpu',
    trust: 'open',
    running: 0,
    slots: 1,
    expectedWaitMs: 0,
    successRate: 1,
  };
}

/** A seeded generator, so the draws are the same run after run. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('pickCandidates', () => {
  const ranked = [
    rig('a', 'o1', 100),
    rig('b', 'o2', 110),
    rig('c', 'o3', 120),
    rig('d', 'o4', 130),
    rig('e', 'o5', 140),
    rig('f', 'o1', 150),
    rig('z', 'o6', 10_000), // over the hold multiple: never a candidate
  ];

  it('draws the other slots at random among affordable rigs, not simply the next cheapest', () => {
    const seen = new Set<string>();
    for (let s = 1; s <= 200; s++) {
      const { candidates, heldPriceNanoPer1k } = pickCandidates(ranked, 3, 1n, 3, seeded(s));
      const ids = candidates.map((c) => c.rigId);
      expect(ids[0]).toBe('a');
      expect(ids).toHaveLength(3);
      expect(ids).not.toContain('z');
      // Other owners before o1's second rig; failover cheapest first; the hold covers the dearest drawn.
      expect(ids).not.toContain('f');
      const prices = candidates.map((c) => Number(c.priceNanoPer1k));
      expect([...prices].sort((x, y) => x - y)).toEqual(prices);
      expect(heldPriceNanoPer1k).toBe(BigInt(Math.max(...prices)));
      for (const id of ids.slice(1)) seen.add(id);
    }
    expect([...seen].sort()).toEqual(['b', 'c', 'd', 'e']);
  });

  it("takes a second rig of an owner only when no other owner's rig is left", () => {
    const two = [rig('a', 'o1', 100), rig('b', 'o2', 110), rig('f', 'o1', 150)];
    expect(pickCandidates(two, 3, 1n).candidates.map((c) => c.rigId)).toEqual(['a', 'b', 'f']);
  });
});
