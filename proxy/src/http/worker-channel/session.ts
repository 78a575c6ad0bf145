// What one rig's socket on the worker channel knows (its Session, which serve.ts opens and the message
// handlers in messages.ts read and change), and how the proxy answers it or refuses it.
import { type ProxyToWorker, WORKER_CLOSE } from '@cocoon/shared';
import type { Logger } from '@cocoon/shared/node';
import type { WebSocket } from 'ws';
import type { WorkerConnection } from '../../jobs/worker-registry';
import type { ModelCatalogue } from '../../rigs/catalogue';
import type { AppContext } from '../context';

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
export const CUT_OFF_GRACE_MS = 1000;

/** A close reason as ws takes it: at most 123 bytes of UTF-8. */
export function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

export type WorkerChannelDeps = Pick<
  AppContext,
  'db' | 'config' | 'jobs' | 'audits' | 'workers' | 'log' | 'instanceId' | 'attestation'
> & { catalogue: ModelCatalogue };

/** What the upgrade bound is told about one socket once its token is checked. */
export interface UpgradeOutcome {
  /** The token was accepted: the upgrade no longer counts. */
  accepted(): void;
  /** A socket with an accepted token was refused before its welcome (a bad hello, no hello): it counts again. */
  refused(): void;
}

/** What one socket knows, from the upgrade to the close. */
export interface Session {
  readonly deps: WorkerChannelDeps;
  readonly socket: WebSocket;
  readonly bound: UpgradeOutcome;
  /** Set once the token is accepted: a refusal before the welcome counts against the address again. */
  tokenAccepted: boolean;
  /** Set once the socket is refused or cut off: nothing more it sends is handled. */
  cutOff: boolean;
  /** The rig the token names ('' until it is checked), and a logger that says so. */
  rigId: string;
  rigLog: Logger;
  /** Set by an accepted hello: the rig is online. */
  conn?: WorkerConnection;
  /** What the rig said in its hello, for checking its evidence against its keys and device. */
  said?: { x25519PublicKey: string; ed25519PublicKey: string; device: string };
  /** The last challenge a TDX rig was given: only a quote over it counts. */
  challenge: Uint8Array | null;
  /** What was checked since the latest challenge (its evidence, stale evidence): each at most once. */
  readonly checkedThisChallenge: Set<'current' | 'stale'>;
  attestTimer?: NodeJS.Timeout;
  /** A fixed deadline from the upgrade: only an accepted hello clears it, so junk frames can't keep a socket. */
  helloDeadline?: NodeJS.Timeout;
  lastSeen: number;
  /** Heartbeats renew leases in the database: at most a few per interval are worth a round trip. */
  lastBeatHandled: number;
}

export function send(s: Session, msg: ProxyToWorker): void {
  if (s.socket.readyState === s.socket.OPEN) s.socket.send(JSON.stringify(msg));
}

/**
 * Refuses the socket: its close frame with the code and reason (the worker logs them), then terminate() a
 * moment later whatever the peer does: a peer that never answers the close handshake must not keep the
 * socket (and what it sends) for ws's 30 s.
 */
export function refuse(s: Session, code: number, reason: string, graceMs = REFUSAL_GRACE_MS): void {
  if (s.cutOff) return;
  s.cutOff = true;
  if (s.tokenAccepted && !s.conn) s.bound.refused();
  clearTimeout(s.helloDeadline);
  if (s.socket.readyState === s.socket.OPEN) s.socket.close(code, closeReason(reason));
  setTimeout(() => s.socket.terminate(), graceMs).unref();
}

/** Closes a rig over one of its bounds, with time for the reason to reach it. */
export function cutOffSocket(s: Session, reason: string): void {
  refuse(s, WORKER_CLOSE.overLimit, reason, CUT_OFF_GRACE_MS);
}
