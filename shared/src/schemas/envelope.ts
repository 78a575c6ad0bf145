import { z } from 'zod';
import { b64 } from './common';

export const sealedBox = z.object({ nonce: b64, ciphertext: b64 });
export type SealedBox = z.infer<typeof sealedBox>;

export const sealedEnvelope = z.object({
  v: z.literal(1),
  clientPublicKey: b64,
  body: sealedBox,
  recipients: z
    .array(z.object({ rigId: z.string().uuid(), wrappedKey: sealedBox }))
    .min(1)
    .max(3),
});
export type SealedEnvelope = z.infer<typeof sealedEnvelope>;

/**
 * The limits of the plaintext job body: the public contract, the one place they are set. The proxy never
 * sees a body; the rig that opens it refuses one past any of them (worker/src/job-runner.ts), and the
 * worker's model inputs derive from these schemas (worker/src/models/input.ts).
 */
export const JOB_LIMITS = {
  /** The most tokens a job may ask for: a quote's bound (contract/jobs.ts) and the body's. */
  maxTokens: 100_000,
  temperature: 2,
  topK: 1000,
  stopSequences: 4,
  stopChars: 64,
  promptChars: 200_000,
  messageChars: 200_000,
  authorChars: 128,
  chatMessages: 500,
  summarizeMessages: 5000,
} as const;
/** The most tokens a job may ask for (a quote's and a body's maxTokens), and so a result may carry. */
export const MAX_TOKENS = JOB_LIMITS.maxTokens;

/** A job's maxTokens, wherever it travels (a quote, a body, an assignment, an audit). */
export const maxTokensField = z.number().int().positive().max(MAX_TOKENS);

/**
 * How a generate or chat job samples. The seed is chosen by the client (the client library picks a random one
 * when none is given) and travels sealed: with it, another rig can reproduce or score the output.
 */
export const samplingFields = {
  temperature: z.number().min(0).max(JOB_LIMITS.temperature).optional(),
  topP: z.number().gt(0).max(1).optional(),
  topK: z.number().int().min(0).max(JOB_LIMITS.topK).optional(),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  stop: z.array(z.string().min(1).max(JOB_LIMITS.stopChars)).max(JOB_LIMITS.stopSequences).optional(),
};

/** The plaintext job body a client seals. The proxy never sees it. */
export const chatMessage = z.object({
  role: z.enum(['system', 'user', 'assistant']).default('user'),
  author: z.string().max(JOB_LIMITS.authorChars).optional(),
  content: z.string().max(JOB_LIMITS.messageChars),
});
/**
 * One chat message to summarize. `id`, `replyTo` and `date` are optional: with them the summarizer merges
 * "ok"/"👍" replies into what they answer and every summary line can be tied to (and linked to) its message.
 */
export const summarizeMessage = z.object({
  author: z.string().max(JOB_LIMITS.authorChars).optional(),
  text: z.string().max(JOB_LIMITS.messageChars),
  /** The chat's message id (Telegram's message_id). */
  id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  /** The id of the message this one replies to. */
  replyTo: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  /** Unix seconds. */
  date: z.number().int().nonnegative().max(4_102_444_800).optional(),
});
export type SummarizeMessage = z.infer<typeof summarizeMessage>;

export const summarizeJob = z.object({
  kind: z.literal('summarize'),
  messages: z.array(summarizeMessage).max(JOB_LIMITS.summarizeMessages),
  maxTokens: maxTokensField,
});
export const generateJob = z.object({
  kind: z.literal('generate'),
  prompt: z.string().max(JOB_LIMITS.promptChars),
  maxTokens: maxTokensField,
  ...samplingFields,
});
export const chatJob = z.object({
  kind: z.literal('chat'),
  messages: z.array(chatMessage).min(1).max(JOB_LIMITS.chatMessages),
  maxTokens: maxTokensField,
  ...samplingFields,
});

export const jobBody = z.discriminatedUnion('kind', [summarizeJob, generateJob, chatJob]);
export type JobBody = z.infer<typeof jobBody>;

/** What the rig seals back: streamed text deltas, then the final text. */
export const resultChunk = z.object({ delta: z.string() });

/** The most token ids a result may carry: a job's largest maxTokens. */
export const MAX_RESULT_TOKEN_IDS = MAX_TOKENS;
/** Token ids are vocabulary indices: non-negative int32 (the model's own vocabulary bounds them further). */
export const MAX_TOKEN_ID = 2 ** 31 - 1;

export const finalResult = z.object({
  text: z.string(),
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  finishReason: z.enum(['stop', 'length']).default('stop'),
  /**
   * Result v2 (crypto/commitment.ts): every token id the model generated, in order, the hidden ones included
   * (an end-of-sequence token, the tokens that formed a stop sequence), so `completionTokens` is exactly
   * their number and `text` is their decoding (special tokens skipped, cut at the first stop sequence).
   * Auditors score these ids, never a re-encoding of the text (a sampled BPE split need not be the
   * tokenizer's canonical one). Absent: a v1 result (older workers), or a model without tokens (the
   * extractive summarizer).
   */
  tokenIds: z.array(z.number().int().min(0).max(MAX_TOKEN_ID)).max(MAX_RESULT_TOKEN_IDS).optional(),
  /** Random, per result: salts the commitment the rig's receipt signs (see crypto/commitment.ts). */
  salt: z.string().min(16).max(64),
});
export type FinalResult = z.infer<typeof finalResult>;
