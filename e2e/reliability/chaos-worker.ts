// A protocol-real worker for the reliability suites. Like @cocoon/proxy/testing's test worker (same
// "model", same token counts), but its keys come from a seed, so a rig that is killed and started again
// — or that reconnects after its socket or the proxy went away — keeps its keys and can still open
// envelopes that were sealed to it before. That is what a real rig does: worker/ keeps its keys on disk.
import { createHash } from 'node:crypto';
import { promptTokensOf, sealedResultWithReceipt, testModelOutput, words } from '@cocoon/proxy/testing';
import {
  commitResult,
  ed25519PublicKey,
  type JobBody,
  openJob,
  type ProxyToWorker,
  sealAuditCopy,
  sealResultPart,
  signReceipt,
  toBase64,
  x25519PublicKey,
} from '@cocoon/shared';
import WebSocket from 'ws';

export interface ChaosWorkerOptions {
  url: string;
  token: string;
  /** Any string: the rig's X25519 and Ed25519 secret keys are derived from it. */
  seed: string;
  slots?: number;
  /** Milliseconds before each streamed word. */
  delayMs?: number;
  /** Reconnect after the socket closes, at most this many times (0: never). */
  reconnects?: number;
  reconnectDelayMs?: number;
  onEvent?: (e: ChaosWorkerEvent) => void;
}

export type ChaosWorkerEvent =
  | { event: 'welcome'; rigId: string }
  | { event: 'assign'; jobId: string }
  | { event: 'done'; jobId: string }
  | { event: 'closed'; code: number };

export interface ChaosWorker {
  /** Resolves with the rig id at the first welcome. */
  rigId: Promise<string>;
  /** Jobs assigned to this worker, in order (across reconnects). */
  assigned: string[];
  /** Closes the current socket abruptly (as a dropped connection would); reconnects if allowed. */
  drop(): void;
  /** Resolves at the next welcome (after a drop or a proxy restart). */
  nextWelcome(): Promise<string>;
  /** Stops for good. */
  close(): Promise<void>;
}

export function seededKeys(seed: string) {
  const x = createHash('sha256').update(`x25519|${seed}`).digest();
  const ed = createHash('sha256').update(`ed25519|${seed}`).digest();
  return {
    x25519: { secretKey: new Uint8Array(x), publicKey: x25519PublicKey(new Uint8Array(x)) },
    ed25519: { secretKey: new Uint8Array(ed), publicKey: ed25519PublicKey(new Uint8Array(ed)) },
  };
}

export function startChaosWorker(opts: ChaosWorkerOptions): ChaosWorker {
  const keys = seededKeys(opts.seed);
  const assigned: string[] = [];
  let stopped = false;
  let reconnectsLeft = opts.reconnects ?? 0;
  let ws: WebSocket | undefined;
  let resolveFirst!: (id: string) => void;
  let rejectFirst!: (err: Error) => void;
  let gotFirst = false;
  const rigId = new Promise<string>((res, rej) => {
    resolveFirst = res;
    rejectFirst = rej;
  });
  rigId.catch(() => {});
  let welcomeWaiters: Array<(id: string) => void> = [];
  let closedResolve: (() => void) | undefined;

  const connect = () => {
    const sock = new WebSocket(`${opts.url.replace(/^http/, 'ws')}/v1/worker`, {
      headers: { authorization: `Bearer ${opts.token}` },
    });
    ws = sock;
    let myRigId = '';
    const running = new Set<string>();
    let beat: NodeJS.Timeout | undefined;
    const send = (m: unknown) => {
      if (sock.readyState === sock.OPEN) sock.send(JSON.stringify(m));
    };
    sock.on('error', () => {}); // a close follows
    sock.on('open', () =>
      send({
        type: 'hello',
        protocol: 1,
        models: [{ id: 'test-echo', kinds: ['summarize', 'generate', 'chat'], contextLength: 4096 }],
        slots: opts.slots ?? 4,
        x25519PublicKey: toBase64(keys.x25519.publicKey),
        ed25519PublicKey: toBase64(keys.ed25519.publicKey),
        device: 'cpu',
        version: 'chaos',
      }),
    );
    sock.on('close', (code) => {
      clearInterval(beat);
      opts.onEvent?.({ event: 'closed', code });
      if (!gotFirst && reconnectsLeft <= 0) rejectFirst(new Error(`closed ${code} before welcome`));
      if (stopped || reconnectsLeft <= 0) {
        closedResolve?.();
        return;
      }
      reconnectsLeft--;
      setTimeout(() => {
        if (!stopped) connect();
        else closedResolve?.();
      }, opts.reconnectDelayMs ?? 100);
    });
    sock.on('message', async (data) => {
      let msg: ProxyToWorker;
      try {
        msg = JSON.parse(String(data)) as ProxyToWorker;
      } catch {
        return;
      }
      if (msg.type === 'welcome') {
        myRigId = msg.rigId;
        clearInterval(beat);
        beat = setInterval(() => send({ type: 'heartbeat', running: [...running] }), msg.heartbeatMs / 2);
        opts.onEvent?.({ event: 'welcome', rigId: msg.rigId });
        if (!gotFirst) {
          gotFirst = true;
          resolveFirst(msg.rigId);
        }
        const waiters = welcomeWaiters;
        welcomeWaiters = [];
        for (const w of waiters) w(msg.rigId);
        return;
      }
      if (msg.type !== 'assign') return;
      assigned.push(msg.jobId);
      opts.onEvent?.({ event: 'assign', jobId: msg.jobId });
      running.add(msg.jobId);
      try {
        if (await runJob(msg, { sock, send, rigId: myRigId, keys, delayMs: opts.delayMs }))
          opts.onEvent?.({ event: 'done', jobId: msg.jobId });
      } catch (err) {
        send({
          type: 'fail',
          jobId: msg.jobId,
          reason: `cannot run: ${(err as Error).message}`,
          retryable: true,
        });
      } finally {
        running.delete(msg.jobId);
      }
    });
  };
  connect();

  return {
    rigId,
    assigned,
    drop: () => ws?.terminate(),
    nextWelcome: () => new Promise<string>((res) => welcomeWaiters.push(res)),
    close: async () => {
      stopped = true;
      const sock = ws;
      if (!sock || sock.readyState === sock.CLOSED) return;
      const closed = new Promise<void>((res) => {
        closedResolve = res;
      });
      sock.close();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
    },
  };
}

interface JobContext {
  sock: WebSocket;
  send(m: unknown): void;
  rigId: string;
  keys: ReturnType<typeof seededKeys>;
  delayMs?: number;
}

/** Opens an assigned job, streams its words and sends its signed result; false when the socket closed first. */
async function runJob(msg: Extract<ProxyToWorker, { type: 'assign' }>, ctx: JobContext): Promise<boolean> {
  const { sock, send, rigId, keys, delayMs } = ctx;
  const { body, state } = openJob(msg.envelope, rigId, keys.x25519.secretKey, msg.aad);
  const job = body as JobBody;
  const out = words(testModelOutput(job));
  for (const [seq, w] of out.entries()) {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    if (sock.readyState !== sock.OPEN) return false;
    send({
      type: 'chunk',
      jobId: msg.jobId,
      seq,
      sealed: sealResultPart(state, seq, { delta: seq ? ` ${w}` : w }),
    });
  }
  const promptTokens = promptTokensOf(job);
  const { final, commitment } = commitResult({
    text: out.join(' '),
    promptTokens,
    completionTokens: out.length,
    finishReason: 'stop',
  });
  const { result, receipt } = sealedResultWithReceipt(
    state,
    { jobId: msg.jobId, rigId, model: msg.model },
    final,
    commitment,
    { promptTokens, completionTokens: out.length },
  );
  send({
    type: 'done',
    jobId: msg.jobId,
    result,
    receipt,
    signature: signReceipt(receipt, keys.ed25519.secretKey),
    // The copy for the other candidates (possible auditors), as every rig sends it.
    ...(msg.envelope.recipients.some((r) => r.rigId !== rigId)
      ? { auditCopy: sealAuditCopy(state, final) }
      : {}),
  });
  return true;
}
