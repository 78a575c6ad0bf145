// Audits another rig's finished job: this rig was one of the job's candidates, so it can open the job and the
// executing rig's copy of the result. It checks the copy against the signed receipt's commitment, recounts
// the prompt tokens with its own pinned tokenizer (deterministic), and re-runs the job (deterministic models:
// the same text exactly, the same completion count) or scores the claimed output in one pass (sampled
// generation: the seeded sampler replayed at every position; the completion count of re-encoded text is no
// evidence, see scoreSampled). It answers with a signed verdict. Plaintext stays in this function's memory.
import {
  type AuditMessage,
  finalResult,
  jobBody,
  openAuditCopy,
  openJob,
  requestHash,
  resultCommitment,
  sealedResultBudget,
  signVerdict,
  type Verdict,
  type WorkerToProxy,
} from '@cocoon/shared';
import {
  checkPromptSize,
  JobRejected,
  type JobRunnerDeps,
  MAX_SEALED_BODY_CHARS,
  modelInput,
} from './job-runner';
import type { ClaimedOutput, JobInput, Model } from './models/index';

/**
 * A sampled output passes when at least this share of its positions agree (and its end does). Honest rigs
 * agreed on every position in the bench (`npm run bench`, suite checkable: min 1.0 over 120 cross-thread
 * pairs); the margin is for float noise across devices (CPU vs CUDA), which the bench can't show here.
 * Another seed's output for the same prompt scored at most 0.56.
 */
export const AUDIT_AGREEMENT_THRESHOLD = 0.98;

export type VerdictMessage = Extract<WorkerToProxy, { type: 'verdict' }>;

interface Finding {
  outcome: Verdict['outcome'];
  agreement: number;
  reason: string;
}

const unable = (reason: string): Finding => ({ outcome: 'unable', agreement: 0, reason });
const failed = (reason: string, agreement = 0): Finding => ({ outcome: 'fail', agreement, reason });

/** Checks the audited job and returns the signed verdict to send. Never throws. */
export async function runAudit(msg: AuditMessage, deps: JobRunnerDeps): Promise<VerdictMessage> {
  let finding: Finding;
  try {
    finding = await check(msg, deps);
  } catch (err) {
    // A model that breaks on this rig is this rig's problem, not the audited rig's.
    finding = unable(`the model failed on the auditing rig (${err instanceof Error ? err.name : 'Error'})`);
  }
  return signedVerdict(msg, deps, finding);
}

/** A signed verdict that says this rig could not audit the job (busy, shutting down). */
export function unableVerdict(msg: AuditMessage, deps: JobRunnerDeps, reason: string): VerdictMessage {
  return signedVerdict(msg, deps, unable(reason));
}

function signedVerdict(msg: AuditMessage, deps: JobRunnerDeps, finding: Finding): VerdictMessage {
  const verdict: Verdict = {
    auditId: msg.auditId,
    jobId: msg.jobId,
    requestHash: requestHash(msg.envelope),
    commitment: msg.receipt.commitment,
    agreementPpm: Math.round(Math.min(1, Math.max(0, finding.agreement)) * 1_000_000),
    outcome: finding.outcome,
  };
  return {
    type: 'verdict',
    ...verdict,
    reason: finding.reason.slice(0, 300),
    signature: signVerdict(verdict, deps.keys.ed25519.secretKey),
  };
}

async function check(msg: AuditMessage, deps: JobRunnerDeps): Promise<Finding> {
  // The same bounds as a job of its own: nothing larger is opened, whoever sent it.
  const copyChars = msg.auditCopy.ciphertext.length + msg.auditCopy.nonce.length;
  if (
    msg.envelope.body.ciphertext.length > MAX_SEALED_BODY_CHARS ||
    copyChars > sealedResultBudget(msg.maxTokens)
  )
    return unable("the job or its result is larger than the job's terms allow");
  try {
    openJob(msg.envelope, deps.rigId, deps.keys.x25519.secretKey, msg.aad);
  } catch {
    return unable('the job does not open with this rig key');
  }
  let opened: { body: unknown; result: unknown };
  try {
    opened = openAuditCopy(msg.envelope, deps.rigId, deps.keys.x25519.secretKey, msg.aad, msg.auditCopy);
  } catch {
    return failed("the executing rig's copy of the result does not open");
  }
  const body = jobBody.safeParse(opened.body);
  if (!body.success || body.data.kind !== msg.kind)
    return unable('the job body is not a valid job of its kind');
  const result = finalResult.safeParse(opened.result);
  if (!result.success) return failed("the executing rig's copy is not a valid result");
  const claimed = result.data;
  if (resultCommitment(claimed) !== msg.receipt.commitment)
    return failed("the result sealed for auditors does not match the receipt's commitment");
  if (
    claimed.promptTokens !== msg.receipt.promptTokens ||
    claimed.completionTokens !== msg.receipt.completionTokens
  )
    return failed('the token counts in the result differ from the signed receipt');

  let model: Model;
  let input: JobInput;
  try {
    ({ model, input } = modelInput(msg, body.data, deps));
    checkPromptSize(msg, model, input);
  } catch (err) {
    return err instanceof JobRejected && !err.retryable
      ? unable(`the job is out of its terms: ${err.message}`)
      : unable(`this rig can't run the job: ${err instanceof Error ? err.message : 'unknown'}`);
  }
  const promptTokens = model.countPromptTokens(input);
  if (promptTokens !== claimed.promptTokens)
    return failed(
      `prompt tokens: the receipt says ${claimed.promptTokens}, the pinned tokenizer counts ${promptTokens}`,
    );

  // Language models' output is scored, greedy summaries too: the scorer allows float noise between near-tied
  // tokens, which batched decoding may bring. Only the extractive summarizer (no score) is re-run.
  if (model.score) return scoreSampled(model, input, claimed);
  return rerunDeterministic(model, input, claimed);
}

/** Extractive summaries and greedy decoding: the same input gives the same text, exactly. */
async function rerunDeterministic(
  model: Model,
  input: JobInput,
  claimed: ClaimedOutput & { completionTokens: number },
): Promise<Finding> {
  const mine = await model.run(input, () => {});
  if (mine.text !== claimed.text)
    return failed('the text differs from a re-run of the same deterministic model');
  if (mine.completionTokens !== claimed.completionTokens)
    return failed(
      `completion tokens: the receipt says ${claimed.completionTokens}, a re-run counts ${mine.completionTokens}`,
      1,
    );
  return { outcome: 'pass', agreement: 1, reason: '' };
}

/** Sampled generation: one scoring pass, the seeded sampler replayed at every position. */
async function scoreSampled(
  model: Model,
  input: JobInput,
  claimed: ClaimedOutput & { completionTokens: number },
): Promise<Finding> {
  const s = await model.score!(input, claimed);
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  if (!s.endAgrees)
    return failed('the output does not end where the model ends it (cut short or run on)', s.agreement);
  if (s.agreement < AUDIT_AGREEMENT_THRESHOLD)
    return failed(
      `${pct(s.agreement)} of positions agree with the seeded sampler (at least ${pct(AUDIT_AGREEMENT_THRESHOLD)} needed)`,
      s.agreement,
    );
  // The receipt also counts the end-of-sequence token, or the stop sequence's tokens, that the text hides.
  const stops = input.kind === 'generate' ? (input.stop ?? []) : [];
  const hidden = 1 + Math.max(0, ...stops.map((stop) => stop.length));
  if (claimed.completionTokens < s.completionTokens || claimed.completionTokens > s.completionTokens + hidden)
    return recountFinding(claimed, s.completionTokens, hidden, s.agreement);
  return { outcome: 'pass', agreement: s.agreement, reason: '' };
}

/**
 * The receipt's completion tokens differ from the claimed text re-encoded. That proves nothing by itself: a
 * sampled output's token split need not be the tokenizer's canonical one (byte-level BPE), so an honest rig's
 * count can differ, until receipts commit to the token ids. Only a count past one token per byte of the text
 * (plus the hidden end or stop tokens) is impossible for any split: a fail. Anything else: unable.
 */
function recountFinding(
  claimed: ClaimedOutput & { completionTokens: number },
  recounted: number,
  hidden: number,
  agreement: number,
): Finding {
  const said = `completion tokens: the receipt says ${claimed.completionTokens}, the text re-encoded counts ${recounted}`;
  if (claimed.completionTokens > Buffer.byteLength(claimed.text) + hidden)
    return failed(`${said}, more than one token per byte of the text`, agreement);
  return unable(`${said}; a sampled split may differ from the canonical one, so this proves nothing yet`);
}
