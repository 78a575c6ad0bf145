// Live job events for SSE subscribers in this process. Chunks of the current attempt are kept until the
// job ends, so a client that subscribes late still reads the whole stream. What is kept is bounded: each
// job's stream by its token budget (the dispatcher cuts off a rig past it), and all of them together by
// `maxBacklogBytes`; past that, chunks still reach live subscribers but are not kept for late ones (who get
// the whole text in the final result anyway).
import type { JobEvent, JobView } from '@cocoon/shared';

type Listener = (event: JobEvent) => void;

const DEFAULT_MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

function sizeOf(event: JobEvent): number {
  return event.type === 'chunk' ? event.sealed.ciphertext.length + event.sealed.nonce.length + 128 : 0;
}

export class JobEventHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly backlogs = new Map<string, { events: JobEvent[]; bytes: number }>();
  private backlogBytes = 0;

  constructor(private readonly maxBacklogBytes = DEFAULT_MAX_BACKLOG_BYTES) {}

  publish(jobId: string, event: JobEvent): void {
    if (event.type === 'chunk') this.keep(jobId, event);
    // A place in line says nothing of the stream; a new state restarts it, an end ends it.
    else if (event.type !== 'queued') this.drop(jobId, event.type === 'state');
    for (const l of this.listeners.get(jobId) ?? []) l(event);
  }

  /** Bytes kept for late subscribers, all jobs together. */
  get keptBytes(): number {
    return this.backlogBytes;
  }

  private keep(jobId: string, event: JobEvent): void {
    const size = sizeOf(event);
    if (this.backlogBytes + size > this.maxBacklogBytes) return;
    const b = this.backlogs.get(jobId) ?? { events: [], bytes: 0 };
    this.backlogs.set(jobId, b);
    b.events.push(event);
    b.bytes += size;
    this.backlogBytes += size;
  }

  /** A new attempt starts (its stream starts over) or the job ended: forget what was kept. */
  private drop(jobId: string, restart: boolean): void {
    const b = this.backlogs.get(jobId);
    if (b) this.backlogBytes -= b.bytes;
    if (restart) this.backlogs.set(jobId, { events: [], bytes: 0 });
    else this.backlogs.delete(jobId);
  }

  /** The chunks streamed so far for the current attempt of a job. */
  backlog(jobId: string): JobEvent[] {
    return [...(this.backlogs.get(jobId)?.events ?? [])];
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

/** The `done` event of a job that is done with a result (a late subscriber's, or one settled by another proxy). */
export function doneEventOf(job: JobView): Extract<JobEvent, { type: 'done' }> | undefined {
  if (job.state !== 'done' || !job.result || !job.rigId) return undefined;
  return {
    type: 'done',
    rigId: job.rigId,
    result: job.result,
    commitment: job.commitment ?? '',
    costNano: job.costNano ?? '0',
    promptTokens: job.promptTokens ?? 0,
    completionTokens: job.completionTokens ?? 0,
  };
}
