// The money side of a job: its hold taken at quote time, the receipt check and the ledger posting when it
// is done, and the hold given back when it fails or expires. Postings go through the trial-credit rules
// (ledger/trial-credit.ts): trial credit pays first and is never made withdrawable.
import {
  chargeFor,
  fromBase64,
  sealedResultBudget,
  sealedResultHash,
  verifyReceipt,
  type WorkerToProxy,
} from '@cocoon/shared';
import { keepForBond } from '../bonds/bonds';
import type { Db, Queryable } from '../db';
import {
  balanceOf,
  holdAccount,
  onchainAccount,
  postTx,
  starsAccount,
  type Transfer,
  trialAccount,
  userAccount,
} from '../ledger/ledger';
import { lockBalances } from '../ledger/repository';
import {
  cashCharged,
  chargeSplit,
  type HeldFrom,
  holdTransfers,
  ownerCashShare,
  releaseTransfers,
  settleTransfers,
} from '../ledger/trial-credit';
import { recordDeferredFailures, type StandingLimits } from '../rigs/standing';
import { holdStarsEarnings } from '../stars/earnings';
import type { JobRow } from './job-row';
import { lockForSettlement, markDoneAndCountForRig, markFailed, setVoucherDue } from './repository';

export type DoneMsg = Extract<WorkerToProxy, { type: 'done' }>;

export type SettleOutcome =
  | { kind: 'ignored' }
  | { kind: 'invalid'; problem: string }
  | {
      kind: 'settled';
      charge: ReturnType<typeof chargeFor>;
      /** For the "job done" log line: the model, tokens charged and ms since the job was created. */
      model: string;
      tokens: number;
      ms: number;
      /** Ms since the job was sent to the rig that ran it (the metrics' run latency). */
      runMs: number;
    };

/**
 * Locks the user's trial and Stars credit (so two quotes at once can't both count on them) and splits a hold
 * between them and the payer's money, in that order (ledger/trial-credit.ts). Post the transfers with
 * postHold once the job row exists.
 */
export async function planHold(
  q: Queryable,
  jobId: string,
  userId: string,
  hold: bigint,
  payer: string,
): Promise<{ fromTrial: bigint; fromStars: bigint; transfers: Transfer[] }> {
  const locked = await lockBalances(q, [trialAccount(userId), starsAccount(userId)]);
  return holdTransfers(
    jobId,
    userId,
    hold,
    { trial: locked.get(trialAccount(userId))!, stars: locked.get(starsAccount(userId))! },
    payer,
  );
}

/** How much of a job's hold came from trial and from Stars credit. */
export function heldFrom(job: Pick<JobRow, 'hold_trial_nano' | 'hold_stars_nano'>): HeldFrom {
  return { trial: BigInt(job.hold_trial_nano), stars: BigInt(job.hold_stars_nano) };
}

/** Where a job's non-trial money comes from and goes back to. */
export function payerOf(job: Pick<JobRow, 'user_id' | 'pays_onchain'>): string {
  return job.pays_onchain ? onchainAccount(job.user_id) : userAccount(job.user_id);
}

/** Takes a job's hold. Throws InsufficientFunds when the user's balance doesn't cover it. */
export async function postHold(q: Queryable, jobId: string, transfers: Transfer[]): Promise<void> {
  await postTx(q, { kind: 'hold', ref: jobId, uniqueKey: `hold:${jobId}`, transfers });
}

/** Gives a job's whole hold back where it came from. */
export async function releaseHold(q: Queryable, job: JobRow, kind: string): Promise<void> {
  const held = await balanceOf(q, holdAccount(job.id));
  await postTx(q, {
    kind,
    ref: job.id,
    uniqueKey: `release:${job.id}`,
    transfers: releaseTransfers(job.id, job.user_id, held, heldFrom(job), payerOf(job)),
  });
}

/** Ends a job as failed and gives its whole hold back. Call inside a transaction holding the job row. */
export async function failJob(q: Queryable, job: JobRow, reason: string): Promise<void> {
  await markFailed(q, job.id, reason);
  await releaseHold(q, job, 'release');
}

/**
 * Checks the receipt and settles, in one transaction: the user pays tokens × ask + fee, the owner gets
 * tokens × ask. A done from a rig the job isn't running on is ignored; a bad receipt is reported, not paid.
 */
export async function settleDone(
  db: Db,
  rigId: string,
  msg: DoneMsg,
  bondRules: Parameters<typeof keepForBond>[1] & StandingLimits & { STARS_EARNINGS_HOLD_MS: number },
): Promise<SettleOutcome> {
  return db.tx(async (q): Promise<SettleOutcome> => {
    const job = await lockForSettlement(q, msg.jobId);
    if (job?.state !== 'running' || job.rig_id !== rigId) return { kind: 'ignored' };
    const problem = receiptProblem(job, rigId, msg);
    if (problem) return { kind: 'invalid', problem };
    const price = BigInt(job.candidates[job.attempt].priceNanoPer1k);
    const tokens = msg.receipt.promptTokens + msg.receipt.completionTokens;
    const charge = chargeFor(tokens, price, job.fee_bps);
    const hold = BigInt(job.hold_nano);
    if (charge.totalNano > hold) return { kind: 'invalid', problem: 'usage costs more than the hold' };
    await postTx(q, {
      kind: 'settle',
      ref: job.id,
      uniqueKey: `settle:${job.id}`,
      transfers: settleTransfers({
        jobId: job.id,
        userId: job.user_id,
        ownerId: job.owner_id,
        hold,
        from: heldFrom(job),
        rigNano: charge.rigNano,
        feeNano: charge.feeNano,
        payer: payerOf(job),
      }),
    });
    // The rig's share paid from Stars credit is held until STARS_EARNINGS_HOLD_MS has passed (stars/earnings.ts).
    const fromStars = chargeSplit(heldFrom(job), charge.rigNano, charge.feeNano).rigFromStars;
    if (fromStars > 0n)
      await holdStarsEarnings(q, bondRules.STARS_EARNINGS_HOLD_MS, {
        key: `settle:${job.id}`,
        ownerId: job.owner_id,
        rigId,
        jobId: job.id,
        amount: fromStars,
      });
    // An on-chain payer owes a voucher for the cash part before its next job (onchain-accounts/payer.ts,
    // service.ts): never for work paid in trial or Stars credit.
    if (job.pays_onchain) {
      const due = cashCharged(heldFrom(job), charge.rigNano, charge.feeNano);
      if (due > 0n) await setVoucherDue(q, job.id, due);
    }
    await keepForBond(q, bondRules, {
      id: job.id,
      rigId,
      ownerId: job.owner_id,
      cashShare: ownerCashShare(heldFrom(job), charge.rigNano, charge.feeNano),
    });
    // The job row and the rig's counters in one statement.
    await markDoneAndCountForRig(q, {
      jobId: job.id,
      result: msg.result,
      auditCopy: msg.auditCopy ?? null,
      commitment: msg.receipt.commitment,
      promptTokens: msg.receipt.promptTokens,
      completionTokens: msg.receipt.completionTokens,
      priceNanoPer1k: price,
      costNano: charge.totalNano,
      rigNano: charge.rigNano,
      feeNano: charge.feeNano,
    });
    // Done here: rigs that refused it as bad input, or couldn't open it, were wrong (rigs/standing.ts).
    await recordDeferredFailures(q, job.id, bondRules);
    const now = Date.now();
    const ms = now - new Date(job.created_at).getTime();
    const runMs = job.started_at ? now - new Date(job.started_at).getTime() : ms;
    return { kind: 'settled', charge, model: job.model, tokens, ms, runMs };
  });
}

/** Why a usage receipt can't be paid, or null when it can. */
export function receiptProblem(
  job: JobRow & { ed25519_public_key: string | null },
  rigId: string,
  msg: DoneMsg,
): string | null {
  const r = msg.receipt;
  if (r.jobId !== job.id || r.rigId !== rigId || r.model !== job.model) return 'receipt is for another job';
  if (r.resultHash !== sealedResultHash(msg.result)) return 'result hash does not match';
  if (r.promptTokens > job.input_tokens) return 'prompt tokens above the quote';
  if (r.completionTokens > job.max_tokens) return 'completion tokens above maxTokens';
  // More sealed text than the token budget can hold: the result would flood the client.
  if (msg.result.ciphertext.length + msg.result.nonce.length > sealedResultBudget(job.max_tokens))
    return "result larger than the job's token budget allows";
  // Without the copy for the other candidates the job couldn't be audited: not paid, as if unfinished.
  const others = job.envelope?.recipients.some((c) => c.rigId !== rigId) ?? false;
  if (others && !msg.auditCopy) return 'no audit copy of the result for the other candidates';
  if (
    msg.auditCopy &&
    msg.auditCopy.ciphertext.length + msg.auditCopy.nonce.length > sealedResultBudget(job.max_tokens)
  )
    return "audit copy larger than the job's token budget allows";
  const pub = job.ed25519_public_key;
  if (!pub || !verifyReceipt(r, msg.signature, fromBase64(pub))) return 'bad signature';
  return null;
}
