// A task that runs every `intervalMs` once started, never overlapping itself: a `tick()` while one runs
// joins it. Errors are reported and the schedule goes on.
export interface PeriodicTask<T> {
  tick(): Promise<T>;
  start(): void;
  stop(): Promise<void>;
}

export function periodicTask<T>(
  run: () => Promise<T>,
  intervalMs: number,
  onError: (err: unknown) => void,
): PeriodicTask<T> {
  let running: Promise<T> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;

  const tick = () => {
    if (!running) running = run().finally(() => (running = null));
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      tick().catch(onError).finally(schedule);
    }, intervalMs);
  };

  return {
    tick,
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running?.catch(() => undefined);
    },
  };
}
