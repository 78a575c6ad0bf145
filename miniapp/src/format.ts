// Display helpers. Money stays bigint nanoTON until the last step; formatTon never goes through floats.
import { formatTon, parseTon } from '@cocoon/shared';

/** nanoTON (a digit string from the API, or a bigint) as "1.5 TON"; "—" when the value is unusable. */
export function tonText(nano: string | bigint | null | undefined, unit = 'TON'): string {
  if (nano === null || nano === undefined || nano === '') return '—';
  try {
    return `${formatTon(typeof nano === 'bigint' ? nano : BigInt(nano))} ${unit}`.trim();
  } catch {
    return '—';
  }
}

/** A user's TON amount ("1.5", "1,5") as nanoTON, or null with no exceptions (for form validation). */
export function parseTonInput(text: string): bigint | null {
  const t = text.trim().replace(',', '.');
  if (!t) return null;
  try {
    return parseTon(t);
  } catch {
    return null;
  }
}

export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  const p = rate <= 1 ? rate * 100 : rate;
  return `${p.toFixed(p >= 99.95 || p === 0 ? 0 : 1)}%`;
}

export function shortDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function shortAddress(address: string): string {
  return address.length > 16 ? `${address.slice(0, 6)}…${address.slice(-6)}` : address;
}
