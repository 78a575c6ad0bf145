// Several proxies on one PostgreSQL. A worker's socket lives in one proxy process; a client's SSE stream
// may live in another. Through LISTEN/NOTIFY a proxy hands a job over to the process that holds the
// chosen rig, and job events reach whichever process streams them to the client.
// On PGlite (one process by construction) nothing is sent.
//
// NOTIFY is not free (PostgreSQL serialises it at commit), so a job's stream is only relayed while another
// proxy watches it: a proxy that opens an SSE stream says "watch"; the others then relay that job's events
// and replay the chunks they already streamed. Ends (done, failed) are always relayed: a watch can arrive
// after the job ended, and a client must never wait for an end that was not sent.
import type { JobEvent } from '@cocoon/shared';
import type { Logger } from '@cocoon/shared/node';
import { type Db, notify } from '../db';

const CHANNEL = 'cocoon_jobs';
// NOTIFY payloads are capped at 8,000 bytes; bigger chunks stay local (the final result is in the database).
const MAX_PAYLOAD = 7_500;

type Message =
  | { kind: 'assign'; to: string; jobId: string }
  | { kind: 'watch'; from: string; jobId: string }
  | { kind: 'event'; from: string; jobId: string; event: JobEvent | { type: 'done'; fromDb: true } };

export interface ClusterHandlers {
  /** Another proxy gave us a job for a rig whose socket we hold. */
  onAssign(jobId: string): Promise<void>;
  /** An event published by another proxy, for our SSE subscribers. A done arrives without its result. */
  onEvent(jobId: string, event: JobEvent | { type: 'done'; fromDb: true }): Promise<void>;
  /** Another proxy started watching a job: the events we streamed so far, to relay again. */
  backlog(jobId: string): JobEvent[];
}

// Forget a watch after this long without an end (the job ended on a third proxy, or the watcher left).
const WATCH_TTL_MS = 60 * 60_000;

export class Cluster {
  private unlisten?: () => Promise<void>;
  /** Jobs some other proxy streams to a client, with when we stop relaying them regardless. */
  private readonly watched = new Map<string, number>();
  /** The last relay sent per job: a job's events go out one after another, so they arrive in order. */
  private readonly relaying = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly instanceId: string,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.db.kind === 'postgres';
  }

  async start(handlers: ClusterHandlers): Promise<void> {
    if (!this.enabled) return;
    this.unlisten = await this.db.listen(CHANNEL, (payload) => {
      let msg: Message;
      try {
        msg = JSON.parse(payload);
      } catch {
        return;
      }
      if (msg.kind === 'assign') {
        if (msg.to === this.instanceId) {
          handlers
            .onAssign(msg.jobId)
            .catch((err) => this.log.error({ err, jobId: msg.jobId }, 'cluster message failed'));
        }
        return;
      }
      if (msg.from === this.instanceId) return;
      if (msg.kind === 'watch') {
        this.watch(msg.jobId);
        for (const event of handlers.backlog(msg.jobId)) void this.relay(msg.jobId, event);
        return;
      }
      if (msg.event.type === 'done' || msg.event.type === 'failed') this.watched.delete(msg.jobId);
      handlers
        .onEvent(msg.jobId, msg.event)
        .catch((err) => this.log.error({ err, jobId: msg.jobId }, 'cluster message failed'));
    });
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }

  async handOver(to: string, jobId: string): Promise<void> {
    await this.send({ kind: 'assign', to, jobId });
  }

  /** Asks the other proxies to relay a job's events here (an SSE stream opened on this proxy). */
  async requestWatch(jobId: string): Promise<void> {
    await this.send({ kind: 'watch', from: this.instanceId, jobId });
  }

  private watch(jobId: string): void {
    const now = Date.now();
    if (this.watched.size >= 10_000) {
      for (const [id, until] of this.watched) if (until < now) this.watched.delete(id);
    }
    this.watched.set(jobId, now + WATCH_TTL_MS);
  }

  async relay(jobId: string, event: JobEvent): Promise<void> {
    if (!this.enabled) return;
    const ends = event.type === 'done' || event.type === 'failed';
    if (!ends && !this.watched.has(jobId)) return;
    if (ends) this.watched.delete(jobId);
    const slim = event.type === 'done' ? ({ type: 'done', fromDb: true } as const) : event;
    const sent = (this.relaying.get(jobId) ?? Promise.resolve())
      .catch(() => {})
      .then(() => this.send({ kind: 'event', from: this.instanceId, jobId, event: slim }));
    this.relaying.set(jobId, sent);
    void sent
      .finally(() => {
        if (this.relaying.get(jobId) === sent) this.relaying.delete(jobId);
      })
      .catch(() => {});
    await sent;
  }

  private async send(msg: Message): Promise<void> {
    if (!this.enabled) return;
    const payload = JSON.stringify(msg);
    if (payload.length > MAX_PAYLOAD) return;
    await notify(this.db, CHANNEL, payload);
  }
}
