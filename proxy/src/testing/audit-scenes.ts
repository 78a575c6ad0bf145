// Helpers for audit scenes on a test bed: waiting for an outcome, reading a job's audit state, funding an
// account, and making a rig a trusted auditor (audits/trust.ts). Kept out of ./index with test-bed.ts.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db';
import { postTx, SYSTEM, userAccount } from '../ledger/ledger';
import { pastProbation } from './harness';
import type { useTestBed } from './test-bed';

type Bed = ReturnType<typeof useTestBed>;
type RigArgs = Parameters<Bed['rig']>;

/** Polls `get` every 50 ms until it gives a value; throws naming `what` after `tries` polls. */
export async function until<T>(
  what: string,
  get: () => T | undefined | Promise<T | undefined>,
  tries = 200,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function auditState(db: Db, jobId: string): Promise<string | null> {
  const r = await db.query<{ audit_state: string | null }>('SELECT audit_state FROM jobs WHERE id = $1', [
    jobId,
  ]);
  return r.rows[0]?.audit_state ?? null;
}

/** The job's audit state once its audits are decided (neither none yet nor pending). */
export const decided = (db: Db, jobId: string) =>
  until('a decision', async () => {
    const s = await auditState(db, jobId);
    return s === null || s === 'pending' ? undefined : s;
  });

/** Credits `amount` to a user's withdrawable balance, as a deposit would. */
export async function fund(db: Db, userId: number, amount: bigint): Promise<void> {
  await postTx(db, {
    kind: 'deposit',
    uniqueKey: `test-fund:${userId}:${randomUUID()}`,
    transfers: [{ from: SYSTEM.deposits, to: userAccount(String(userId)), amount }],
  });
}

/** A rig past probation with `bond` at stake: a trusted auditor. */
export async function trustedRig(
  bed: Bed,
  bond: bigint,
  ownerId: number,
  ask: bigint,
  behaviour?: RigArgs[2],
  opts?: RigArgs[3],
) {
  const rig = await bed.rig(ownerId, ask, behaviour, opts);
  await fund(bed.db, ownerId, bond);
  await rig.owner.addBond(rig.id, bond);
  await pastProbation(bed.db, [rig.id], 3);
  return rig;
}
