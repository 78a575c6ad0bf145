// Audits by other rigs. After a job is settled the proxy decides whether to audit it (every job of a rig in
// probation, then AUDIT_RATE of them), so the executing rig can't tell an audited job from another. The
// auditor is drawn at random among the job's other candidates (the envelope is sealed to them alone) that are
// online, in good standing, serve the same model and belong to another owner. It checks the result against
// the signed receipt, re-runs or scores it, and answers with a signed verdict.
//
// One verdict decides a pass. A fail goes to a second auditor when one exists: two against one decides. The
// rig proven wrong pays back every job nothing vouches for and is quarantined; an auditor outvoted two to
// one is quarantined the same way. With no second auditor a fail is recorded as disputed: no money moves
// on one rig's word against another's. Auditors are paid out of the platform's fees.
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
//   other: a second auditor decides, and with none the job stays disputed (and its rig audited more).
// - The completion count of sampled output is not even evidence: the auditor re-encodes the text, and a
//   sampled split need not be the tokenizer's canonical one, so an honest receipt can differ. The audit
//   runner answers 'unable' there, never 'fail' (worker/src/audit-runner.ts), so two honest auditors can't
//   convict an honest rig on it; deterministic jobs (summaries, re-run) still count their own re-run's ids.
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
import type { Config } from '../config';
import type { Db, Queryable } from '../db';
import type { WorkerRegistry } from '../ws/registry';
import { auditorPay, jobMoney, payAuditor, refundUnvouched } from './consequences';
import {
  type AuditedJob,
  auditedJob,
  auditsOfJob,
  eligibleAuditors,
  expireAudits,
  insertAudit,
  lockAudit,
  quarantine,
  recordPassed,
  recordVerdict,
  rigKey,
  setAuditState,
} from './repository';

export type VerdictMsg = Extract<WorkerToProxy, { type: 'verdict' }>;

/**
 * Whether a settled job is audited: every job of a rig in probation (its first AUDIT_PROBATION_JOBS, counted
 * again from a quarantine), else AUDIT_RATE of them, more for a rig with disputed jobs on its record (each one
 * adds AUDIT_RATE again: one auditor said it was wrong and nobody could settle it). The operator's own rigs
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
  return probation || random() < config.AUDIT_RATE * (1 + (rig.disputed ?? 0));
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
    try {
      const order = await this.db.tx(async (q) => {
        const job = await auditedJob(q, jobId, true);
        if (!job || job.audit_state !== null) return null;
        // A job that was still running when audits proved its rig wrong is paid back as the others were.
        if (job.proven_wrong_at) {
          await refundUnvouched(q, job.rig_id, job.owner_id, 0n, job.id);
          return null;
        }
        if (!shouldAudit(job, this.config, this.random)) return null;
        return this.orderAudit(q, job, 1, []);
      });
      if (order) this.send(order);
    } catch (err) {
      this.log.error({ err, jobId }, 'could not start an audit');
    }
  }

  /** Picks an auditor and records the audit, or marks the job unauditable. */
  private async orderAudit(
    q: Queryable,
    job: AuditedJob,
    round: 1 | 2,
    exclude: string[],
  ): Promise<AuditOrder | null> {
    const auditors = job.audit_copy ? await eligibleAuditors(q, job, exclude) : [];
    // Only auditors this proxy holds a socket for can be sent the audit right now.
    const reachable = auditors.filter((a) => this.workers.get(a.id));
    if (reachable.length === 0) {
      if (round === 1) await setAuditState(q, job.id, 'unauditable');
      return null;
    }
    const auditor = reachable[Math.floor(this.random() * reachable.length)];
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

  /** What the verdicts so far decide; a second audit to send, if one is needed. */
  private async decide(
    q: Queryable,
    job: AuditedJob,
    round: number,
    lastAuditor: string,
  ): Promise<AuditOrder | null> {
    const audits = await auditsOfJob(q, job.id);
    const said = audits.filter((a) => a.state === 'pass' || a.state === 'fail');
    const fails = said.filter((a) => a.state === 'fail');
    const passes = said.filter((a) => a.state === 'pass');
    const asked = audits.map((a) => a.auditor_rig_id);

    if (said.length === 0) {
      // The auditor couldn't check it: ask another, once; with no one to ask, the job stays unaudited (and
      // its rig's earnings from it are no longer held back).
      const second = round === 1 ? await this.orderAudit(q, job, 2, asked) : null;
      if (!second) await setAuditState(q, job.id, 'unauditable');
      return second;
    }
    if (fails.length === 0) {
      await this.passed(
        q,
        job,
        passes.map((a) => a.id),
      );
      return null;
    }
    if (passes.length === 0 && fails.length === 1) {
      // One auditor against the rig: a second opinion decides, when there is anyone to give one.
      const second = round === 1 ? await this.orderAudit(q, job, 2, asked) : null;
      if (!second) await setAuditState(q, job.id, 'disputed');
      return second;
    }
    if (fails.length >= 2) {
      await this.provenWrong(
        q,
        job,
        fails.map((a) => a.id),
      );
      return null;
    }
    // One pass, one fail: the executing rig and the passing auditor against the failing auditor.
    const liar = fails[0].auditor_rig_id;
    await this.passed(
      q,
      job,
      passes.map((a) => a.id),
    );
    await quarantine(q, liar, `its audit verdict on job ${job.id} was outvoted two to one`, false);
    this.log.warn({ jobId: job.id, rigId: liar, lastAuditor }, 'auditor outvoted: quarantined');
    return null;
  }

  private async passed(q: Queryable, job: AuditedJob, auditIds: string[]): Promise<void> {
    await setAuditState(q, job.id, 'passed');
    await recordPassed(q, job.rig_id, job.id);
    await this.payAuditors(q, job, auditIds);
  }

  private async provenWrong(q: Queryable, job: AuditedJob, auditIds: string[]): Promise<void> {
    const r = await refundUnvouched(q, job.rig_id, job.owner_id, this.config.AUDIT_PENALTY_NANO, job.id);
    await quarantine(
      q,
      job.rig_id,
      `audits of job ${job.id} found its result wrong, two auditors to none`,
      true,
    );
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
      const r = await q.query<{ owner_id: string; price: string | null }>(
        `SELECT r.owner_id, rm.price_nano_per_1k::text AS price FROM rigs r
         LEFT JOIN rig_models rm ON rm.rig_id = r.id AND rm.model = $2 WHERE r.id = $1`,
        [a.auditor_rig_id, job.model],
      );
      const row = r.rows[0];
      if (!row) continue;
      const ask = BigInt(row.price ?? job.price_nano_per_1k);
      const asked = auditorPay(job, ask);
      await payAuditor(
        q,
        money,
        { auditId: a.id, ownerId: row.owner_id, asked },
        all.map((x) => x.id),
      );
    }
  }

  /** Audits without a verdict in time: the job counts as unaudited. */
  async sweep(): Promise<void> {
    const jobs = await expireAudits(this.db, this.config.AUDIT_TIMEOUT_MS);
    for (const jobId of jobs) {
      await this.db.tx(async (q) => {
        const job = await auditedJob(q, jobId, true);
        if (job?.audit_state === 'pending' && !(await auditsOfJob(q, jobId)).some((a) => a.state === 'sent'))
          await setAuditState(q, jobId, 'unauditable');
      });
    }
  }
}
