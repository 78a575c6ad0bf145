// Runs one assigned job: open the envelope, check the body against the quote and the model, run the
// model, stream sealed chunks, then send the sealed result with a signed usage receipt.
// Plaintext lives only in this function's memory: it is never logged, written to disk or sent unsealed.
import {
  type AssignMessage,
  commitResult,
  describeIssues,
  type JobBody,
  jobBody,
  openJob,
  type RigOpenState,
  sealAuditCopy,
  sealedResultHash,
  sealResultPart,
  signReceipt,
  type UsageReceipt,
  type WorkerToProxy,
} from '@cocoon/shared';
import type { RigKeys } from './keys';
import type { ChatTurn, Model, ModelInput } from './models/index';

/** The sealed body may be at most this long (base64 chars): the proxy's frame limit is 4 MiB. */
export const MAX_SEALED_BODY_CHARS = 4 * 1024 * 1024;

export type JobOutcome =
  | { kind: 'done'; promptTokens: number; completionTokens: number; runMs: number }
  | { kind: 'failed'; reason: string; retryable: boolean }
  | { kind: 'aborted' };

export interface JobRunnerDeps {
  rigId: string;
  keys: RigKeys;
  models: ReadonlyMap<string, Model>;
}

/** A job this rig won't run. `retryable` says whether another rig might (rig-side) or not (the job is bad). */
export class JobRejected extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'JobRejected';
  }
}

const badJob = (reason: string) => new JobRejected(reason, false);
const rigSide = (reason: string) => new JobRejected(reason, true);

function open(assign: AssignMessage, deps: JobRunnerDeps): { body: JobBody; state: RigOpenState } {
  if (assign.envelope.body.ciphertext.length > MAX_SEALED_BODY_CHARS) {
    throw badJob(`job body is larger than ${MAX_SEALED_BODY_CHARS} sealed bytes`);
  }
  if (!assign.envelope.recipients.some((r) => r.rigId === deps.rigId)) {
    throw rigSide('envelope is not addressed to this rig');
  }
  let opened: { body: unknown; state: RigOpenState };
  try {
    opened = openJob(assign.envelope, deps.rigId, deps.keys.x25519.secretKey, assign.aad);
  } catch {
    // Sealed to an older key of this rig, or damaged on the way: another candidate has its own wrapped key.
    throw rigSide('could not open the envelope with this rig key');
  }
  const parsed = jobBody.safeParse(opened.body);
  // zod's messages name fields and limits, never the values, so they are safe to send back.
  if (!parsed.success) throw badJob(`job body is malformed: ${describeIssues(parsed.error)}`.slice(0, 480));
  const body = parsed.data;
  if (body.kind !== assign.kind)
    throw badJob(`job body is a ${body.kind} job but was quoted as ${assign.kind}`);
  if (body.maxTokens > assign.maxTokens) {
    throw badJob(`job body asks for ${body.maxTokens} tokens but the quote allows ${assign.maxTokens}`);
  }
  return { body, state: opened.state };
}

function chatTurns(messages: Extract<JobBody, { kind: 'chat' }>['messages']): ChatTurn[] {
  return messages.map((m) => ({
    role: m.role,
    content: m.author && m.role === 'user' ? `${m.author}: ${m.content}` : m.content,
  }));
}

/** What a job's model and input are decided by: an assign, or an audit of a finished job. */
export type JobTerms = Pick<AssignMessage, 'model' | 'kind' | 'inputTokens' | 'maxTokens'>;

/** The model and the input it runs for this body; throws JobRejected when this rig can't run it. */
export function modelInput(
  assign: JobTerms,
  body: JobBody,
  deps: JobRunnerDeps,
): { model: Model; input: ModelInput } {
  const model = deps.models.get(assign.model);
  if (!model) throw rigSide(`this rig does not serve model ${assign.model}`);
  const maxTokens = Math.min(body.maxTokens, assign.maxTokens);
  if (body.kind === 'summarize') {
    if (!model.accepts.includes('summarize')) throw rigSide(`model ${model.id} does not run summarize jobs`);
    return { model, input: { kind: 'summarize', messages: body.messages, maxTokens } };
  }
  if (!model.accepts.includes('generate')) throw rigSide(`model ${model.id} does not run ${body.kind} jobs`);
  const { temperature, topP, topK, seed, stop } = body;
  const sampling = { maxTokens, temperature, topP, topK, seed, stop };
  if (body.kind === 'generate') {
    return { model, input: { kind: 'generate', prompt: body.prompt, ...sampling } };
  }
  if (!model.chatPrompt) throw rigSide(`model ${model.id} does not run chat jobs`);
  let prompt: string;
  try {
    prompt = model.chatPrompt(chatTurns(body.messages));
  } catch {
    // A chat template may refuse some role orders (e.g. two user turns in a row).
    throw badJob(`model ${model.id}'s chat template does not accept these messages`);
  }
  return { model, input: { kind: 'generate', prompt, ...sampling } };
}

export function checkPromptSize(assign: JobTerms, model: Model, input: ModelInput): number {
  let promptTokens: number;
  try {
    promptTokens = model.countPromptTokens(input);
  } catch {
    throw rigSide(`model ${model.id} could not count the prompt tokens`);
  }
  if (promptTokens > assign.inputTokens) {
    throw badJob(`prompt is ${promptTokens} tokens, more than the ${assign.inputTokens} quoted`);
  }
  // A language model needs room for at least one completion token.
  const room = model.kind === 'generate' ? model.contextLength - 1 : model.contextLength;
  if (promptTokens > room) {
    throw badJob(`prompt is ${promptTokens} tokens; model ${model.id} takes at most ${room}`);
  }
  return promptTokens;
}

function rejection(err: unknown): JobRejected {
  if (err instanceof JobRejected) return err;
  if (err instanceof Error && err.name === 'PromptTooLongError') return badJob(err.message.slice(0, 480));
  // Engine errors are the rig's problem; their messages carry no job text (the engine never logs any).
  const name = err instanceof Error ? err.name : 'Error';
  return rigSide(`the model failed on this rig (${name})`);
}

/**
 * Runs `assign` and sends chunk, done or fail messages through `send`; `onProgress` hears the tokens done
 * so far (connection.ts reports them in its heartbeat). After `signal` aborts (a cancel, a
 * lost connection, shutdown) nothing more is sent: the proxy has already moved the job on.
 */
export async function runAssignedJob(
  assign: AssignMessage,
  deps: JobRunnerDeps,
  send: (msg: WorkerToProxy) => void,
  signal: AbortSignal,
  onProgress?: (tokensDone: number) => void,
): Promise<JobOutcome> {
  const started = performance.now();
  try {
    const { body, state } = open(assign, deps);
    const { model, input } = modelInput(assign, body, deps);
    checkPromptSize(assign, model, input);

    let seq = 0;
    const onDelta = (delta: string) => {
      if (!delta || signal.aborted) return;
      send({ type: 'chunk', jobId: assign.jobId, seq, sealed: sealResultPart(state, seq, { delta }) });
      seq++;
    };
    const r = await model.run(input, onDelta, signal, onProgress);
    if (signal.aborted) return { kind: 'aborted' };
    if (r.completionTokens > input.maxTokens || r.promptTokens > assign.inputTokens) {
      // A model that miscounts would be refused at settlement anyway; say so plainly instead.
      throw rigSide(`model ${model.id} reported more tokens than the quote allows`);
    }
    if (r.tokenIds && r.tokenIds.length !== r.completionTokens)
      throw rigSide(`model ${model.id} counted other tokens than it generated`);
    // The result is salted and committed to: the receipt signs the commitment, the client checks it. With
    // the model's token ids it is a v2 result: auditors score those ids (schemas/envelope.ts).
    const { final, commitment } = commitResult({
      text: r.text,
      promptTokens: r.promptTokens,
      completionTokens: r.completionTokens,
      finishReason: r.finishReason ?? 'stop',
      ...(r.tokenIds ? { tokenIds: r.tokenIds } : {}),
    });
    const result = sealResultPart(state, 'final', final);
    const receipt: UsageReceipt = {
      commitment,
      jobId: assign.jobId,
      rigId: deps.rigId,
      model: assign.model,
      promptTokens: r.promptTokens,
      completionTokens: r.completionTokens,
      resultHash: sealedResultHash(result),
    };
    // The same result for the other candidates, one of whom may be asked to audit it.
    const others = assign.envelope.recipients.some((r) => r.rigId !== deps.rigId);
    send({
      type: 'done',
      jobId: assign.jobId,
      result,
      receipt,
      signature: signReceipt(receipt, deps.keys.ed25519.secretKey),
      ...(others ? { auditCopy: sealAuditCopy(state, final) } : {}),
    });
    return {
      kind: 'done',
      promptTokens: r.promptTokens,
      completionTokens: r.completionTokens,
      runMs: performance.now() - started,
    };
  } catch (err) {
    if (signal.aborted) return { kind: 'aborted' };
    const { message, retryable } = rejection(err);
    send({ type: 'fail', jobId: assign.jobId, reason: message, retryable });
    return { kind: 'failed', reason: message, retryable };
  }
}
