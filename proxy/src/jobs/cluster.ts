// Several proxies on one PostgreSQL. A worker's socket lives in one proxy process; a client's SSE stream
// may live in another. Through LISTEN/NOTIFY a proxy hands a job over to the process that holds the
// chosen rig, and job events reach whichever process streams them to the client.
// On PGlite (one process by construction) nothing is sent.
import type { JobEvent } from '@cocoon/shared';
import type { Db } from '../db';
import type { Logger } from '../log';

const CHANNEL = 'cocoon_jobs';
// NOTIFY payloads are capped at 8,000 bytes; bigger chunks stay local (the final result is in the database).
const MAX_PAYLOAD = 7_500;

type Message =
  | { kind: 'assign'; to: string; jobId: string }
  | { kind: 'event'; from: string; jobId: string; event: JobEvent | { type: 'done'; fromDb: true } };

export interface ClusterHandlers {
  /** Another proxy gave us a job for a rig whose socket we hold. */
  onAssign(jobId: string): Promise<void>;
  /** An event published by another proxy, for our SSE subscribers. A done arrives without its result. */
  onEvent(jobId: string, event: JobEvent | { type: 'done'; fromDb: true }): Promise<void>;
}

export class Cluster {
  private unlisten?: () => Promise<void>;

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
      const work =
        msg.kind === 'assign'
          ? msg.to === this.instanceId
            ? handlers.onAssign(msg.jobId)
            : undefined
          : msg.from !== this.instanceId
            ? handlers.onEvent(msg.jobId, msg.event)
            : undefined;
      work?.catch((err) => this.log.error({ err, jobId: msg.jobId }, 'cluster message failed'));
    });
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }

  async handOver(to: string, jobId: string): Promise<void> {
    await this.send({ kind: 'assign', to, jobId });
  }

  async relay(jobId: string, event: JobEvent): Promise<void> {
    if (!this.enabled) return;
    const slim = event.type === 'done' ? ({ type: 'done', fromDb: true } as const) : event;
    await this.send({ kind: 'event', from: this.instanceId, jobId, event: slim });
  }

  private async send(msg: Message): Promise<void> {
    if (!this.enabled) return;
    const payload = JSON.stringify(msg);
    if (payload.length > MAX_PAYLOAD) return;
    await this.db.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
  }
}
