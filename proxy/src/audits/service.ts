// Audits by other rigs. After a job is settled the proxy decides whether to audit it (every job of a rig in
// probation, then AUDIT_RATE of them, more for a rig with disputed jobs), so the executing rig can't tell an
// audited job from another. The auditor checks the result against the signed receipt, re-runs or scores it,
// and answers with a signed verdict.
//
// Who may audit and who may convict is trust.ts: only trusted auditors (the operator's rigs, or rigs past
// probation with a bond, vouched for by trusted auditors) among the envelope's recipients, never of the
// audited rig's owner or a rig that tried the job first, two auditors of one job of two owners, the operator's rig asked first. One trusted
// pass vouches for the job. A fail is a conviction (the rig pays back every job nothing vouches for, from its
// bond first, and is quarantined) only when the operator's rig says so, or trusted auditors of two owners
// whose bonds together cover that refund; otherwise a second auditor is asked, and what stays short of that
// is disputed: no money moves, nobody is quarantined, the rig is audited more often. An auditor the
// operator's rig outvotes loses its bond and never audits again. Auditors are paid as consequences.ts says.
//
// Token counts, and why one recount doesn't move money. Money moves on one party's word only when the proxy
// can redo the check itself. What it can redo it does at settlement (jobs/settlement.ts): prompt tokens no
// more than the client's quoted inputTokens (the client's own bound over the text it sealed), completion
// tokens no more than maxTokens; a receipt past either is not paid. Beyond that, an over-billing receipt is
// not provable to the proxy today:
// - The prompt count is deterministic (the pinned tokenizer over the prompt and chat template), so an
//   honest auditor's "the receipt says 36, the tokenizer counts 4" is right. But redoing it needs the
//   prompt, which the proxy never holds (revealing the audit copy's key would show the result, never the
//   prompt; revealing the prompt breaks the open tier's promise), and a tokenizer the proxy doesn't load. So
//   it is one auditor's claim, which a hostile auditor could make as easily of an honest rig; refunding
//   "just the difference" on it would let any auditor move honest rigs' earnings. It is a fail like any
//   other, judged by the rules above.
// - The completion count of sampled output is not even evidence: the auditor re-encodes the text, and a
//   sampled split need not be the tokenizer's canonical one, so an honest receipt can differ. The audit
//   runner answers 'unable' there (worker/src/audit-runner.ts), and 'fail' only for a count past one token
//   per byte of the text, which no split can reach; deterministic jobs (summaries, re-run) still count
//   their own re-run's ids.
// With the token ids the rig commits to (the engine issue, #27) the completion count becomes the ids'
// length, a check anyone who opens the copy can redo, which then convicts on its own; the prompt count stays
// checkable by the job's recipients alone (the client and the candidates), never by the proxy.
import { randomUUID } from 'node:crypto';
import {
  fromBase64,
  type ProxyToWorker,
  requestHash,
  verifyVerdict,
  type WorkerToProxy,
} from '@cocoon/shared';
import type { Logger } from '@cocoon/shared/node';
import { forfeitBond } from '../bonds/bonds';
import type { Config } from '../config';
import type { Db, Queryable } from '../db';
import type { WorkerRegistry } from '../jobs/worker-registry';
import { recordRigFailure } from '../rigs/standing';
import { auditorPay, jobMoney, payAuditor, refundUnvouched } from './consequences';
import {
  type AuditedJob,
  auditedJob,
  auditorAsk,
  auditorStandings,
  auditsOfJob,
  banFromAuditing,
  eligibleAuditors,
  expireAudits,
  exposureOf,
  insertAudit,
  lockAudit,
  quarantine,
  recordPassed,
  recordVerdict,
  rigKey,
  setAuditState,
  vouchDisputed,
} from './repository';
import { chooseAuditor, type Judgement, judge, type Verdict } from './trust';

export type VerdictMsg = Extract<WorkerToProxy, { type: 'verdict' }>;

/**
 * Whether a settled job is audited: every job of a rig in probation (its first AUDIT_PROBATION_JOBS, counted
 * again from a quarantine), else AUDIT_RATE of them, twice that for a rig with disputed jobs on its record (one
 * auditor said it was wrong and nobody could settle it; capped at one extra AUDIT_RATE however many, so a
 * hostile auditor's disputes can't raise it without end). The operator's own rigs
 * have no probation.
 */
export function shouldAudit(
  rig: { owner_id: string; jobs_done: number; probation_from: number; disputed?: number },
  config: Pick<Config, 'AUDIT_RATE' | 'AUDIT_PROBATION_JOBS' | 'OPERATOR_OWNER_IDS'>,
  random: () => number,
): boolean {
  const probation =
    !config.OPERATOR_OWNER_IDS.includes(rig.owner_id) &&
    rig.jobs_done - rig.probation_from <= config.AUDIT_PROBATION_JOBS;
  // Disputes add one AUDIT_RATE at most: a hostile auditor disputing every job can't raise it without end.
  return probation || random() < config.AUDIT_RATE * (1 + Math.min(1, rig.disputed ?? 0));
}
type AuditOrder = { auditorRigId: string; message: Extract<ProxyToWorker, { type: 'audit' }> };

/** Why a verdict was refused; nothing moved. */
export class VerdictRefused extends Error {}

export class AuditService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly workers: WorkerRegistry,
    private readonly log: Logger,
    /** Where the audit draw's randomness comes from (tests pin it). */
    private readonly random: () => number = Math.random,
  ) {}

  /** A job was settled on `rigId`: audit it, or not. Never throws (an audit must not undo a settlement). */
  async afterSettled(jobId: string): Promise<void> {
    return this.maybeAudit(jobId, false);
  }

  /**
   * The job's client reported its result (jobs/service.ts report: it didn't match the signed commitment, or
   * didn't count its token ids): audit it whatever the draw, if it wasn't audited already. Otherwise a rig
   * over-billing past probation was caught only by the AUDIT_RATE draw, the client's proof unused. A report
   * is its own job's (once per reason), so a user can at most have each of their jobs audited once.
   */
  async afterReport(jobId: string): Promise<void> {
    return this.maybeAudit(jobId, true);
  }

  private async maybeAudit(jobId: string, reported: boolean): Promise<void> {
    try {
      const order = await this.db.tx(async (q) => {
        const job = await auditedJob(q, jobId, true);
        if (!job || job.audit_state !== null) return null;
        // A job that was still running when audits proved its rig wrong is paid back as the others were.
        if (job.proven_wrong_at) {
          await refundUnvouched(q, job.rig_id, job.owner_id, 0n, job.id);
          return null;
        }
        if (!reported && !shouldAudit(job, this.config, this.random)) return null;
        return this.orderAudit(q, job, 1);
      });
      if (order) this.send(order);
    } catch (err) {
      this.log.error({ err, jobId }, 'could not start an audit');
    }
  }

  /** Picks an auditor and records the audit, or marks the job unauditable. */
  private async orderAudit(q: Queryable, job: AuditedJob, round: 1 | 2): Promise<AuditOrder | null> {
    const auditors = job.audit_copy ? await eligibleAuditors(q, job, this.config) : [];
    // Only auditors this proxy holds a socket for can be sent the audit right now.
    const auditor = chooseAuditor(
      auditors.filter((a) => this.workers.get(a.id)),
      this.random,
    );
    if (!auditor) {
      if (round === 1) await setAuditState(q, job.id, 'unauditable');
      return null;
    }
    const id = randomUUID();
    await insertAudit(q, { id, jobId: job.id, auditedRigId: job.rig_id, auditorRigId: auditor.id, round });
    await setAuditState(q, job.id, 'pending');
    return {
      auditorRigId: auditor.id,
      message: {
        type: 'audit',
        auditId: id,
        jobId: job.id,
        model: job.model,
        kind: job.kind,
        envelope: job.envelope,
        aad: job.id,
        auditCopy: job.audit_copy!,
        receipt: {
          promptTokens: job.prompt_tokens,
          completionTokens: job.completion_tokens,
          commitment: job.result_commitment,
        },
        inputTokens: job.input_tokens,
        maxTokens: job.max_tokens,
      },
    };
  }

  private send(order: AuditOrder): void {
    const conn = this.workers.get(order.auditorRigId);
    if (conn) conn.send(order.message);
  }

  /**
   * A verdict from `rigId`. Refused (VerdictRefused, with the reason) when it is not for an audit given to
   * that rig, names another job, request or result, is signed by another key, or comes twice.
   */
  async handleVerdict(rigId: string, msg: VerdictMsg): Promise<void> {
    const next = await this.db.tx(async (q) => {
      const audit = await lockAudit(q, msg.auditId);
      if (!audit) throw new VerdictRefused('no such audit');
      if (audit.auditor_rig_id !== rigId) throw new VerdictRefused('this audit was not given to this rig');
      if (audit.state !== 'sent') throw new VerdictRefused('this audit already has a verdict');
      if (msg.jobId !== audit.job_id)
        throw new VerdictRefused('the verdict names another job than its audit');
      const job = await auditedJob(q, audit.job_id, true);
      if (!job) throw new VerdictRefused('the audited job is gone');
      if (msg.requestHash !== requestHash(job.envelope))
        throw new VerdictRefused("the verdict names another request than the job's");
      if (msg.commitment !== job.result_commitment)
        throw new VerdictRefused("the verdict names another result than the job's receipt");
      const auditor = await rigKey(q, rigId);
      if (!auditor?.ed25519_public_key) throw new VerdictRefused('the auditing rig has no key');
      if (auditor.owner_id === job.owner_id)
        throw new VerdictRefused("an auditor can't be owned by the audited rig's owner");
      if (!verifyVerdict(msg, msg.signature, fromBase64(auditor.ed25519_public_key)))
        throw new VerdictRefused('bad verdict signature');

      await recordVerdict(q, audit.id, {
        state: msg.outcome,
        agreementPpm: msg.agreementPpm,
        reason: msg.reason,
        signature: msg.signature,
      });
      // Already paid back (its rig was proven wrong on another job meanwhile): the verdict is kept and its
      // auditor paid, but nothing about the job changes any more.
      if (job.audit_state === 'refunded') {
        if (msg.outcome !== 'unable') await this.payAuditors(q, job, [audit.id]);
        return null;
      }
      return this.decide(q, job, audit.round, rigId);
    });
    if (next) this.send(next);
  }

  /** What the verdicts so far decide (trust.ts judge); a second audit to send, if one is needed. */
  private async decide(
    q: Queryable,
    job: AuditedJob,
    round: number,
    lastAuditor: string,
  ): Promise<AuditOrder | null> {
    const verdicts = await this.verdicts(q, job);
    const judgement = judge(verdicts, {
      accusedIsOperator: this.config.OPERATOR_OWNER_IDS.includes(job.owner_id),
      refundNano: await exposureOf(q, job.rig_id),
      bondsOn: this.config.BOND_NANO > 0n,
    });
    if (judgement.kind === 'none' || judgement.kind === 'second-opinion') {
      // Nobody that counts could check it, or one auditor against the rig: ask another, once. With no one to
      // ask the job stays unaudited (its rig's earnings from it no longer held back), or disputed.
      const second = round === 1 ? await this.orderAudit(q, job, 2) : null;
      if (!second) await setAuditState(q, job.id, judgement.kind === 'none' ? 'unauditable' : 'disputed');
      return second;
    }
    if (judgement.kind === 'disputed') {
      await setAuditState(q, job.id, 'disputed');
      // A trusted pass still vouches for the job: it no longer counts toward the bond cap (trust.ts).
      if (judgement.vouched) await vouchDisputed(q, job.id);
      this.log.warn({ jobId: job.id, rigId: job.rig_id, lastAuditor }, 'audit disputed: nothing moves');
      return null;
    }
    if (judgement.kind === 'passed') await this.passed(q, job, judgement.paid);
    else await this.provenWrong(q, job, judgement.paid);
    await this.outvote(q, job, judgement.outvoted);
    return null;
  }

  /** The job's pass and fail verdicts, each with its auditor's standing now. */
  private async verdicts(q: Queryable, job: AuditedJob): Promise<Verdict[]> {
    const said = (await auditsOfJob(q, job.id)).filter((a) => a.state === 'pass' || a.state === 'fail');
    const standing = await auditorStandings(
      q,
      said.map((a) => a.auditor_rig_id),
      this.config,
    );
    return said.flatMap((a) => {
      const s = standing.get(a.auditor_rig_id);
      return s ? [{ ...s, auditId: a.id, outcome: a.state as Verdict['outcome'] }] : [];
    });
  }

  /** Auditors the operator's rig outvoted: their bond goes to the platform, and they never audit again. */
  private async outvote(
    q: Queryable,
    job: AuditedJob,
    outvoted: Extract<Judgement, { kind: 'passed' }>['outvoted'],
  ): Promise<void> {
    for (const v of outvoted) {
      const lost = await forfeitBond(q, v.id, v.auditId);
      await banFromAuditing(q, v.id);
      this.log.warn(
        { jobId: job.id, rigId: v.id, lostNano: lost.toString() },
        "auditor outvoted by the operator's rig: bond forfeited, no more audits",
      );
    }
  }

  private async passed(q: Queryable, job: AuditedJob, auditIds: string[]): Promise<void> {
    await setAuditState(q, job.id, 'passed');
    await recordPassed(q, job.rig_id, job.id);
    await this.payAuditors(q, job, auditIds);
  }

  private async provenWrong(q: Queryable, job: AuditedJob, auditIds: string[]): Promise<void> {
    const r = await refundUnvouched(q, job.rig_id, job.owner_id, this.config.AUDIT_PENALTY_NANO, job.id);
    await quarantine(q, job.rig_id, `audits of job ${job.id} found its result wrong`, true);
    await this.payAuditors(q, job, auditIds);
    this.log.warn(
      { jobId: job.id, rigId: job.rig_id, refundedJobs: r.jobs, refundedNano: r.refundedNano.toString() },
      'rig proven wrong by audit: refunded and quarantined',
    );
  }

  /** Pays the auditors `auditIds` of `job`: together at most its fee, in the money that paid it. */
  private async payAuditors(q: Queryable, job: AuditedJob, auditIds: string[]): Promise<void> {
    const all = await auditsOfJob(q, job.id);
    const money = jobMoney(job);
    for (const a of all.filter((x) => auditIds.includes(x.id))) {
      const row = await auditorAsk(q, a.auditor_rig_id, job.model);
      if (!row) continue;
      const ask = BigInt(row.price ?? job.price_nano_per_1k);
      const asked = auditorPay(job, ask);
      await payAuditor(
        q,
        money,
        { auditId: a.id, ownerId: row.owner_id, asked, rigId: a.auditor_rig_id },
        all.map((x) => x.id),
        this.config.STARS_EARNINGS_HOLD_MS,
      );
    }
  }

  /**
   * Audits without a verdict in time. The silent auditor lost the audit as a rig that stalls loses a job
   * (rigs/standing.ts: repeated, it cools down), and the job is judged on the verdicts it has (judge): a fail
   * with no second verdict is disputed, never erased; with no verdict at all after the first round a second
   * auditor is asked, and with none to ask the job is unaudited.
   */
  async sweep(): Promise<void> {
    const expired = await expireAudits(this.db, this.config.AUDIT_TIMEOUT_MS);
    for (const a of expired) await recordRigFailure(this.db, a.auditor_rig_id, this.config);
    for (const jobId of new Set(expired.map((a) => a.job_id))) {
      const next = await this.db.tx(async (q) => {
        const job = await auditedJob(q, jobId, true);
        const audits = await auditsOfJob(q, jobId);
        if (job?.audit_state !== 'pending' || audits.some((a) => a.state === 'sent')) return null;
        const last = audits[audits.length - 1];
        return this.decide(q, job, last.round, last.auditor_rig_id);
      });
      if (next) this.send(next);
    }
  }
}
