// One rig's socket on the worker channel (http/routes/worker-channel.ts serves it): the token check, the
// hello deadline, the heartbeat watchdog, the byte budget, the queue that hands each message to its handler
// (messages.ts) in order, and the clean-up when the socket closes.
import { WORKER_CLOSE } from '@cocoon/shared';
import type { WebSocket } from 'ws';
import { markDisconnected, rigByToken } from '../../rigs/repository';
import { onMessage } from './messages';
import {
  CUT_OFF_GRACE_MS,
  cutOffSocket,
  refuse,
  type Session,
  send,
  type UpgradeOutcome,
  type WorkerChannelDeps,
} from './session';
import { SocketBudget } from './socket-budget';

/** What a socket may send before its token is checked. */
const MAX_EARLY_BYTES = 1024 * 1024;

export async function serveWorker(
  socket: WebSocket,
  token: string,
  deps: WorkerChannelDeps,
  bound: UpgradeOutcome,
): Promise<void> {
  const { config } = deps;
  const s: Session = {
    deps,
    socket,
    bound,
    tokenAccepted: false,
    cutOff: false,
    rigId: '',
    rigLog: deps.log,
    challenge: null,
    checkedThisChallenge: new Set(),
    lastSeen: Date.now(),
    lastBeatHandled: 0,
  };
  s.helloDeadline = setTimeout(
    () => refuse(s, WORKER_CLOSE.heartbeatTimeout, `no hello within ${config.HELLO_TIMEOUT_MS} ms`),
    config.HELLO_TIMEOUT_MS,
  );
  socket.once('close', () => clearTimeout(s.helloDeadline));
  const early = bufferEarly(s);

  const rig = token ? await rigByToken(deps.db, token) : undefined;
  if (!rig) {
    send(s, { type: 'error', message: 'unknown or revoked rig token' });
    refuse(s, WORKER_CLOSE.badToken, 'unknown or revoked rig token');
    return;
  }
  // Unless it was cut off while the token was looked up (it still counts then).
  if (!s.cutOff) {
    s.tokenAccepted = true;
    bound.accepted();
  }
  s.rigId = rig.id;
  s.rigLog = deps.log.child({ rigId: rig.id });
  const watchdog = setInterval(() => {
    if (Date.now() - s.lastSeen > config.HEARTBEAT_MS * 3)
      refuse(s, WORKER_CLOSE.heartbeatTimeout, 'heartbeat timeout', CUT_OFF_GRACE_MS);
  }, config.HEARTBEAT_MS);
  const queue = messageQueue(s);
  socket.on('message', (data) => queue.handle(String(data)));
  for (const raw of early.stop()) queue.handle(raw);
  socket.on('close', () => {
    clearInterval(watchdog);
    clearInterval(s.attestTimer);
    // The proxy waits for this before it closes the database.
    deps.workers.track(queue.last(() => closed(s)));
  });
}

/** Buffers what arrives while the token is being checked (bounded); stop() hands it over. */
function bufferEarly(s: Session): { stop(): string[] } {
  const early: string[] = [];
  let earlyBytes = 0;
  const onEarly = (data: unknown) => {
    const raw = String(data);
    earlyBytes += raw.length;
    if (earlyBytes > MAX_EARLY_BYTES) cutOffSocket(s, 'too much sent before the token was checked');
    else early.push(raw);
  };
  s.socket.on('message', onEarly);
  return {
    stop: () => {
      s.socket.off('message', onEarly);
      return early;
    },
  };
}

/**
 * Messages are handled one at a time, in order, so a done never overtakes its chunks. What waits is bounded
 * (bytes, rate): a rig that floods is cut off before the queue can grow.
 */
function messageQueue(s: Session) {
  const { config } = s.deps;
  let chain = Promise.resolve();
  const budget = new SocketBudget({
    bytesPerS: config.RIG_BYTES_PER_S,
    burstBytes: config.RIG_BURST_BYTES,
    maxQueuedBytes: config.RIG_MAX_QUEUED_BYTES,
  });
  return {
    handle(raw: string): void {
      if (s.cutOff) return;
      const over = budget.receive(raw.length);
      if (over) {
        s.rigLog.warn({ over }, 'closing a rig socket over its byte budget');
        cutOffSocket(s, `over the socket's byte budget: ${over}`);
        return;
      }
      chain = chain
        .then(() => onMessage(s, raw))
        .catch((err) => s.rigLog.error({ err }, 'worker message failed'))
        .finally(() => budget.handled(raw.length));
    },
    /** Runs `fn` after every message handled so far; the promise settles when it has. */
    last(fn: () => Promise<void>): Promise<void> {
      chain = chain.then(fn).catch((err) => s.rigLog.error({ err }, 'rig cleanup failed'));
      return chain;
    },
  };
}

/** The socket closed: a welcomed rig goes offline, and its jobs fail over (unless the proxy is stopping). */
async function closed(s: Session): Promise<void> {
  const { db, workers, jobs, instanceId } = s.deps;
  if (!s.conn || !workers.remove(s.conn)) return;
  await markDisconnected(db, s.rigId, instanceId);
  s.rigLog.info('rig offline');
  // On shutdown the jobs keep their leases: the rig reconnects to the next proxy and finishes them, or the
  // leases lapse and they fail over there.
  if (!workers.shuttingDown) await jobs.rigGone(s.rigId);
}
