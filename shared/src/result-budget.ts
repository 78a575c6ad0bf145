// How much a job's result may hold, from its token budget: the one formula the worker, the proxy and the
// client all apply, so a rig can't flood a user (or the proxy) with more text than the tokens it is paid for.
//
// Plaintext: at most RESULT_BASE_BYTES + maxTokens × RESULT_BYTES_PER_TOKEN bytes of UTF-8. Every tokenizer
// the network runs decodes one token to far fewer bytes (BPE vocabularies' longest tokens are runs of
// whitespace or symbols well under 64 bytes; the demo model's tokens are single words).
// Sealed, at the proxy: each chunk's base64 ciphertext is 4/3 of its JSON plaintext plus the nonce and tag
// (SEAL_OVERHEAD_BYTES covers both and the JSON framing), and a stream has at most one chunk per token plus
// a few spare. The final result (v2) also carries one token id per completion token: at most
// TOKEN_ID_JSON_BYTES each in its JSON (a non-negative int32 and a comma), its fields' names and numbers fit
// in RESULT_FRAME_BYTES.

export const RESULT_BASE_BYTES = 1024;
export const RESULT_BYTES_PER_TOKEN = 64;
/** "2147483647," : the longest a token id (a non-negative int32, schemas/envelope.ts) is in JSON. */
export const TOKEN_ID_JSON_BYTES = 11;
const SEAL_OVERHEAD_BYTES = 128;
/** The final result's JSON around its text and ids: field names, counts, finish reason, salt. */
const RESULT_FRAME_BYTES = 256;
const SPARE_CHUNKS = 16;

/** The most plaintext bytes a result (streamed or final) may hold. */
export function resultByteBudget(maxTokens: number): number {
  return RESULT_BASE_BYTES + maxTokens * RESULT_BYTES_PER_TOKEN;
}

/** What the proxy lets one attempt of a job stream: chunk count and total sealed bytes (base64 characters). */
export function sealedStreamBudget(maxTokens: number): { maxChunks: number; maxBytes: number } {
  const maxChunks = maxTokens + SPARE_CHUNKS;
  return {
    maxChunks,
    maxBytes: Math.ceil((resultByteBudget(maxTokens) * 4) / 3) + maxChunks * SEAL_OVERHEAD_BYTES,
  };
}

/**
 * The most sealed bytes (base64 characters) the final result may take: text at its budget, plus one token id
 * per token (at most maxTokens of them: completionTokens counts the ids and never passes maxTokens).
 */
export function sealedResultBudget(maxTokens: number): number {
  const plain = resultByteBudget(maxTokens) + maxTokens * TOKEN_ID_JSON_BYTES + RESULT_FRAME_BYTES;
  return Math.ceil(((plain + SEAL_OVERHEAD_BYTES) * 4) / 3) + SEAL_OVERHEAD_BYTES;
}

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return { text, truncated: false };
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--; // back to a character boundary
  return { text: new TextDecoder().decode(bytes.subarray(0, end)), truncated: true };
}
