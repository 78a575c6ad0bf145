// Live job events for SSE subscribers in this process. Chunks of the current attempt are kept until the
// job ends, so a client that subscribes late still reads the whole stream.
import type { JobEvent } from '@cocoon/shared';

type Listener = (event: JobEvent) => void;

export class JobEventHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly backlogs = new Map<string, JobEvent[]>();

  publish(jobId: string, event: JobEvent): void {
    if (event.type === 'state') this.backlogs.set(jobId, []);
    else if (event.type === 'chunk')
      this.backlogs.get(jobId)?.push(event) ?? this.backlogs.set(jobId, [event]);
    else this.backlogs.delete(jobId);
    for (const l of this.listeners.get(jobId) ?? []) l(event);
  }

  /** The chunks streamed so far for the current attempt of a job. */
  backlog(jobId: string): JobEvent[] {
    return [...(this.backlogs.get(jobId) ?? [])];
  }

  /** Starts listening and returns the chunks already streamed for the current attempt. */
  subscribe(jobId: string, listener: Listener): { backlog: JobEvent[]; unsubscribe: () => void } {
    const set = this.listeners.get(jobId) ?? new Set<Listener>();
    this.listeners.set(jobId, set);
    set.add(listener);
    return {
      backlog: this.backlog(jobId),
      unsubscribe: () => {
        set.delete(listener);
        if (set.size === 0) this.listeners.delete(jobId);
      },
    };
  }
}
