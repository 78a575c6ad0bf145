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

/** "0.42 s" to the first token; "—" when not measured yet. */
export function firstTokenText(ms: number | null): string {
  return ms === null ? '—' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** "12.5 tok/s" decode speed; "—" when not measured yet. */
export function tokensPerSText(tps: number | null): string {
  return tps === null ? '—' : `${tps < 100 ? tps.toFixed(1) : Math.round(tps)} tok/s`;
}

/** A rig's measured speed for a model in one line: "first token 0.42 s · 12.5 tok/s · 8 jobs". */
export function speedText(speed: {
  firstTokenMs: number | null;
  tokensPerS: number | null;
  jobs: number;
}): string {
  if (speed.jobs === 0) return 'speed not measured yet (jobs paid by others measure it)';
  return `first token ${firstTokenText(speed.firstTokenMs)} · ${tokensPerSText(speed.tokensPerS)} · ${speed.jobs} job${speed.jobs === 1 ? '' : 's'}`;
}
