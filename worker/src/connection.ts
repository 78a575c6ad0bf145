// The rig's connection to the proxy: it dials OUT to ws(s)://…/v1/worker (rigs sit behind NAT), says
// hello, runs assigned jobs in up to `slots` at once, heartbeats, and reconnects with backoff.
// The close codes WORKER_CLOSE.badToken (bad or revoked token) and .replaced (another worker took over this
// token) stop it for good.
import {
  fromBase64,
  PROTOCOL_VERSION,
  proxyToWorker,
  type ServedModel,
  toBase64,
  WORKER_CLOSE,
  WORKER_CLOSE_FINAL,
  type WorkerToProxy,
} from '@cocoon/shared';
import WebSocket from 'ws';
import { workerChannelUrl } from './config';
import type { Provider } from './engine/ort-session';
import { JobSlots } from './job-slots';
import type { RigKeys } from './keys';
import type { Model } from './models/index';
import type { Tee } from './tee/index';

/** The pino subset the worker logs through. Never pass it job text, keys or the token. */
export interface WorkerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'draining' | 'stopped';

export interface WorkerStats {
  state: ConnectionState;
  rigId: string | null;
  device: Provider;
  slots: number;
  running: number;
  queued: number;
  jobsDone: number;
  jobsFailed: number;
  promptTokens: number;
  completionTokens: number;
  /** Completion tokens per second of job run time, over every job done so far. */
  tokensPerSecond: number;
  reconnects: number;
  /** Why the worker stopped for good, when it did on its own (bad token, replaced). */
  fatal: string | null;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export interface ConnectionOptions {
  proxyUrl: string;
  token: string;
  keys: RigKeys;
  models: ReadonlyMap<string, Model>;
  slots: number;
  device: Provider;
  /** The TEE the rig attests from (tee/index.ts); none by default. */
  tee?: Tee;
  version: string;
  logger: WorkerLogger;
  backoff?: Partial<BackoffOptions>;
  /** Called whenever stats change, for the CLI's status line. */
  onChange?: () => void;
}

export interface StopOptions {
  /** false: drop the connection at once, as a crash would (running jobs are abandoned). Default true. */
  graceful?: boolean;
  /** Longest wait for running jobs to finish before they are failed back to the proxy. */
  drainMs?: number;
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

/** Delay before reconnect attempt `n` (0-based): exponential, capped, with jitter in [delay/2, delay]. */
export function backoffDelay(n: number, opts: BackoffOptions, random = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(n, 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** The models as the hello message lists them: generate models also take chat jobs. */
export function servedModels(models: ReadonlyMap<string, Model>): ServedModel[] {
  return [...models.values()].map((m) => ({
    id: m.id,
    kinds: [...m.accepts, ...(m.accepts.includes('generate') && m.chatPrompt ? (['chat'] as const) : [])],
    contextLength: m.contextLength,
    description: m.description.slice(0, 200),
    demoGrade: m.demoGrade,
    ...(m.digest ? { digest: m.digest } : {}),
  }));
}

export class WorkerConnection {
  readonly rigId: Promise<string>;
  /** Settles when the worker has stopped: resolves on stop(), rejects on a fatal close (bad token). */
  readonly closed: Promise<void>;

  private readonly opts: ConnectionOptions;
  private readonly backoff: BackoffOptions;
  private state: ConnectionState = 'connecting';
  private socket: WebSocket | null = null;
  private currentRigId: string | null = null;
  private readonly slots: JobSlots;
  private reconnects = 0;
  private fatal: string | null = null;
  private stopping = false;
  private wakeBackoff: (() => void) | null = null;
  private resolveRig!: (id: string) => void;
  private rejectRig!: (err: Error) => void;
  private resolveClosed!: () => void;
  private rejectClosed!: (err: Error) => void;

  constructor(opts: ConnectionOptions) {
    this.opts = opts;
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.slots = new JobSlots({ ...opts, send: (m) => this.send(m) });
    this.rigId = new Promise((res, rej) => {
      this.resolveRig = res;
      this.rejectRig = rej;
    });
    this.closed = new Promise((res, rej) => {
      this.resolveClosed = res;
      this.rejectClosed = rej;
    });
    // Callers may only await one of them; neither should crash the process as unhandled.
    this.rigId.catch(() => {});
    this.closed.catch(() => {});
  }

  start(): void {
    void this.loop();
  }

  stats(): WorkerStats {
    const c = this.slots.counters;
    return {
      state: this.state,
      rigId: this.currentRigId,
      device: this.opts.device,
      slots: this.opts.slots,
      running: this.slots.running.size,
      // The proxy gives a rig jobs only into its free slots; the worker keeps no queue of its own.
      queued: 0,
      jobsDone: c.jobsDone,
      jobsFailed: c.jobsFailed,
      promptTokens: c.promptTokens,
      completionTokens: c.completionTokens,
      tokensPerSecond: c.runMs > 0 ? c.completionTokens / (c.runMs / 1000) : 0,
      reconnects: this.reconnects,
      fatal: this.fatal,
    };
  }

  /** Stops taking jobs, lets running ones finish (bounded by drainMs), then closes for good. */
  async stop(options: StopOptions = {}): Promise<void> {
    const graceful = options.graceful ?? true;
    if (this.stopping) {
      if (!graceful) this.socket?.terminate();
      return this.closed.catch(() => {});
    }
    this.stopping = true;
    this.wakeBackoff?.();
    if (!graceful) {
      this.slots.abortAll('worker killed');
      this.socket?.terminate();
      return this.closed.catch(() => {});
    }
    this.setState('draining');
    const drainMs = options.drainMs ?? 30_000;
    await this.slots.drain(drainMs);
    this.socket?.close(1000, 'worker stopping');
    // A socket that doesn't close cleanly in a few seconds is dropped.
    const sock = this.socket;
    const force = setTimeout(() => sock?.terminate(), 3000);
    await this.closed.catch(() => {});
    clearTimeout(force);
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.opts.onChange?.();
  }

  private send(msg: WorkerToProxy): void {
    const s = this.socket;
    if (s && s.readyState === WebSocket.OPEN) s.send(JSON.stringify(msg));
  }

  /** Answers a challenge with evidence (a TD quote over the keys and it), whenever the proxy asks. */
  private sendEvidence(challengeB64: string): void {
    const tee = this.opts.tee;
    if (!tee || tee.kind === 'none') return;
    void tee.evidence(fromBase64(challengeB64)).then((evidence) => {
      if (evidence.kind === 'none')
        this.opts.logger.warn({ reason: evidence.reason }, 'no TDX quote for the proxy: open tier');
      this.send({ type: 'evidence', evidence });
    });
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    // Runs until stop() or a fatal close; every wait in it is bounded by backoff.maxMs.
    while (!this.stopping) {
      const { code, reason, welcomed } = await this.connectOnce();
      this.slots.abortAll('connection lost');
      if (this.stopping) break;
      if (WORKER_CLOSE_FINAL.includes(code)) {
        this.fatal =
          code === WORKER_CLOSE.badToken
            ? 'the proxy refused the rig token (unknown or revoked): register the rig again or rotate its token'
            : code === WORKER_CLOSE.badHello
              ? `the proxy refused this worker's hello: ${reason || 'no reason given'}`
              : 'another worker connected with this rig token and replaced this one';
        this.opts.logger.error({ code }, this.fatal);
        break;
      }
      if (welcomed) attempt = 0;
      const delay = backoffDelay(attempt++, this.backoff);
      this.reconnects++;
      this.setState('reconnecting');
      this.opts.logger.warn({ code, reason, retryInMs: delay }, 'disconnected from the proxy; reconnecting');
      await new Promise<void>((res) => {
        const t = setTimeout(res, delay);
        this.wakeBackoff = () => {
          clearTimeout(t);
          res();
        };
      });
      this.wakeBackoff = null;
    }
    this.setState('stopped');
    if (this.fatal) {
      const err = new Error(this.fatal);
      this.rejectRig(err);
      this.rejectClosed(err);
    } else {
      this.rejectRig(new Error('the worker stopped before the proxy welcomed it'));
      this.resolveClosed();
    }
  }

  /** One socket's life: resolves when it closes, with the close code. */
  private connectOnce(): Promise<{ code: number; reason: string; welcomed: boolean }> {
    return new Promise((resolve) => {
      const ws = new WebSocket(workerChannelUrl(this.opts.proxyUrl), {
        headers: { authorization: `Bearer ${this.opts.token}` },
        handshakeTimeout: 15_000,
        maxPayload: 16 * 1024 * 1024,
      });
      this.socket = ws;
      let welcomed = false;
      let heartbeat: NodeJS.Timeout | undefined;
      let lastHeard = Date.now();

      ws.on('open', () => {
        lastHeard = Date.now();
        this.send({
          type: 'hello',
          protocol: PROTOCOL_VERSION,
          models: servedModels(this.opts.models),
          slots: this.opts.slots,
          x25519PublicKey: toBase64(this.opts.keys.x25519.publicKey),
          ed25519PublicKey: toBase64(this.opts.keys.ed25519.publicKey),
          device: this.opts.device,
          version: this.opts.version,
          attestation: { kind: this.opts.tee?.kind ?? 'none' },
        });
      });
      ws.on('pong', () => {
        lastHeard = Date.now();
      });
      ws.on('message', (data) => {
        lastHeard = Date.now();
        let json: unknown;
        try {
          json = JSON.parse(String(data));
        } catch {
          this.opts.logger.warn({}, 'proxy sent a frame that is not JSON; ignored');
          return;
        }
        const parsed = proxyToWorker.safeParse(json);
        if (!parsed.success) {
          const jobId = (json as { jobId?: unknown })?.jobId;
          this.opts.logger.warn(
            { type: (json as { type?: unknown })?.type },
            'proxy sent a malformed message',
          );
          // An assign we can't read must still be answered, or its lease runs out for nothing.
          if (
            (json as { type?: unknown })?.type === 'assign' &&
            typeof jobId === 'string' &&
            /^[0-9a-f-]{36}$/i.test(jobId)
          )
            this.slots.fail(jobId, 'the assign message was malformed', true);
          return;
        }
        const msg = parsed.data;
        switch (msg.type) {
          case 'welcome': {
            welcomed = true;
            this.currentRigId = msg.rigId;
            this.resolveRig(msg.rigId);
            this.setState(this.stopping ? 'draining' : 'connected');
            this.opts.logger.info({ rigId: msg.rigId, device: this.opts.device }, 'connected to the proxy');
            if (msg.challenge) this.sendEvidence(msg.challenge);
            for (const r of msg.refused ?? [])
              this.opts.logger.warn(
                { model: r.model, reason: r.reason },
                'the proxy refused this model: no jobs for it',
              );
            clearInterval(heartbeat);
            heartbeat = setInterval(() => {
              // No frame or pong for three beats: the path is dead even if TCP hasn't noticed.
              if (Date.now() - lastHeard > msg.heartbeatMs * 3) {
                ws.terminate();
                return;
              }
              this.send(this.slots.heartbeat());
              ws.ping();
            }, msg.heartbeatMs);
            return;
          }
          case 'attest':
            this.sendEvidence(msg.challenge);
            return;
          case 'assign':
            this.slots.assign(msg, this.currentRigId, this.stopping);
            return;
          case 'audit':
            this.slots.audit(msg, this.currentRigId, this.stopping);
            return;
          case 'cancel':
            this.slots.cancel(msg.jobId);
            return;
          case 'error':
            // The proxy's own words about our messages; they never hold job text.
            this.opts.logger.warn({ message: msg.message }, 'the proxy reported an error');
            return;
        }
      });
      ws.on('error', (err) => {
        this.opts.logger.warn({ err: err.message }, 'worker socket error');
      });
      ws.on('close', (code, reason) => {
        clearInterval(heartbeat);
        if (this.socket === ws) this.socket = null;
        resolve({ code, reason: reason.toString().slice(0, 200), welcomed });
      });
    });
  }
}
