// Small inline-SVG charts (no chart library): a step/line chart of prices over time and a bar chart.
// Lazy-loaded by the pages that show them. Colours come from the theme via currentColor.

export interface Point {
  t: number;
  v: number;
}

const W = 320;
const H = 120;
const PAD = 6;

/** Maps points to SVG coordinates, padding the value range so a flat series sits mid-chart. */
export function scalePoints(points: Point[], w = W, h = H): Array<[number, number]> {
  if (points.length === 0) return [];
  const ts = points.map((p) => p.t);
  const vs = points.map((p) => p.v);
  const [t0, t1] = [Math.min(...ts), Math.max(...ts)];
  let [v0, v1] = [Math.min(...vs), Math.max(...vs)];
  if (v0 === v1) [v0, v1] = [v0 * 0.9, v1 * 1.1 || 1];
  const x = (t: number) => (t1 === t0 ? w / 2 : PAD + ((t - t0) / (t1 - t0)) * (w - 2 * PAD));
  const y = (v: number) => h - PAD - ((v - v0) / (v1 - v0)) * (h - 2 * PAD);
  return points.map((p) => [x(p.t), y(p.v)]);
}

export function LineChart({ points, label, testId }: { points: Point[]; label: string; testId?: string }) {
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const xy = scalePoints(sorted);
  const d = xy.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const area =
    xy.length > 1 ? `${d} L${xy[xy.length - 1][0].toFixed(1)},${H} L${xy[0][0].toFixed(1)},${H} Z` : '';
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={label}
      data-testid={testId}
      className="block h-[120px] w-full text-link"
      preserveAspectRatio="none"
    >
      {area && <path d={area} fill="currentColor" opacity="0.12" />}
      <path d={d} fill="none" stroke="currentColor" strokeWidth="2" vectorEffect="non-scaling-stroke" />
      {xy.map(([x, y], i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: points have no identity beyond their order
        <circle key={i} cx={x} cy={y} r="2.5" fill="currentColor" />
      ))}
    </svg>
  );
}

export function BarChart({
  bars,
  label,
  testId,
}: {
  bars: Array<{ label: string; value: number; text: string }>;
  label: string;
  testId?: string;
}) {
  const max = Math.max(...bars.map((b) => b.value), 0) || 1;
  return (
    <div role="img" aria-label={label} data-testid={testId} className="flex flex-col gap-1.5">
      {bars.map((b) => (
        <div
          key={b.label}
          className="grid grid-cols-[minmax(0,7rem)_1fr_auto] items-center gap-2 text-[13px]"
        >
          <span className="truncate text-hint">{b.label}</span>
          <span className="h-2.5 overflow-hidden rounded bg-bg2">
            <span className="block h-full rounded bg-button" style={{ width: `${(b.value / max) * 100}%` }} />
          </span>
          <span className="tabular">{b.text}</span>
        </div>
      ))}
    </div>
  );
}
