// Pure text helpers: Telegram's 4,096-character limit, footers and user-facing error messages.
import { ApiError, formatTon } from '@cocoon/shared';

export const TELEGRAM_TEXT_LIMIT = 4096;

/**
 * Splits text into parts of at most `limit` UTF-16 code units (Telegram counts those), preferring
 * paragraph, line, then word boundaries, and never cutting a surrogate pair.
 */
export function splitMessage(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  if (limit < 2) throw new RangeError('limit must be at least 2');
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    let cut = -1;
    for (const sep of ['\n\n', '\n', ' ']) {
      const at = window.lastIndexOf(sep);
      if (at >= limit / 2) {
        cut = at + sep.length;
        break;
      }
    }
    if (cut < 0) {
      cut = limit;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--; // keep a surrogate pair whole
    }
    const part = rest.slice(0, cut).trimEnd();
    if (part) parts.push(part);
    rest = rest.slice(cut).trimStart();
  }
  if (rest || parts.length === 0) parts.push(rest);
  return parts;
}

export function costFooter(costNano: bigint, rigId: string): string {
  return `— ${formatTon(costNano)} TON · rig ${rigId.slice(0, 8)}`;
}

export type JobErrorKind =
  | 'insufficient_funds'
  | 'no_capacity'
  | 'price_too_high'
  | 'timeout'
  | 'job_failed'
  | 'bad_request'
  | 'unavailable';

export function classifyJobError(err: unknown): JobErrorKind {
  if (err instanceof ApiError) {
    if (err.status === 402 || err.code === 'insufficient_funds') return 'insufficient_funds';
    if (err.code === 'price_too_high') return 'price_too_high';
    if (err.code === 'no_capacity' || (err.status === 503 && err.code !== 'price_too_high'))
      return 'no_capacity';
    if (err.status === 504 || err.code === 'timeout') return 'timeout';
    if (err.status === 502 || err.code === 'job_failed' || err.code === 'stream_ended') return 'job_failed';
    if (err.status === 400) return 'bad_request';
  }
  return 'unavailable';
}

export function jobErrorText(kind: JobErrorKind, model: string): string {
  switch (kind) {
    case 'insufficient_funds':
      return 'Your Cocoon balance is too low for this job. Buy compute in the Mini App, then try again.';
    case 'no_capacity':
      return `No rig is serving ${model} right now. Try again in a minute.`;
    case 'price_too_high':
      return `Every rig serving ${model} asks more than the price limit right now. Try again later.`;
    case 'timeout':
      return 'The job took too long and was stopped. You pay only for what was settled; try again.';
    case 'job_failed':
      return 'The rig could not finish the job. You were not charged for it; try again.';
    case 'bad_request':
      return 'The job was refused as too large or malformed. Try fewer messages or a shorter prompt.';
    default:
      return 'Cocoon is unreachable right now. Try again in a minute.';
  }
}
