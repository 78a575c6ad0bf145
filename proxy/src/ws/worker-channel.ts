// The worker channel: WebSocket /v1/worker, authenticated with the rig token. A rig says hello (models,
// slots, public keys, device), heartbeats, and streams sealed chunks and results for the jobs it is given.

import { describeIssues, type ProxyToWorker, toBase64, WORKER_CLOSE, workerToProxy } from '@cocoon/shared';
import type { Logger } from '@cocoon/shared/node';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { AttestationService } from '../attestation/service';
import type { AuditService } from '../audits/service';
import { VerdictRefused } from '../audits/service';
import type { Config } from '../config';
import type { Db } from '../db';
import { HttpError } from '../errors';
import { clientAddressKey } from '../http/address-key';
import { WindowCounter } from '../http/window-counter';
import type { JobService } from '../jobs/service';
import type { ModelCatalogue } from '../rigs/catalogue';
import { markDisconnected, recordHello, rigByToken, touchRig } from '../rigs/repository';
import type { WorkerConnection, WorkerRegistry } from './registry';
import { SocketBudget } from './socket-budget';

export const MAX_WORKER_FRAME_BYTES = 4 * 1024 * 1024;
/** An owner's "check again" gives a TDX rig a new challenge at most this often. */
const MIN_CHALLENGE_INTERVAL_MS = 5_000;
/**
 * A socket the proxy refuses (bad token, no hello in time, a bad hello) gets its close frame and is then
 * destroyed this soon, whatever the peer does: ws alone would wait 30 s for a close handshake that a hostile
 * peer never sends, holding the descriptor.
 */
const REFUSAL_GRACE_MS = 100;
/**
 * A welcomed rig cut off (a bound broken, heartbeats stopped) gets longer: it is often mid-flood, and its
 * close frame, with the reason it logs, should reach it before the connection is reset.
 */
const CUT_OFF_GRACE_MS = 1000;

/** A close reason as ws takes it: at most 123 bytes of UTF-8. */
export function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

export interface WorkerChannelDeps {
  db: Db;
  config: Config;
  jobs: JobService;
  audits: AuditService;
  workers: WorkerRegistry;
  log: Logger;
  instanceId: string;
  catalogue: ModelCatalogue;
  attestation: AttestationService;
}

/** What the upgrade bound is told about one socket once its token is checked. */
interface UpgradeOutcome {
  /** The token was accepted: the upgrade no longer counts. */
  accepted(): void;
  /** A socket with an accepted token was refused before its welcome (a bad hello, no hello): it counts again. */
  refused(): void;
}

export function registerWorkerChannel(app: FastifyInstance, deps: WorkerChannelDeps): void {
  // Refused upgrades per IP address (request.ip: the client's own behind TRUST_PROXY). Each upgrade counts on
  // arrival, before the token is looked up and before the upgrade, so random tokens (or many at once) are no
  // way around it; one whose token is accepted is taken back, so rigs that reconnect use none of it. Over the
  // bound every upgrade from that address is refused, a valid token's too: a shared address shares it.
  const upgrades = new WindowCounter(deps.config.RATE_WORKER_UPGRADES_PER_IP_PER_MIN);
  /** The window each admitted upgrade was counted in: a refund goes back to that window only. */
  const countedIn = new WeakMap<object, number>();
  const outcome = (req: FastifyRequest): UpgradeOutcome => {
    const since = countedIn.get(req.raw) ?? -1;
    const address = clientAddressKey(req.ip);
    return { accepted: () => upgrades.refund(address, since), refused: () => upgrades.hit(address) };
  };
  const onRequest = async (req: FastifyRequest, reply: FastifyReply) => {
    const now = Date.now();
    const address = clientAddressKey(req.ip);
    if (upgrades.hit(address, now)) {
      countedIn.set(req.raw, upgrades.windowOf(address, now));
      return;
    }
    const retryS = upgrades.retryAfterS(address);
    reply.header('retry-after', String(retryS));
    throw new HttpError(
      429,
      'rate_limited',
      `too many worker connections from this address (${deps.config.RATE_WORKER_UPGRADES_PER_IP_PER_MIN} a minute); retry in ${retryS} s`,
    );
  };
  app.get('/v1/worker', { websocket: true, onRequest }, (socket: WebSocket, req) => {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    void serveWorker(socket, token, deps, outcome(req)).catch((err) => {
      deps.log.error({ err }, 'worker channel error');
      socket.close(1011, 'internal error');
    });
  });
}

async function serveWorker(
  socket: WebSocket,
  token: string,
  deps: WorkerChannelDeps,
  bound: UpgradeOutcome,
): Promise<void> {
  const { db, config, jobs, workers, log } = deps;
  const send = (msg: ProxyToWorker) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(msg));
  };
  let cutOff = false;
  /** Set once the token is accepted: a refusal before the welcome counts against the address again. */
  let tokenAccepted = false;
  /**
   * Refuses the socket: its close frame with the code and reason (the worker logs them), then terminate()
   * a moment later whatever the peer does: a peer that never answers the close handshake must not keep the
   * socket (and what it sends) for ws's 30 s.
   */
  const refuse = (code: number, reason: string, graceMs = REFUSAL_GRACE_MS) => {
    if (cutOff) return;
    cutOff = true;
    if (tokenAccepted && !conn) bound.refused();
    clearTimeout(helloDeadline);
    if (socket.readyState === socket.OPEN) socket.close(code, closeReason(reason));
    setTimeout(() => socket.terminate(), graceMs).unref();
  };
  const cutOffSocket = (reason: string) => refuse(WORKER_CLOSE.overLimit, reason, CUT_OFF_GRACE_MS);
  // A fixed deadline from the upgrade: only an accepted hello clears it, so junk frames can't keep a socket.
  const helloDeadline = setTimeout(
    () => refuse(WORKER_CLOSE.heartbeatTimeout, `no hello within ${config.HELLO_TIMEOUT_MS} ms`),
    config.HELLO_TIMEOUT_MS,
  );
  socket.once('close', () => clearTimeout(helloDeadline));
  // Buffer messages that arrive while the token is being checked.
  const early: string[] = [];
  let earlyBytes = 0;
  const onEarly = (data: unknown) => {
    const raw = String(data);
    earlyBytes += raw.length;
    if (earlyBytes > 1024 * 1024) cutOffSocket('too much sent before the token was checked');
    else early.push(raw);
  };
  socket.on('message', onEarly);

  const rig = token ? await rigByToken(db, token) : undefined;
  if (!rig) {
    send({ type: 'error', message: 'unknown or revoked rig token' });
    refuse(WORKER_CLOSE.badToken, 'unknown or revoked rig token');
    return;
  }
  // Unless it was cut off while the token was looked up (it still counts then).
  if (!cutOff) {
    tokenAccepted = true;
    bound.accepted();
  }
  const rigLog = log.child({ rigId: rig.id });
  let conn: WorkerConnection | undefined;
  /** What the rig said in its hello, for checking its evidence against its keys and device. */
  let said: { x25519PublicKey: string; ed25519PublicKey: string; device: string } | undefined;
  /** The last challenge a TDX rig was given: only a quote over it counts. */
  let challenge: Uint8Array | null = null;
  /** What was checked since the latest challenge (its evidence, stale evidence): each at most once. */
  const checkedThisChallenge = new Set<'current' | 'stale'>();
  let attestTimer: NodeJS.Timeout | undefined;
  let lastSeen = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - lastSeen > config.HEARTBEAT_MS * 3)
      refuse(WORKER_CLOSE.heartbeatTimeout, 'heartbeat timeout', CUT_OFF_GRACE_MS);
  }, config.HEARTBEAT_MS);

  // Messages are handled one at a time, in order, so a done never overtakes its chunks. What waits is
  // bounded (bytes, rate): a rig that floods is cut off before the queue can grow.
  let chain = Promise.resolve();
  const budget = new SocketBudget({
    bytesPerS: config.RIG_BYTES_PER_S,
    burstBytes: config.RIG_BURST_BYTES,
    maxQueuedBytes: config.RIG_MAX_QUEUED_BYTES,
  });
  const handle = (raw: string) => {
    if (cutOff) return;
    const over = budget.receive(raw.length);
    if (over) {
      rigLog.warn({ over }, 'closing a rig socket over its byte budget');
      cutOffSocket(`over the socket's byte budget: ${over}`);
      return;
    }
    chain = chain
      .then(() => onMessage(raw))
      .catch((err) => rigLog.error({ err }, 'worker message failed'))
      .finally(() => budget.handled(raw.length));
  };
  // Heartbeats renew leases in the database: at most a few per interval are worth a round trip.
  let lastBeatHandled = 0;

  async function onMessage(raw: string): Promise<void> {
    lastSeen = Date.now();
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      send({ type: 'error', message: 'frame is not JSON' });
      return;
    }
    const parsed = workerToProxy.safeParse(json);
    if (!parsed.success) {
      const why = describeIssues(parsed.error);
      send({ type: 'error', message: `bad message: ${why}`.slice(0, 2000) });
      // A hello no one can seal to or check (a key of another length, a low-order point, a field past its
      // bound) is refused with the reason: a rig must never be online with it. After a welcome, the keys are
      // fixed for the connection (see below), so a second hello, well-formed or not, is only an error.
      if (!conn && (json as { type?: unknown } | null)?.type === 'hello') {
        rigLog.warn({ why: why.slice(0, 500) }, 'refused a hello');
        refuse(WORKER_CLOSE.badHello, `hello refused: ${why}`);
      }
      return;
    }
    const msg = parsed.data;
    if (msg.type === 'hello') {
      // Models, digests and keys are fixed for a connection: a rig that changes them reconnects, and is
      // judged afresh. (Otherwise it could pass the catalogue's check and then swap what it claims to run.)
      if (conn) {
        send({
          type: 'error',
          message: 'hello was already said on this connection; reconnect to change models or keys',
        });
        return;
      }
      // A rig below the operator's minimum protocol would send results without token ids (MIN_WORKER_PROTOCOL).
      if (msg.protocol < config.MIN_WORKER_PROTOCOL) {
        rigLog.warn({ protocol: msg.protocol }, 'refused a hello: protocol too old');
        refuse(
          WORKER_CLOSE.badHello,
          `hello refused: protocol ${msg.protocol} is older than this proxy's MIN_WORKER_PROTOCOL ` +
            `${config.MIN_WORKER_PROTOCOL}; upgrade cocoon-worker`,
        );
        return;
      }
      const refused = await recordHello(
        db,
        rig!.id,
        msg,
        deps.instanceId,
        config.DEFAULT_ASK_NANO_PER_1K,
        deps.catalogue,
      );
      const tdx = msg.attestation.kind === 'tdx';
      /** A fresh challenge for new evidence: only a quote over the latest one counts. */
      let lastOwnerRequestAt = 0;
      const requestEvidence = (byOwner = false) => {
        if (!tdx) return 'no_tee' as const;
        if (byOwner) {
          if (Date.now() - lastOwnerRequestAt < MIN_CHALLENGE_INTERVAL_MS) return 'too_soon' as const;
          lastOwnerRequestAt = Date.now();
        }
        challenge = deps.attestation.newChallenge();
        checkedThisChallenge.clear();
        send({ type: 'attest', challenge: toBase64(challenge) });
        return 'sent' as const;
      };
      conn = {
        rigId: rig!.id,
        send,
        close: (code, reason) =>
          code === WORKER_CLOSE.overLimit ? cutOffSocket(reason) : socket.close(code, reason),
        requestEvidence,
      };
      workers.add(conn);
      clearTimeout(helloDeadline);
      said = msg;
      if (tdx) {
        challenge = deps.attestation.newChallenge();
        // A fresh quote on a schedule: a rig whose platform was revoked or fell out of date since leaves the tier.
        attestTimer = setInterval(() => requestEvidence(), config.ATTESTATION_REFRESH_MS);
        attestTimer.unref();
      }
      send({
        type: 'welcome',
        rigId: rig!.id,
        heartbeatMs: config.HEARTBEAT_MS,
        leaseMs: config.LEASE_MS,
        ...(refused.length ? { refused } : {}),
        ...(challenge ? { challenge: toBase64(challenge) } : {}),
      });
      rigLog.info(
        { device: msg.device, slots: msg.slots, models: msg.models.map((m) => m.id) },
        'rig online',
      );
      if (refused.length) rigLog.warn({ refused }, 'rig refused for some models');
      return;
    }
    if (!conn) {
      send({ type: 'error', message: 'say hello first' });
      return;
    }
    switch (msg.type) {
      case 'heartbeat':
        if (Date.now() - lastBeatHandled < config.HEARTBEAT_MS / 4) return;
        lastBeatHandled = Date.now();
        await touchRig(db, rig!.id);
        await jobs.heartbeat(rig!.id, msg);
        return;
      case 'chunk':
        jobs.handleChunk(rig!.id, msg);
        return;
      case 'done':
        // Decided after the result is in: the rig can't tell an audited job from another.
        if (await jobs.handleDone(rig!.id, msg)) void deps.audits.afterSettled(msg.jobId);
        return;
      case 'verdict':
        try {
          await deps.audits.handleVerdict(rig!.id, msg);
        } catch (err) {
          if (!(err instanceof VerdictRefused)) throw err;
          rigLog.warn({ auditId: msg.auditId, reason: err.message }, 'refused a verdict');
          send({ type: 'error', message: `verdict refused: ${err.message}` });
        }
        return;
      case 'evidence':
        if (!said || !challenge) {
          send({ type: 'error', message: 'evidence is only for a rig whose hello said attestation tdx' });
          return;
        }
        {
          // One check per challenge: verifying a quote costs milliseconds of CPU and a collateral lookup, so
          // a rig can't make the proxy verify more often than it hands out challenges (its schedule, its
          // owner). Evidence for an older challenge is recorded as stale, once, without any verifying.
          const answers =
            msg.evidence.kind === 'none' || msg.evidence.challenge === toBase64(challenge)
              ? 'current'
              : 'stale';
          if (checkedThisChallenge.has(answers)) {
            send({
              type: 'error',
              message:
                'evidence for this challenge was already checked; send new evidence with the next challenge',
            });
            return;
          }
          checkedThisChallenge.add(answers);
          await deps.attestation.check({ id: rig!.id, ...said }, msg.evidence, challenge);
          return;
        }
      case 'fail':
        await jobs.failover(msg.jobId, rig!.id, `rig failed the job: ${msg.reason}`, msg.retryable);
        return;
    }
  }

  socket.off('message', onEarly);
  socket.on('message', (data) => handle(String(data)));
  for (const raw of early) handle(raw);

  socket.on('close', () => {
    clearInterval(watchdog);
    clearInterval(attestTimer);
    chain = chain
      .then(async () => {
        if (!conn || !workers.remove(conn)) return;
        await markDisconnected(db, rig!.id, deps.instanceId);
        rigLog.info('rig offline');
        // On shutdown the jobs keep their leases: the rig reconnects to the next proxy and finishes them,
        // or the leases lapse and they fail over there.
        if (!workers.shuttingDown) await jobs.rigGone(rig!.id);
      })
      .catch((err) => rigLog.error({ err }, 'rig cleanup failed'));
    // The proxy waits for this before it closes the database.
    workers.track(chain);
  });
}
