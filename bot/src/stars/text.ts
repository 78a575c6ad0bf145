// What the bot says about Telegram Stars: the offer, receipts, balances, refunds. Pure functions.

import type { MeView, StarsOffer, StarsPurchaseView } from '@cocoon/shared';
import { formatTon } from '@cocoon/shared';

/** Telegram's limits on an invoice's title and description, and on a pre-checkout error message. */
export const INVOICE_TITLE_MAX = 32;
export const INVOICE_DESCRIPTION_MAX = 255;
export const PRECHECKOUT_REASON_MAX = 200;
/** A payload Telegram accepts: 1-128 bytes. */
export const INVOICE_PAYLOAD_MAX_BYTES = 128;

export function formatStars(stars: number): string {
  return `${stars.toLocaleString('en-US')} ⭐`;
}

/** "7 days", "1 day", "12 hours", "30 minutes": the largest whole unit. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ];
  for (const [name, size] of units) {
    const n = Math.floor(ms / size);
    if (n >= 1) return `${n} ${name}${n === 1 ? '' : 's'}`;
  }
  return `${Math.max(0, Math.round(ms / 1000))} seconds`;
}

/** The /buy message: the rate and what each pack buys, shown before anything is bought. */
export function offerText(offer: StarsOffer): string {
  const packs = offer.packs.map((p) => `${formatStars(p.stars)} → ${formatTon(BigInt(p.nano))} TON`);
  return [
    'Buy Cocoon compute credit with Telegram Stars.',
    `Rate: 1 ⭐ = ${formatTon(BigInt(offer.rateNanoPerStar))} TON of compute.`,
    '',
    ...packs,
    '',
    `Stars credit pays for jobs only and is never withdrawable as TON. A purchase whose credit is wholly ` +
      `unspent can be refunded within ${formatDuration(offer.refundWindowMs)} (/refund). ` +
      `Up to ${formatStars(offer.dailyCapStars)} a day. Terms: /terms`,
  ].join('\n');
}

export function packButtonText(pack: { stars: number; nano: string }): string {
  return `${formatStars(pack.stars)} → ${formatTon(BigInt(pack.nano))} TON`;
}

/** Cuts to `max` UTF-16 units on a code point boundary. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end);
}

/** What the balance lines read of the user's account. */
export type BalanceView = Pick<
  MeView,
  'balanceNano' | 'heldNano' | 'onchainNano' | 'starsNano' | 'receivableNano'
>;

/** The user's balance lines for /balance and receipts: Stars credit and any receivable apart. */
export function balanceLines(me: BalanceView): string[] {
  const held = BigInt(me.heldNano);
  const lines = [
    `Balance: ${formatTon(BigInt(me.balanceNano))} TON${held > 0n ? ` (${formatTon(held)} TON held for running jobs)` : ''}`,
  ];
  const stars = BigInt(me.starsNano ?? '0');
  if (stars > 0n)
    lines.push(
      `Stars credit: ${formatTon(stars)} TON (bought with Telegram Stars; for jobs only, not withdrawable)`,
    );
  const owed = BigInt(me.receivableNano ?? '0');
  if (owed > 0n) lines.push(receivableLine(owed));
  // An on-chain account pays this user's jobs: say what it has, or they'd read 0 and think they're broke.
  if (me.onchainNano != null)
    lines.push(
      `On-chain account: ${formatTon(BigInt(me.onchainNano))} TON for jobs (your own contract; your jobs are paid from it)`,
    );
  return lines;
}

export function receivableLine(owedNano: bigint): string {
  return (
    `Owed: ${formatTon(owedNano)} TON — a Telegram Stars payment was reversed after its credit was spent. ` +
    'New jobs are paused until it is settled: your next Stars purchase (/buy) pays it first.'
  );
}

export function paidText(purchase: StarsPurchaseView, me: BalanceView | undefined): string {
  const head = `Thank you! ${formatStars(purchase.stars)} bought ${formatTon(BigInt(purchase.nano))} TON of compute credit.`;
  return me ? `${head}\n\n${balanceLines(me).join('\n')}` : head;
}

export const ALREADY_CREDITED = 'This payment was credited before; nothing more was added.';

export function reportFailedText(chargeId: string): string {
  return (
    "Telegram took your payment, but I couldn't reach Cocoon to credit it just now. It is recorded with " +
    `Telegram (payment ${clip(chargeId, 64)}); send /paysupport with this id if it isn't credited soon.`
  );
}

export function reversedText(purchase: StarsPurchaseView, owedNano: bigint): string {
  const head =
    `Telegram refunded your payment of ${formatStars(purchase.stars)}, so its ` +
    `${formatTon(BigInt(purchase.nano))} TON of Stars credit was taken back.`;
  return owedNano > 0n ? `${head}\n${receivableLine(owedNano)}` : head;
}

export function purchaseLine(p: StarsPurchaseView): string {
  const when = (p.paidAt ?? p.createdAt).slice(0, 10);
  const spent = BigInt(p.spentNano);
  const use = spent > 0n ? `, ${formatTon(spent)} TON spent` : ', unspent';
  const head = `${when}: ${formatStars(p.stars)} → ${formatTon(BigInt(p.nano))} TON${use}`;
  if (p.refundable)
    return `${head} — refundable${p.refundableUntil ? ` until ${p.refundableUntil.slice(0, 16).replace('T', ' ')} UTC` : ''}`;
  return `${head} — not refundable: ${notRefundableReason(p)}`;
}

/** Why a purchase can't be refunded, in the user's words (the proxy's reason, or one from its numbers). */
export function notRefundableReason(p: StarsPurchaseView): string {
  if (p.state === 'refunded') return 'already refunded';
  if (p.state === 'reversed') return 'Telegram reversed this payment';
  if (BigInt(p.spentNano) > 0n)
    return 'part of its credit was spent, and Telegram refunds a whole payment only';
  if (p.notRefundableReason) return clip(p.notRefundableReason, 200);
  return 'past the refund window';
}

export function refundListText(purchases: StarsPurchaseView[]): string {
  const paid = purchases.filter((p) => p.state !== 'pending');
  if (paid.length === 0) return 'You have no Stars purchases. /buy shows what Stars buy.';
  return [
    'Your Stars purchases:',
    ...paid.map(purchaseLine),
    '',
    'Telegram refunds a whole payment only, so a purchase can be refunded while its credit is wholly unspent. ' +
      'Press a button to refund one; the Stars go back to your Telegram balance.',
  ].join('\n');
}

export function refundedText(p: StarsPurchaseView): string {
  return (
    `Refunded: ${formatStars(p.stars)} go back to your Telegram Stars balance, and its ` +
    `${formatTon(BigInt(p.nano))} TON of Stars credit was removed.`
  );
}

export function termsText(offer: StarsOffer | undefined, support: string): string {
  return [
    'Terms of sale',
    '',
    'What is sold: Cocoon compute credit, paid in Telegram Stars. It pays for jobs on the Cocoon network ' +
      '(summaries, text generation) run by independent rigs; it is never paid out or withdrawable as TON.' +
      (offer
        ? ` Rate: 1 ⭐ = ${formatTon(BigInt(offer.rateNanoPerStar))} TON of compute, shown before each purchase.`
        : ''),
    '',
    'Delivery: the credit is added as soon as Telegram confirms the payment; /balance shows it.',
    '',
    `Refunds: a purchase whose credit is wholly unspent can be refunded${offer ? ` within ${formatDuration(offer.refundWindowMs)}` : ''} with /refund. ` +
      'Telegram refunds a whole payment only, so a partly spent purchase is not refundable. A payment Telegram ' +
      'reverses takes its credit back; credit already spent is then owed, and new jobs wait until it is settled.',
    '',
    `Support: /paysupport — ${support}`,
  ].join('\n');
}

export function paySupportText(support: string): string {
  return [
    'Help with a payment',
    '',
    `Contact: ${support}. Include the payment id from your receipt (or /refund's list) and what went wrong.`,
    '',
    '/refund lists your purchases and refunds an unspent one at once. /balance shows your credit. /terms has the terms of sale.',
    "Telegram's own support can't help with purchases made in this bot.",
  ].join('\n');
}
