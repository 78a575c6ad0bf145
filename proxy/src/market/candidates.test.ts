// The candidate rule: the cheapest rig first, the other slots drawn at random among affordable rigs (they are
// the job's possible auditors), other owners before a second rig of an owner, failover cheapest first.
import { describe, expect, it } from 'vitest';
import { drawAnchor, pickCandidates, type RankedRig } from './candidates';

function rig(
  id: string,
  ownerId: string,
  price: number,
  auditor: RankedRig['auditor'] = { trusted: false, operator: false, bondNano: 0n },
): RankedRig {
  return {
    auditor,
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

  it('names an anchor drawn by stake, not price: fresh Sybil rigs next to the cheapest never fill both slots', () => {
    const bonded = (n: bigint) => ({ trusted: true, operator: false, bondNano: n });
    // Ten fresh rigs of a Sybil priced just above the cheapest, and two bonded rigs of other owners.
    const market = [
      rig('a', 'o1', 100),
      ...Array.from({ length: 10 }, (_, i) => rig(`s${i}`, `sybil${i}`, 101)),
      rig('h1', 'o2', 250, bonded(3_000_000_000n)),
      rig('h2', 'o3', 250, bonded(1_000_000_000n)),
    ];
    for (let s = 1; s <= 200; s++) {
      const ids = pickCandidates(market, 3, 1n, 3, seeded(s)).candidates.map((c) => c.rigId);
      expect(ids.some((id) => id === 'h1' || id === 'h2')).toBe(true);
    }
    const anchors = { h1: 0, h2: 0 };
    const random = seeded(7);
    for (let i = 0; i < 400; i++) anchors[drawAnchor(market.slice(1), 'o1', random)!.rigId as 'h1' | 'h2']++;
    // Weighted by bond (3 : 1), not by count or price.
    expect(anchors.h1).toBeGreaterThan(anchors.h2 * 2);
    expect(anchors.h2).toBeGreaterThan(0);
  });

  it("prefers the operator's rig as the anchor, and never the first candidate's owner", () => {
    const market = [
      rig('a', 'o1', 100, { trusted: true, operator: false, bondNano: 10n ** 12n }),
      rig('a2', 'o1', 110, { trusted: true, operator: false, bondNano: 10n ** 12n }),
      rig('b', 'o2', 120, { trusted: true, operator: false, bondNano: 10n ** 12n }),
      rig('op', 'operator', 290, { trusted: true, operator: true, bondNano: 0n }),
    ];
    for (let s = 1; s <= 50; s++) {
      const ids = pickCandidates(market, 3, 1n, 3, seeded(s)).candidates.map((c) => c.rigId);
      expect(ids).toContain('op');
      expect(ids).toEqual(['a', 'b', 'op']);
    }
  });

  it("keeps the operator's rig the anchor while its slots are full (it only has to audit)", () => {
    const busyOp = {
      ...rig('op', 'operator', 150, { trusted: true, operator: true, bondNano: 0n }),
      running: 1,
    };
    const bonded = { trusted: true, operator: false, bondNano: 10n ** 9n };
    const market = [rig('a', 'o1', 100), rig('b', 'o2', 110, bonded), rig('c', 'o3', 120, bonded), busyOp];
    for (let s = 1; s <= 50; s++) {
      const ids = pickCandidates(market, 3, 1n, 3, seeded(s)).candidates.map((c) => c.rigId);
      expect(ids[0]).toBe('a');
      expect(ids).toContain('op');
    }
    // A busy rig stays a candidate, cheapest first as ever: the job waits for a free slot on one of its
    // candidates, whichever frees first (jobs/queue.ts).
    expect(
      pickCandidates([{ ...rig('a', 'o1', 1), running: 1 }, rig('b', 'o2', 2)], 3, 1n).candidates.map(
        (c) => c.rigId,
      ),
    ).toEqual(['a', 'b']);
  });

  it("takes the operator's rig as the anchor at any ask, and cooling down, but only to audit: it sets no hold", () => {
    const op = rig('op', 'operator', 10_000, { trusted: true, operator: true, bondNano: 0n });
    const bonded = { trusted: true, operator: false, bondNano: 10n ** 9n };
    const market = [rig('a', 'o1', 100), rig('b', 'o2', 101, bonded), op];
    const dear = pickCandidates(market, 3, 1n, 3, seeded(1));
    expect(dear.candidates.map((c) => [c.rigId, c.auditOnly ?? false])).toEqual([
      ['a', false],
      ['b', false],
      ['op', true],
    ]);
    expect(dear.heldPriceNanoPer1k).toBe(101n);
    // Cooling down (rigs/standing.ts): the same, at an affordable ask; never the first candidate.
    const cooling = { ...op, priceNanoPer1k: '100', coolingDown: true };
    const cool = pickCandidates(
      [cooling, rig('a', 'o1', 100), rig('b', 'o2', 101, bonded)],
      3,
      1n,
      3,
      seeded(2),
    );
    expect(cool.candidates[0].rigId).toBe('a');
    expect(cool.candidates.find((c) => c.rigId === 'op')?.auditOnly).toBe(true);
    // Another owner's rig above the ceiling is still no candidate.
    const other = { ...op, auditor: bonded };
    expect(pickCandidates([rig('a', 'o1', 100), other], 3, 1n).candidates.map((c) => c.rigId)).toEqual(['a']);
  });
});
