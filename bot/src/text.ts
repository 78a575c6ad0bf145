// Pure text helpers: Telegram's 4,096-character limit, footers and user-facing error messages.
import { ApiError, formatTon, type TrustTier } from '@cocoon/shared';

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

/** The most messages one command's reply may take, whatever a rig sends. */
export const MAX_REPLY_MESSAGES = 3;
export const CUT_MARKER = '[…cut: the answer is longer than this chat reply allows]';

/** Cuts to at most `max` UTF-16 units without splitting a surrogate pair. */
function cutAt(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end).trimEnd();
}

/**
 * The messages a reply is posted as: `text` split at Telegram's limit, never more than `max` messages (cut
 * with a marker past that), with `footer` kept at the end of the last one.
 */
export function layoutReply(
  text: string,
  footer = '',
  max = MAX_REPLY_MESSAGES,
  limit = TELEGRAM_TEXT_LIMIT,
): string[] {
  let parts = splitMessage(text.trim() ? text : '…', limit);
  const cut = parts.length > max;
  if (cut) parts = parts.slice(0, max);
  const tail = [cut ? CUT_MARKER : '', footer].filter(Boolean).join('\n\n');
  if (!tail) return parts;
  const last = parts.length - 1;
  if (parts[last].length + 2 + tail.length <= limit) parts[last] = `${parts[last]}\n\n${tail}`;
  else if (parts.length < max) parts.push(cutAt(tail, limit));
  else parts[last] = `${cutAt(parts[last], limit - 2 - tail.length)}\n\n${cutAt(tail, limit - 2)}`;
  return parts;
}

/** The cost line; a job run in the TDX tier says so ("confidential (TDX) rig"). */
export function costFooter(costNano: bigint, rigId: string, tier: TrustTier = 'open'): string {
  return `— ${formatTon(costNano)} TON · ${tier === 'tdx' ? 'confidential (TDX) rig' : 'rig'} ${rigId.slice(0, 8)}`;
}

export type JobErrorKind =
  | 'insufficient_funds'
  | 'no_capacity'
  | 'queue_busy'
  | 'price_too_high'
  | 'timeout'
  | 'job_failed'
  | 'bad_request'
  | 'no_confidential_capacity'
  | 'no_verified_rig'
  | 'attestation_unavailable'
  | 'voucher_due'
  | 'onchain_job_open'
  | 'stars_receivable'
  | 'unavailable';

export function classifyJobError(err: unknown): JobErrorKind {
  if (err instanceof ApiError) {
    if (err.code === 'no_confidential_capacity') return 'no_confidential_capacity';
    if (err.code === 'no_verified_rig') return 'no_verified_rig';
    if (err.code === 'voucher_due') return 'voucher_due';
    if (err.code === 'onchain_job_open') return 'onchain_job_open';
    if (err.code === 'stars_receivable') return 'stars_receivable';
    if (
      err.code === 'attestation_not_configured' ||
      err.code === 'policy_rejected' ||
      err.code === 'policy_rolled_back' ||
      err.code === 'policy_expired'
    )
      return 'attestation_unavailable';
    if (err.status === 402 || err.code === 'insufficient_funds') return 'insufficient_funds';
    // The queue: no room in line, no wait allowed, or a wait past its deadline.
    if (['queue_cap', 'queue_full', 'no_free_rig'].includes(err.code)) return 'queue_busy';
    if (err.code === 'job_failed' && /wait deadline/.test(err.message)) return 'queue_busy';
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
      return 'Your Cocoon balance is too low for this job. Buy compute with Telegram Stars (/buy) or in the Mini App, then try again.';
    case 'no_capacity':
      return `No rig is serving ${model} right now. Try again in a minute.`;
    case 'queue_busy':
      return `Every rig serving ${model} is busy and this job found no place in line in time. You were not charged; try again in a minute.`;
    case 'price_too_high':
      return `Every rig serving ${model} asks more than the price limit right now. Try again later.`;
    case 'timeout':
      return 'The job took too long and was stopped. You pay only for what was settled; try again.';
    case 'job_failed':
      return 'The rig could not finish the job. You were not charged for it; try again.';
    case 'bad_request':
      return 'The job was refused as too large or malformed. Try fewer messages or a shorter prompt.';
    case 'no_confidential_capacity':
      return (
        `No confidential (TDX) rig is serving ${model} right now, and this chat runs jobs on those only. ` +
        'Try again later, or a group admin can send /trust open to use any rig.'
      );
    case 'no_verified_rig':
      return (
        "No rig passed my own check of its TDX attestation, so nothing was sent and you weren't charged. " +
        'Try again later, or a group admin can send /trust open to use any rig.'
      );
    case 'attestation_unavailable':
      return (
        "I can't check TDX rigs right now: the network's attestation policy didn't verify with the key the " +
        "bot's operator configured. Nothing was sent. A group admin can send /trust open to use any rig."
      );
    case 'voucher_due':
      return (
        'Your jobs are paid from your own on-chain account, and your last job is waiting for your signature. ' +
        'Open the Mini App on the device that holds your spend key to sign for it, then try again: ' +
        "the bot can't sign for you."
      );
    case 'onchain_job_open':
      return (
        'Your jobs are paid from your own on-chain account, which pays one job at a time, and your last job ' +
        'is still running. Try again when it has finished.'
      );
    case 'stars_receivable':
      return (
        'Telegram reversed a Stars payment of yours after its credit was spent, so that amount is owed and new ' +
        'jobs are paused until it is settled. /balance shows what is owed; your next Stars purchase (/buy) pays it first.'
      );
    default:
      return 'Cocoon is unreachable right now. Try again in a minute.';
  }
}
