// Audits another rig's finished job: this rig was one of the job's candidates, so it can open the job and the
// executing rig's copy of the result. It checks the copy against the signed receipt's commitment, recounts
// the prompt tokens with its own pinned tokenizer (deterministic), and then: a v2 result (with token ids) is
// scored at those ids in one pass, its text checked to be their decoding; a v1 result (older workers) is
// re-run (deterministic models: the same text exactly, the same completion count) or scored on its text
// re-encoded (sampled generation: the seeded sampler replayed at every position; the completion count of
// re-encoded text is no evidence, see scoreSampled). It answers with a signed verdict. Plaintext stays in
// this function's memory.
import {
  type AuditMessage,
  finalResult,
  jobBody,
  openAuditCopy,
  openedResultProblem,
  openJob,
  requestHash,
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
import type { ClaimedIds, ClaimedOutput, Model, ModelInput } from './models/index';

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
  // The same checks a client makes before it shows a result: committed to, counted as signed, ids counted.
  const problem = openedResultProblem(claimed, msg.receipt, msg.maxTokens);
  if (problem?.reason === 'commitment_mismatch')
    return failed("the result sealed for auditors does not match the receipt's commitment");
  if (problem) return failed(problem.message);

  let model: Model;
  let input: ModelInput;
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

  // A v2 result: its token ids are scored, whatever the job kind (a summary is greedy generation).
  if (claimed.tokenIds) return scoreTokenIds(model, input, { ...claimed, tokenIds: claimed.tokenIds });
  // v1 (a worker older than protocol 2): a language model's output is scored on its text re-encoded, greedy
  // summaries too (the scorer allows float noise between near-tied tokens, which batched decoding may bring).
  // Only the extractive summarizer (no score) is re-run.
  if (model.score) return scoreSampled(model, input, claimed);
  return rerunDeterministic(model, input, claimed);
}

/**
 * A v2 result: the seeded sampler replayed at each of the committed token ids, the ids ending where
 * generation ends, and the text exactly their decoding. The counts are the ids' (checked above), so no
 * recount is needed and nothing is left unproven.
 */
async function scoreTokenIds(
  model: Model,
  input: ModelInput,
  claimed: ClaimedIds & { completionTokens: number },
): Promise<Finding> {
  if (!model.scoreIds)
    return failed(
      `the result carries token ids, but model ${model.id} generates none (it is not a language model)`,
    );
  const s = await model.scoreIds(input, claimed);
  if (s.problem) return failed(`the token ids are no output of this model: ${s.problem}`);
  if (s.text !== claimed.text) return failed('the text is not the decoding of its token ids', s.agreement);
  if (!s.endAgrees)
    return failed(
      `the token ids do not end as the result says (${claimed.finishReason}): cut short or run on`,
      s.agreement,
    );
  if (s.agreement < AUDIT_AGREEMENT_THRESHOLD)
    return failed(
      `${pct(s.agreement)} of token ids agree with the seeded sampler (at least ${pct(AUDIT_AGREEMENT_THRESHOLD)} needed)`,
      s.agreement,
    );
  return { outcome: 'pass', agreement: s.agreement, reason: '' };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** Extractive summaries and greedy decoding: the same input gives the same text, exactly. */
async function rerunDeterministic(
  model: Model,
  input: ModelInput,
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
  input: ModelInput,
  claimed: ClaimedOutput & { completionTokens: number },
): Promise<Finding> {
  const s = await model.score!(input, claimed);
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
