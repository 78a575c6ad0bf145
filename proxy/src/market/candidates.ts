// The market rule: eligible rigs are online, in the tier asked for (attestation/service.ts), serve the model and kind, are not paused, revoked, cooling down
// or quarantined (rigs/standing.ts), are bonded for their unaudited work or in probation (bonds/bonds.ts) and ask at most the client's max price and the ask ceiling;
// a busy rig stays a candidate: the job waits in line for it (jobs/queue.ts). The
// operator's rigs stay in the list while cooling down, and at any ask, but only as the anchor: they audit
// there and never run the job (auditOnly), so a user's bad-input jobs can't take the anchor away.
// Cheapest first, then shortest expected wait, then best success rate.
import type { Candidate, TrustTier } from '@cocoon/shared';
import { weightedDraw } from '../audits/trust';
import type { bondedSql } from '../bonds/repository';
import type { Queryable } from '../db';
import { cheapestAskRow, eligibleRigRows } from './repository';

export interface RankedRig extends Candidate {
  ownerId: string;
  running: number;
  slots: number;
  expectedWaitMs: number;
  successRate: number;
  /** A trusted auditor (audits/trust.ts), the operator's own, and its bond: what the anchor draw weighs. */
  auditor: { trusted: boolean; operator: boolean; bondNano: bigint };
  /** The operator's rig cooling down (rigs/standing.ts): it may be the anchor, never run a job. */
  coolingDown?: boolean;
  /** In a quote: a candidate only there to audit (the job never goes to it: jobs/dispatch.ts claimRig). */
  auditOnly?: boolean;
}

export async function eligibleRigs(
  q: Queryable,
  req: { model: string; kind: string; maxPriceNanoPer1k?: bigint; minTrust?: TrustTier },
  askCeilingNanoPer1k: bigint,
  /** Bonds: past probation a rig is offered only while its unvouched work is below its bond (bonds/bonds.ts). */
  bondRules: Parameters<typeof bondedSql>[0],
  /** For the `tdx` tier: the "model:digest" pairs the attestation policy allows; null: any digest. */
  tdxModelDigests: string[] | null = null,
): Promise<RankedRig[]> {
  const r = await eligibleRigRows(q, req, askCeilingNanoPer1k, bondRules, tdxModelDigests);
  return r
    .map((row) => {
      const running = Number(row.running);
      const avgMs = row.jobs_done ? Number(row.total_job_ms) / row.jobs_done : 1000;
      const finished = row.jobs_done + row.jobs_failed;
      return {
        rigId: row.id,
        ownerId: row.owner_id,
        priceNanoPer1k: row.price,
        x25519PublicKey: row.x25519_public_key,
        ed25519PublicKey: row.ed25519_public_key,
        device: row.device,
        trust: row.trust_tier,
        running,
        slots: row.slots,
        expectedWaitMs: (running / row.slots) * avgMs,
        successRate: finished ? row.jobs_done / finished : 1,
        auditor: { trusted: row.trusted, operator: row.operator, bondNano: BigInt(row.bond) },
        coolingDown: row.cooling,
      };
    })
    .sort(
      (a, b) =>
        compareBig(BigInt(a.priceNanoPer1k), BigInt(b.priceNanoPer1k)) ||
        a.expectedWaitMs - b.expectedWaitMs ||
        b.successRate - a.successRate,
    );
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The candidates a quote offers and the price it holds for: the first eligible rig of `ranked` (the
 * cheapest, or the soonest when the client asks for speed: market/speed.ts) first, then others
 * asking no more than `holdMultiple` × the cheapest ask (or × `floorNanoPer1k`, when the cheapest asks less:
 * a rig asking 0 must not leave a job no rig to fail over to). The hold is for the highest of those. So
 * an outlier ask, however absurd, can't raise a hold, and a failover to a pricier candidate still settles
 * within it. The other slots are the job's possible auditors (audits/service.ts), so a cheater must not be
 * able to pick them by its ask: one is the anchor (drawAnchor), a trusted auditor of another owner drawn by
 * stake, not price; the rest are drawn at random among those rigs, other owners first. The operator's rig
 * may be the anchor while cooling down or asking above the ceiling: then it is auditOnly (the job never fails
 * over to it) and its ask doesn't count toward the hold.
 */
export function pickCandidates(
  ranked: RankedRig[],
  holdMultiple: number,
  floorNanoPer1k: bigint,
  max = 3,
  random: () => number = Math.random,
): { candidates: RankedRig[]; heldPriceNanoPer1k: bigint } {
  // Busy rigs stay: a job waits in line for a free slot (jobs/queue.ts), and is dispatched only into one.
  const open = ranked.filter((c) => !c.coolingDown);
  if (open.length === 0) return { candidates: [], heldPriceNanoPer1k: 0n };
  // The cheapest ask sets the ceiling whatever the order (speed first reorders: market/speed.ts bySpeed).
  const cheapest = open.reduce(
    (m, c) => (BigInt(c.priceNanoPer1k) < m ? BigInt(c.priceNanoPer1k) : m),
    BigInt(open[0].priceNanoPer1k),
  );
  const ceiling = (cheapest > floorNanoPer1k ? cheapest : floorNanoPer1k) * BigInt(holdMultiple);
  const affordable = open.filter((c) => BigInt(c.priceNanoPer1k) <= ceiling);
  const [first, ...rest] = affordable;
  const auditOnly = (c: RankedRig) => c.coolingDown === true || BigInt(c.priceNanoPer1k) > ceiling;
  const anchors = ranked.filter((c) => c !== first && (c.auditor.operator || !auditOnly(c)));
  const anchor = max > 1 ? drawAnchor(anchors, first.ownerId, random) : undefined;
  // Other owners first: whoever runs many cheap rigs takes one place in a job's failover list while rigs of
  // other owners are there to take the rest, so one owner's rigs can't deny a job every way out (or audit
  // it). Only when no other owner has a rig does a job fail over among one owner's rigs.
  const others = shuffled(
    rest.filter((c) => c !== anchor),
    random,
  );
  const owners = new Set<string>([first.ownerId, ...(anchor ? [anchor.ownerId] : [])]);
  const firstOfEachOwner = others.filter((c) => !owners.has(c.ownerId) && owners.add(c.ownerId));
  const drawn = [
    ...(anchor ? [anchor] : []),
    ...firstOfEachOwner,
    ...others.filter((c) => !firstOfEachOwner.includes(c)),
  ].slice(0, max - 1);
  // Failover goes in the order of `ranked` (cheapest first by default) among those drawn.
  const candidates = [first, ...drawn.sort((a, b) => ranked.indexOf(a) - ranked.indexOf(b))].map((c) =>
    c === anchor && auditOnly(c) ? { ...c, auditOnly: true } : c,
  );
  const held = candidates.reduce(
    (m, c) => (!c.auditOnly && BigInt(c.priceNanoPer1k) > m ? BigInt(c.priceNanoPer1k) : m),
    0n,
  );
  return { candidates, heldPriceNanoPer1k: held };
}

/**
 * The anchor: a trusted auditor (audits/trust.ts) of another owner than the first candidate's, so every job
 * has an auditor its cheapest rig's owner can't choose. The operator's own rig when one is there; else drawn
 * with a chance proportional to its bond: a fresh rig weighs nothing, and an owner's many rigs share the
 * stake of that owner.
 */
export function drawAnchor(
  rest: readonly RankedRig[],
  firstOwnerId: string,
  random: () => number,
): RankedRig | undefined {
  const pool = rest.filter((c) => c.auditor.trusted && c.ownerId !== firstOwnerId);
  const operators = pool.filter((c) => c.auditor.operator);
  if (operators.length) return operators[Math.floor(random() * operators.length)];
  return weightedDraw(pool, (c) => c.auditor.bondNano, random);
}

/** The cheapest ask online for a model regardless of the client's limit, to say what it would take. */
export async function cheapestAsk(q: Queryable, model: string, kind: string): Promise<bigint | null> {
  const r = await cheapestAskRow(q, model, kind);
  return r?.p ? BigInt(r.p) : null;
}

/** A random permutation (Fisher–Yates). */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
