// A worker that speaks the real WebSocket protocol with real keys and sealing, for the proxy's tests.
// Its "model" upper-cases the prompt word by word (or returns the first message for summarize), so tests
// can predict the text and the token counts. The onnxruntime worker lives in worker/.

import { randomUUID } from 'node:crypto';
import {
  commitResult,
  type FinalResult,
  type JobBody,
  newEd25519KeyPair,
  newX25519KeyPair,
  openJob,
  type ProxyToWorker,
  type RigOpenState,
  requestHash,
  resultCommitment,
  type SealedBox,
  sealAuditCopy,
  sealedResultHash,
  sealResultPart,
  signReceipt,
  signVerdict,
  toBase64,
  type UsageReceipt,
} from '@cocoon/shared';
import WebSocket from 'ws';

/**
 * The sealed final result and the usage receipt that names it, as a rig's `done` carries them (the rig signs
 * the receipt). `commitment` is the committed text's, which a two-faced rig makes another text's.
 */
export function sealedResultWithReceipt(
  state: RigOpenState,
  job: { jobId: string; rigId: string; model: string },
  final: FinalResult,
  commitment: string,
  usage: { promptTokens: number; completionTokens: number },
): { result: SealedBox; receipt: UsageReceipt } {
  const result = sealResultPart(state, 'final', final);
  const receipt = {
    commitment,
    jobId: job.jobId,
    rigId: job.rigId,
    model: job.model,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    resultHash: sealedResultHash(result),
  };
  return { result, receipt };
}

export type TestWorkerBehaviour =
  | 'ok'
  | 'fail' // answers fail (retryable)
  | 'fail-mid-stream' // streams two words, then answers fail (retryable)
  | 'disconnect' // closes its socket when a job arrives
  | 'silent' // takes the job and never answers (the lease lapses)
  | 'bad-signature' // signs the receipt with the wrong key
  | 'overuse' // claims more completion tokens than maxTokens
  // Attacks (the security regression tests):
  | 'fail-final' // says every job is bad input (a non-retryable fail), to deny service
  | 'hold-forever' // takes the job and keeps it alive in heartbeats, never answering
  | 'fake-progress' // takes the job and reports one more token done in every heartbeat, never answering
  | 'huge-result' // streams and returns far more text than the job's token budget
  | 'huge-final' // streams nothing, then returns far more text than the job's token budget
  | 'two-faced' // its receipt commits to another text than the one it seals to the client
  | 'two-faced-audit' // seals one text to the client (and commits to it) and another to the auditors
  | 'lying-auditor' // answers every audit it is given with a signed fail
  | 'whole-budget' // answers with maxTokens words of 60 characters: all its token budget allows, and more than three Telegram messages
  | 'chunk-bomb'; // ~3.8 MB chunks as fast as the socket takes them: at once (for no job), and for each job

export interface TestWorkerOptions {
  url: string;
  token: string;
  /** `digest`: the model's content digest in hello (none: as an older worker, without one). */
  models?: Array<{ id: string; kinds: Array<'summarize' | 'generate' | 'chat'>; digest?: string }>;
  slots?: number;
  /** Or, per job, from the number of jobs it was given before (a rig that turns bad after a while). */
  behaviour?: TestWorkerBehaviour | ((jobsBefore: number) => TestWorkerBehaviour);
  /** Milliseconds per token (the echo model streams one word per token): a slow rig. */
  delayMs?: number;
  /**
   * A stall: after this many tokens the rig produces nothing more and never answers, yet keeps the job in
   * its heartbeats (a wedged engine). 0: it claims the job and never starts it (reported as queued).
   */
  stallAfterTokens?: number;
  /** Milliseconds between heartbeats (default 1000); each carries the tokens done per running job. */
  heartbeatMs?: number;
  /**
   * The rig's "model": its text and token counts for a job body (default: the echo model below). Lets a test
   * serve a real model's name with a cheat of its choosing. With `tokenIds` the result is a v2 one (the ids
   * committed and sealed with it, as protocol 2 workers send).
   */
  output?: (
    body: JobBody,
    jobId: string,
  ) => Promise<{
    text: string;
    promptTokens: number;
    completionTokens: number;
    finishReason?: 'stop' | 'length';
    tokenIds?: number[];
  }>;
  /** The worker protocol its hello says (default 1: an older worker, results without token ids). */
  protocol?: 1 | 2;
  /** What the hello says it runs in and on (default none, cpu); a TDX rig's challenges land in `challenges`. */
  tee?: 'none' | 'tdx';
  /**
   * How this rig answers an audit it is given, without checking anything (undefined: it doesn't answer, and
   * the test may send a verdict itself). The 'lying-auditor' behaviour answers every audit with a fail.
   */
  answerAudits?: (audit: Extract<ProxyToWorker, { type: 'audit' }>) => 'pass' | 'fail' | undefined;
  device?: 'cpu' | 'cuda';
}

export interface TestWorker {
  rigId: Promise<string>;
  received: string[];
  /** Jobs this rig was asked to audit, and the audit messages themselves. */
  audits: string[];
  auditMessages: Array<Extract<ProxyToWorker, { type: 'audit' }>>;
  /** The proxy's error messages to this rig (e.g. a refused verdict). */
  errors: string[];
  /** Sends any message as this rig (for tests that forge or replay). */
  send(msg: unknown): void;
  /** Signs a verdict with this rig's key. */
  signVerdict(v: Parameters<typeof signVerdict>[0]): string;
  /** The challenges the proxy gave this rig (welcome, then each `attest`), oldest first. */
  challenges: string[];
  /** This rig's public keys, in base64 (what a quote must bind). */
  keys: { x25519PublicKey: string; ed25519PublicKey: string };
  /** The models the proxy's welcome refused, and why. */
  refused: Array<{ model: string; reason: string }>;
  /** The close code and reason the proxy (or this side) closed the socket with. */
  closedWith: Promise<{ code: number; reason: string }>;
  /** Bytes this worker has sent (what an attack put on the wire). */
  sentBytes(): number;
  close(): Promise<void>;
  closed: Promise<void>;
}

export function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

export function testModelOutput(body: JobBody): string {
  if (body.kind === 'generate') return words(body.prompt).slice(0, body.maxTokens).join(' ').toUpperCase();
  if (body.kind === 'summarize')
    return words(body.messages[0]?.text ?? '')
      .slice(0, body.maxTokens)
      .join(' ');
  return words(body.messages.at(-1)?.content ?? '')
    .slice(0, body.maxTokens)
    .join(' ')
    .toUpperCase();
}

export function promptTokensOf(body: JobBody): number {
  if (body.kind === 'generate') return words(body.prompt).length;
  if (body.kind === 'summarize') return body.messages.reduce((n, m) => n + words(m.text).length, 0);
  return body.messages.reduce((n, m) => n + words(m.content).length, 0);
}

const BOMB_FILLER = 'A'.repeat(3_800_000);

export function startTestWorker(opts: TestWorkerOptions): TestWorker {
  const x = newX25519KeyPair();
  const ed = newEd25519KeyPair();
  const wrongEd = newEd25519KeyPair();
  const behaviourAt = (n: number): TestWorkerBehaviour =>
    typeof opts.behaviour === 'function' ? opts.behaviour(n) : (opts.behaviour ?? 'ok');
  let behaviour = behaviourAt(0);
  const ws = new WebSocket(`${opts.url.replace(/^http/, 'ws')}/v1/worker`, {
    headers: { authorization: `Bearer ${opts.token}` },
  });
  const received: string[] = [];
  const audits: string[] = [];
  const auditMessages: Array<Extract<ProxyToWorker, { type: 'audit' }>> = [];
  const errors: string[] = [];
  const refused: Array<{ model: string; reason: string }> = [];
  const challenges: string[] = [];
  let resolveRig!: (id: string) => void;
  let rejectRig!: (err: Error) => void;
  const rigId = new Promise<string>((res, rej) => {
    resolveRig = res;
    rejectRig = rej;
  });
  rigId.catch(() => {});
  const closed = new Promise<void>((res) => ws.on('close', () => res()));
  const closedWith = new Promise<{ code: number; reason: string }>((res) =>
    ws.on('close', (code, reason) => res({ code, reason: String(reason) })),
  );
  let sentBytes = 0;
  ws.on('close', (code, reason) => rejectRig(new Error(`closed ${code} ${reason}`)));
  ws.on('error', (err) => rejectRig(err));
  const send = (m: unknown) => {
    if (ws.readyState !== ws.OPEN) return;
    const raw = JSON.stringify(m);
    sentBytes += raw.length;
    ws.send(raw);
  };
  let myRigId = '';
  const running = new Set<string>();
  /** Jobs taken but not started (a stall at 0 tokens): alive, no progress. */
  const queued = new Set<string>();
  /** Tokens done per running job, as the heartbeat reports them. */
  const tokensDone = new Map<string, number>();
  const beat = setInterval(() => {
    for (const id of running)
      if (behaviour === 'fake-progress') tokensDone.set(id, (tokensDone.get(id) ?? 0) + 1);
    const progress = [...tokensDone]
      .filter(([id]) => running.has(id))
      .map(([jobId, tokens]) => ({ jobId, tokens }));
    send({ type: 'heartbeat', running: [...running], queued: [...queued], progress });
  }, opts.heartbeatMs ?? 1000);
  ws.on('close', () => clearInterval(beat));

  ws.on('open', () =>
    send({
      type: 'hello',
      protocol: opts.protocol ?? 1,
      models: (opts.models ?? [{ id: 'test-echo', kinds: ['summarize', 'generate', 'chat'] }]).map((m) => ({
        ...m,
        contextLength: 4096,
      })),
      slots: opts.slots ?? 4,
      x25519PublicKey: toBase64(x.publicKey),
      ed25519PublicKey: toBase64(ed.publicKey),
      device: opts.device ?? 'cpu',
      version: 'test',
      attestation: { kind: opts.tee ?? 'none' },
    }),
  );

  /** Sends ~3.8 MB chunk frames for `jobId` until the socket closes (the ciphertext is filler). */
  async function bomb(jobId: string): Promise<void> {
    const [head, tail] = JSON.stringify({
      type: 'chunk',
      jobId,
      seq: -1,
      sealed: { nonce: 'A'.repeat(32), ciphertext: BOMB_FILLER },
    }).split('-1');
    for (let seq = 0; ws.readyState === ws.OPEN && seq < 10_000; seq++) {
      const raw = `${head}${seq}${tail}`;
      sentBytes += raw.length;
      ws.send(raw);
      // Let the socket drain so the proxy, not this process, is what's under pressure.
      while (ws.readyState === ws.OPEN && ws.bufferedAmount > 8_000_000)
        await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Answers an audit with a signed verdict, whatever the job. */
  function answer(msg: Extract<ProxyToWorker, { type: 'audit' }>, outcome: 'pass' | 'fail'): void {
    const verdict = {
      auditId: msg.auditId,
      jobId: msg.jobId,
      requestHash: requestHash(msg.envelope),
      commitment: msg.receipt.commitment,
      agreementPpm: outcome === 'pass' ? 1_000_000 : 0,
      outcome,
    };
    send({ type: 'verdict', ...verdict, reason: outcome, signature: signVerdict(verdict, ed.secretKey) });
  }

  ws.on('message', async (data) => {
    const msg = JSON.parse(String(data)) as ProxyToWorker;
    if (msg.type === 'error') errors.push(msg.message);
    if (msg.type === 'audit') {
      audits.push(msg.jobId);
      auditMessages.push(msg);
      const outcome = behaviour === 'lying-auditor' ? 'fail' : opts.answerAudits?.(msg);
      if (outcome) answer(msg, outcome);
      return;
    }
    if (msg.type === 'attest') {
      challenges.push(msg.challenge);
      return;
    }
    if (msg.type === 'welcome') {
      if (msg.challenge) challenges.push(msg.challenge);
      refused.push(...(msg.refused ?? []));
      myRigId = msg.rigId;
      resolveRig(msg.rigId);
      if (behaviour === 'chunk-bomb') void bomb(randomUUID());
      return;
    }
    if (msg.type !== 'assign') return;
    behaviour = behaviourAt(received.length);
    received.push(msg.jobId);
    if (behaviour === 'disconnect') return ws.close();
    if (behaviour === 'silent') return;
    if (behaviour === 'fail')
      return send({ type: 'fail', jobId: msg.jobId, reason: 'test failure', retryable: true });
    if (behaviour === 'fail-final')
      return send({ type: 'fail', jobId: msg.jobId, reason: 'your input is invalid', retryable: false });
    if (behaviour === 'hold-forever' || behaviour === 'fake-progress') {
      running.add(msg.jobId);
      return;
    }
    if (opts.stallAfterTokens === 0) {
      queued.add(msg.jobId);
      return;
    }
    running.add(msg.jobId);
    const { body, state } = openJob(msg.envelope, myRigId, x.secretKey, msg.aad);
    const job = body as JobBody;
    if (behaviour === 'chunk-bomb') return bomb(msg.jobId);
    const flood = behaviour === 'huge-result' || behaviour === 'huge-final';
    const custom = opts.output ? await opts.output(job, msg.jobId) : undefined;
    const out = flood
      ? Array.from({ length: 40 }, () => 'y'.repeat(60_000))
      : behaviour === 'whole-budget'
        ? Array.from({ length: msg.maxTokens }, (_, i) => `${i}`.padStart(59, 'z'))
        : custom
          ? [custom.text]
          : words(testModelOutput(job));
    for (const [seq, w] of (behaviour === 'huge-final' ? [] : out).entries()) {
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (opts.stallAfterTokens !== undefined && seq >= opts.stallAfterTokens) return;
      tokensDone.set(msg.jobId, seq + 1);
      if (behaviour === 'fail-mid-stream' && seq === 2) {
        running.delete(msg.jobId);
        return send({ type: 'fail', jobId: msg.jobId, reason: 'test failure mid-stream', retryable: true });
      }
      send({
        type: 'chunk',
        jobId: msg.jobId,
        seq,
        sealed: sealResultPart(state, seq, { delta: seq ? ` ${w}` : w }),
      });
    }
    const promptTokens = custom?.promptTokens ?? promptTokensOf(job);
    const completionTokens =
      behaviour === 'overuse'
        ? msg.maxTokens + 1
        : (custom?.completionTokens ?? Math.min(out.length, msg.maxTokens));
    const { final, commitment: honest } = commitResult({
      text: out.join(' '),
      promptTokens,
      completionTokens,
      finishReason: custom?.finishReason ?? 'stop',
      ...(custom?.tokenIds ? { tokenIds: custom.tokenIds } : {}),
    });
    // 'two-faced': seals this text to the client but commits (and would seal to an auditor) another one.
    const commitment =
      behaviour === 'two-faced' ? resultCommitment({ ...final, text: 'SOMETHING ELSE ENTIRELY' }) : honest;
    const { result, receipt } = sealedResultWithReceipt(
      state,
      { jobId: msg.jobId, rigId: myRigId, model: msg.model },
      final,
      commitment,
      { promptTokens, completionTokens },
    );
    const signer = behaviour === 'bad-signature' ? wrongEd : ed;
    // 'two-faced-audit': the auditors get another text than the client, under the same salt.
    const forAuditors =
      behaviour === 'two-faced-audit' ? { ...final, text: `${final.text} (edited)` } : final;
    // (The flooding behaviours send no copy: one oversized result is the attack; two would pass the frame limit.)
    const others = !flood && msg.envelope.recipients.some((r) => r.rigId !== myRigId);
    send({
      type: 'done',
      jobId: msg.jobId,
      result,
      receipt,
      signature: signReceipt(receipt, signer.secretKey),
      ...(others ? { auditCopy: sealAuditCopy(state, forAuditors) } : {}),
    });
    running.delete(msg.jobId);
    tokensDone.delete(msg.jobId);
  });

  return {
    rigId,
    received,
    audits,
    auditMessages,
    errors,
    send,
    challenges,
    keys: { x25519PublicKey: toBase64(x.publicKey), ed25519PublicKey: toBase64(ed.publicKey) },
    signVerdict: (v) => signVerdict(v, ed.secretKey),
    refused,
    closed,
    closedWith,
    sentBytes: () => sentBytes,
    close: async () => {
      if (ws.readyState !== ws.CLOSED) {
        ws.close();
        await closed;
      }
    },
  };
}
