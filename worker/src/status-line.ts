// What the CLI shows a rig owner on stderr: a progress bar while models load, then one status line that
// refreshes in place on a terminal, or a plain log line on each change when stderr is a pipe or a file.
import type { WorkerStats } from './connection';

export interface Output {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

const BAR_WIDTH = 24;

export function progressBar(fraction: number, width = BAR_WIDTH): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}

/** Progress while models load: one bar per model, redrawn in place on a TTY, a line per 25% otherwise. */
export function modelProgress(out: Output): { update(modelId: string, fraction: number): void; end(): void } {
  const lastStep = new Map<string, number>();
  let current = '';
  return {
    update(modelId, fraction) {
      if (out.isTTY) {
        if (current && current !== modelId) out.write('\n');
        current = modelId;
        out.write(`\r\x1b[2Kloading ${modelId.padEnd(22)} ${progressBar(fraction)}`);
        return;
      }
      const step = Math.floor(Math.min(1, Math.max(0, fraction)) * 4);
      if (lastStep.get(modelId) === step) return;
      lastStep.set(modelId, step);
      out.write(`loading ${modelId} ${progressBar(fraction)}\n`);
    },
    end() {
      if (out.isTTY && current) out.write('\n');
    },
  };
}

export function statusText(s: WorkerStats): string {
  const state =
    s.state === 'connected'
      ? 'connected'
      : s.state === 'reconnecting'
        ? `reconnecting (${s.reconnects})`
        : s.state;
  const parts = [
    state,
    `${s.device}`,
    `jobs ${s.jobsDone} done${s.jobsFailed ? `, ${s.jobsFailed} failed` : ''}`,
    `running ${s.running}/${s.slots}${s.queued ? ` +${s.queued} queued` : ''}`,
    `${s.tokensPerSecond.toFixed(1)} tok/s`,
    `tokens ${s.promptTokens + s.completionTokens}`,
  ];
  return parts.join(' · ');
}

/** A status line: on a TTY it redraws (at most every 250 ms); otherwise it logs a line when it changes. */
export function statusLine(out: Output, stats: () => WorkerStats) {
  let last = '';
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    timer = undefined;
    const text = statusText(stats());
    if (out.isTTY) {
      const width = Math.max(20, (out.columns ?? 100) - 1);
      out.write(`\r\x1b[2K${text.slice(0, width)}`);
    } else if (text !== last) {
      out.write(`${new Date().toISOString()} ${text}\n`);
    }
    last = text;
  };
  return {
    /** Schedules a redraw; many calls in a burst draw once. */
    refresh() {
      if (!timer) timer = setTimeout(draw, out.isTTY ? 250 : 0);
    },
    /** Draws now and leaves the cursor on a fresh line. */
    end() {
      clearTimeout(timer);
      draw();
      if (out.isTTY) out.write('\n');
    },
  };
}
