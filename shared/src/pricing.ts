// Pricing math in integer nanoTON. Rigs ask a price per 1,000 tokens; the platform fee is charged on top.

export const NANO_PER_TON = 1_000_000_000n;
export const MAX_BASIS_POINTS = 10_000n;

/** What a rig earns for `tokens` at `priceNanoPer1k`, rounded up to a whole nanoTON. */
export function rigCostNano(tokens: number | bigint, priceNanoPer1k: bigint): bigint {
  const t = BigInt(tokens);
  if (t < 0n || priceNanoPer1k < 0n) throw new RangeError('tokens and price must be non-negative');
  return (t * priceNanoPer1k + 999n) / 1000n;
}

/** The platform fee on top of a rig's cost, rounded down (the user is never charged more than quoted). */
export function feeNano(rigCost: bigint, feeBps: number | bigint): bigint {
  return (rigCost * BigInt(feeBps)) / MAX_BASIS_POINTS;
}

export interface Charge {
  rigNano: bigint;
  feeNano: bigint;
  totalNano: bigint;
}

/** The full charge for a job: what the rig gets, what the platform gets, and their sum the user pays. */
export function chargeFor(tokens: number | bigint, priceNanoPer1k: bigint, feeBps: number | bigint): Charge {
  const rigNano = rigCostNano(tokens, priceNanoPer1k);
  const fee = feeNano(rigNano, feeBps);
  return { rigNano, feeNano: fee, totalNano: rigNano + fee };
}

/**
 * The hold a quote places: the charge for the most tokens the job may use at the highest candidate price.
 * Charges are monotone in tokens and price, so a job that stays within its quote never costs more.
 */
export function holdFor(
  maxBillableTokens: number,
  maxCandidatePriceNanoPer1k: bigint,
  feeBps: number,
): bigint {
  return chargeFor(maxBillableTokens, maxCandidatePriceNanoPer1k, feeBps).totalNano;
}

/** Parses a decimal TON amount ("1.5") into nanoTON without floating point. */
export function parseTon(amount: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(amount.trim());
  if (!m) throw new RangeError(`not a TON amount: ${amount}`);
  return BigInt(m[1]) * NANO_PER_TON + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Formats nanoTON as a decimal TON string with trailing zeros trimmed ("1.5", "0.000000001"). */
export function formatTon(nano: bigint): string {
  const neg = nano < 0n;
  const abs = neg ? -nano : nano;
  const whole = abs / NANO_PER_TON;
  const frac = (abs % NANO_PER_TON).toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}
