// What the proxy does with each message a rig sends on the worker channel: one handler per message type
// (shared/src/contract/worker-channel.ts workerToProxy), called in order by the socket's queue (session.ts).
import { describeIssues, toBase64, WORKER_CLOSE, type WorkerToProxy, workerToProxy } from '@cocoon/shared';
import { VerdictRefused } from '../../audits/service';
import { recordHello, touchRig } from '../../rigs/repository';
import { cutOffSocket, refuse, type Session, send } from './session';

/** An owner's "check again" gives a TDX rig a new challenge at most this often. */
const MIN_CHALLENGE_INTERVAL_MS = 5_000;

type Message<T extends WorkerToProxy['type']> = Extract<WorkerToProxy, { type: T }>;
type Handlers = { [T in WorkerToProxy['type']]: (s: Session, msg: Message<T>) => Promise<void> | void };

/** One frame from the rig: parsed, checked, and handed to the handler of its type. */
export async function onMessage(s: Session, raw: string): Promise<void> {
  s.lastSeen = Date.now();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    send(s, { type: 'error', message: 'frame is not JSON' });
    return;
  }
  const parsed = workerToProxy.safeParse(json);
  if (!parsed.success) {
    const why = describeIssues(parsed.error);
    send(s, { type: 'error', message: `bad message: ${why}`.slice(0, 2000) });
    // A hello no one can seal to or check (a key of another length, a low-order point, a field past its
    // bound) is refused with the reason: a rig must never be online with it. After a welcome, the keys are
    // fixed for the connection (see onHello), so a second hello, well-formed or not, is only an error.
    if (!s.conn && (json as { type?: unknown } | null)?.type === 'hello') {
      s.rigLog.warn({ why: why.slice(0, 500) }, 'refused a hello');
      refuse(s, WORKER_CLOSE.badHello, `hello refused: ${why}`);
    }
    return;
  }
  const msg = parsed.data;
  if (msg.type !== 'hello' && !s.conn) {
    send(s, { type: 'error', message: 'say hello first' });
    return;
  }
  await (HANDLERS[msg.type] as (s: Session, msg: WorkerToProxy) => Promise<void> | void)(s, msg);
}

const HANDLERS: Handlers = {
  hello: onHello,
  heartbeat: async (s, msg) => {
    if (Date.now() - s.lastBeatHandled < s.deps.config.HEARTBEAT_MS / 4) return;
    s.lastBeatHandled = Date.now();
    await touchRig(s.deps.db, s.rigId);
    await s.deps.jobs.heartbeat(s.rigId, msg);
  },
  chunk: (s, msg) => {
    s.deps.jobs.handleChunk(s.rigId, msg);
  },
  done: async (s, msg) => {
    // Decided after the result is in: the rig can't tell an audited job from another.
    if (await s.deps.jobs.handleDone(s.rigId, msg)) void s.deps.audits.afterSettled(msg.jobId);
  },
  verdict: async (s, msg) => {
    try {
      await s.deps.audits.handleVerdict(s.rigId, msg);
    } catch (err) {
      if (!(err instanceof VerdictRefused)) throw err;
      s.rigLog.warn({ auditId: msg.auditId, reason: err.message }, 'refused a verdict');
      send(s, { type: 'error', message: `verdict refused: ${err.message}` });
    }
  },
  evidence: onEvidence,
  fail: async (s, msg) => {
    await s.deps.jobs.failover(msg.jobId, s.rigId, `rig failed the job: ${msg.reason}`, msg.retryable);
  },
};

/** The rig's hello: its models, slots, keys and device. An accepted one puts the rig online. */
async function onHello(s: Session, msg: Message<'hello'>): Promise<void> {
  const { db, config, workers } = s.deps;
  // Models, digests and keys are fixed for a connection: a rig that changes them reconnects, and is judged
  // afresh. (Otherwise it could pass the catalogue's check and then swap what it claims to run.)
  if (s.conn) {
    send(s, {
      type: 'error',
      message: 'hello was already said on this connection; reconnect to change models or keys',
    });
    return;
  }
  // A rig below the operator's minimum protocol would send results without token ids (MIN_WORKER_PROTOCOL).
  if (msg.protocol < config.MIN_WORKER_PROTOCOL) {
    s.rigLog.warn({ protocol: msg.protocol }, 'refused a hello: protocol too old');
    refuse(
      s,
      WORKER_CLOSE.badHello,
      `hello refused: protocol ${msg.protocol} is older than this proxy's MIN_WORKER_PROTOCOL ` +
        `${config.MIN_WORKER_PROTOCOL}; upgrade cocoon-worker`,
    );
    return;
  }
  const refused = await recordHello(
    db,
    s.rigId,
    msg,
    s.deps.instanceId,
    config.DEFAULT_ASK_NANO_PER_1K,
    s.deps.catalogue,
  );
  const tdx = msg.attestation.kind === 'tdx';
  const requestEvidence = evidenceRequester(s, tdx);
  s.conn = {
    rigId: s.rigId,
    send: (m) => send(s, m),
    close: (code, reason) =>
      code === WORKER_CLOSE.overLimit ? cutOffSocket(s, reason) : s.socket.close(code, reason),
    requestEvidence,
  };
  workers.add(s.conn);
  clearTimeout(s.helloDeadline);
  s.said = msg;
  if (tdx) {
    s.challenge = s.deps.attestation.newChallenge();
    // A fresh quote on a schedule: a rig whose platform was revoked or fell out of date since leaves the tier.
    s.attestTimer = setInterval(() => requestEvidence(), config.ATTESTATION_REFRESH_MS);
    s.attestTimer.unref();
  }
  send(s, {
    type: 'welcome',
    rigId: s.rigId,
    heartbeatMs: config.HEARTBEAT_MS,
    leaseMs: config.LEASE_MS,
    ...(refused.length ? { refused } : {}),
    ...(s.challenge ? { challenge: toBase64(s.challenge) } : {}),
  });
  s.rigLog.info({ device: msg.device, slots: msg.slots, models: msg.models.map((m) => m.id) }, 'rig online');
  if (refused.length) s.rigLog.warn({ refused }, 'rig refused for some models');
}

/** A fresh challenge for new evidence: only a quote over the latest one counts. */
function evidenceRequester(s: Session, tdx: boolean) {
  let lastOwnerRequestAt = 0;
  return (byOwner = false) => {
    if (!tdx) return 'no_tee' as const;
    if (byOwner) {
      if (Date.now() - lastOwnerRequestAt < MIN_CHALLENGE_INTERVAL_MS) return 'too_soon' as const;
      lastOwnerRequestAt = Date.now();
    }
    s.challenge = s.deps.attestation.newChallenge();
    s.checkedThisChallenge.clear();
    send(s, { type: 'attest', challenge: toBase64(s.challenge) });
    return 'sent' as const;
  };
}

/** A TDX rig's evidence, checked against what its hello said and the latest challenge. */
async function onEvidence(s: Session, msg: Message<'evidence'>): Promise<void> {
  if (!s.said || !s.challenge) {
    send(s, { type: 'error', message: 'evidence is only for a rig whose hello said attestation tdx' });
    return;
  }
  // One check per challenge: verifying a quote costs milliseconds of CPU and a collateral lookup, so a rig
  // can't make the proxy verify more often than it hands out challenges (its schedule, its owner). Evidence
  // for an older challenge is recorded as stale, once, without any verifying.
  const answers =
    msg.evidence.kind === 'none' || msg.evidence.challenge === toBase64(s.challenge) ? 'current' : 'stale';
  if (s.checkedThisChallenge.has(answers)) {
    send(s, {
      type: 'error',
      message: 'evidence for this challenge was already checked; send new evidence with the next challenge',
    });
    return;
  }
  s.checkedThisChallenge.add(answers);
  await s.deps.attestation.check({ id: s.rigId, ...s.said }, msg.evidence, s.challenge);
}
