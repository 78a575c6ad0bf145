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
 * How a generate or chat job samples. The seed is chosen by the client (the client library picks a random one
 * when none is given) and travels sealed: with it, another rig can reproduce or score the output.
 */
const sampling = {
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().gt(0).max(1).optional(),
  topK: z.number().int().min(0).max(1000).optional(),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  stop: z.array(z.string().min(1).max(64)).max(4).optional(),
};

/** The plaintext job body a client seals. The proxy never sees it. */
export const chatMessage = z.object({
  role: z.enum(['system', 'user', 'assistant']).default('user'),
  author: z.string().max(128).optional(),
  content: z.string().max(200_000),
});
/**
 * One chat message to summarize. `id`, `replyTo` and `date` are optional: with them the summarizer merges
 * "ok"/"👍" replies into what they answer and every summary line can be tied to (and linked to) its message.
 */
export const summarizeMessage = z.object({
  author: z.string().max(128).optional(),
  text: z.string().max(200_000),
  /** The chat's message id (Telegram's message_id). */
  id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  /** The id of the message this one replies to. */
  replyTo: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  /** Unix seconds. */
  date: z.number().int().nonnegative().max(4_102_444_800).optional(),
});
export type SummarizeMessage = z.infer<typeof summarizeMessage>;

export const jobBody = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('summarize'),
    messages: z.array(summarizeMessage).max(5000),
    maxTokens: z.number().int().positive(),
  }),
  z.object({
    kind: z.literal('generate'),
    prompt: z.string().max(200_000),
    maxTokens: z.number().int().positive(),
    ...sampling,
  }),
  z.object({
    kind: z.literal('chat'),
    messages: z.array(chatMessage).min(1).max(500),
    maxTokens: z.number().int().positive(),
    ...sampling,
  }),
]);
export type JobBody = z.infer<typeof jobBody>;

/** What the rig seals back: streamed text deltas, then the final text. */
export const resultChunk = z.object({ delta: z.string() });

/** The most token ids a result may carry: a quote's largest maxTokens (contract/jobs.ts). */
export const MAX_RESULT_TOKEN_IDS = 100_000;
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
