/** A contract delay in words: 86400 → "24 hours", 172800 → "2 days", 90 → "90 s". */
export function delayText(s: number): string {
  if (s % 86_400 === 0) return s === 86_400 ? '24 hours' : `${s / 86_400} days`;
  if (s % 3600 === 0) return s === 3600 ? '1 hour' : `${s / 3600} hours`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}
