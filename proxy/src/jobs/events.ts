// Live job events for SSE subscribers in this process. Chunks of the current attempt are kept until the
// job ends, so a client that subscribes late still reads the whole stream.
import type { JobEvent } from '@cocoon/shared';

type Listener = (event: JobEvent) => void;

export class JobEventHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly backlog = new Map<string, JobEvent[]>();

  publish(jobId: string, event: JobEvent): void {
    if (event.type === 'state') this.backlog.set(jobId, []);
    else if (event.type === 'chunk') this.backlog.get(jobId)?.push(event) ?? this.backlog.set(jobId, [event]);
    else this.backlog.delete(jobId);
    for (const l of this.listeners.get(jobId) ?? []) l(event);
  }

  /** Starts listening and returns the chunks already streamed for the current attempt. */
  subscribe(jobId: string, listener: Listener): { backlog: JobEvent[]; unsubscribe: () => void } {
    const set = this.listeners.get(jobId) ?? new Set<Listener>();
    this.listeners.set(jobId, set);
    set.add(listener);
    return {
      backlog: [...(this.backlog.get(jobId) ?? [])],
      unsubscribe: () => {
        set.delete(listener);
        if (set.size === 0) this.listeners.delete(jobId);
      },
    };
  }
}
