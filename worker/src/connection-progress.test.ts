// The worker's heartbeat against a stand-in proxy socket: jobs started are running and carry their tokens
// done (the proxy's deadlines measure progress); a job past the rig's slots is refused back to the proxy,
// whose queue holds it (the rig keeps none). Every heartbeat is checked against the shared worker channel schema.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AssignMessage, sealJob, type WorkerToProxy, workerToProxy } from '@cocoon/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { WorkerConnection } from './connection';
import { loadOrCreateKeys } from './keys';
import type { Model } from './models/index';

const RIG = '00000000-0000-4000-8000-0000000000aa';
const JOBS = [1, 2, 3].map((i) => `00000000-0000-4000-8000-00000000000${i}`);
const dir = mkdtempSync(path.join(tmpdir(), 'cocoon-progress-'));
const keys = loadOrCreateKeys(path.join(dir, 'a'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A model that produces one token each time `step` is called: a slow rig the test paces. */
function pacedModel(): { model: Model; step: () => void } {
  const waiting: Array<() => void> = [];
  const model: Model = {
    id: 'paced',
    kind: 'generate',
    accepts: ['generate'],
    contextLength: 64,
    description: 'paced',
    demoGrade: true,
    provider: 'cpu',
    countPromptTokens: () => 1,
    async run(job, _onDelta, signal, onProgress) {
      for (let i = 1; i <= job.maxTokens && !signal?.aborted; i++) {
        await new Promise<void>((r) => waiting.push(r));
        onProgress?.(i);
      }
      return { text: 'x', promptTokens: 1, completionTokens: job.maxTokens };
    },
    dispose: async () => {},
  };
  const step = () => {
    for (const resolve of waiting.splice(0)) resolve();
  };
  return { model, step };
}

function assign(jobId: string): AssignMessage {
  const { envelope } = sealJob(
    { kind: 'generate', prompt: 'go', maxTokens: 50 },
    [{ rigId: RIG, x25519PublicKey: keys.x25519.publicKey }],
    jobId,
  );
  const msg = { type: 'assign', jobId, model: 'paced', kind: 'generate', envelope, aad: jobId };
  return { ...msg, inputTokens: 10, maxTokens: 50, leaseMs: 30_000 } as AssignMessage;
}

type Beat = Extract<WorkerToProxy, { type: 'heartbeat' }>;

describe('the heartbeat', () => {
  it('reports started jobs as running with their tokens done; a job past its slots is refused, not queued', async () => {
    const wss = new WebSocketServer({ port: 0 });
    const beats: Beat[] = [];
    const fails: Array<{ jobId: string; reason: string; retryable: boolean }> = [];
    const { model, step } = pacedModel();
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const msg = workerToProxy.parse(JSON.parse(String(data)));
        if (msg.type === 'heartbeat') beats.push(msg);
        if (msg.type === 'fail') fails.push(msg);
        if (msg.type !== 'hello') return;
        ws.send(JSON.stringify({ type: 'welcome', rigId: RIG, heartbeatMs: 100, leaseMs: 30_000 }));
        for (const id of JOBS) ws.send(JSON.stringify(assign(id)));
      });
    });
    const conn = new WorkerConnection({
      proxyUrl: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      token: 'test',
      keys,
      models: new Map([['paced', model]]),
      slots: 1,
      device: 'cpu',
      version: 'test',
      logger: { info() {}, warn() {}, error() {} },
    });
    conn.start();
    const beatWhere = async (ok: (b: Beat) => boolean) => {
      for (let i = 0; i < 250 && !beats.some(ok); i++) {
        step();
        await new Promise((r) => setTimeout(r, 20));
      }
      const beat = beats.find(ok);
      if (!beat) throw new Error(`no such heartbeat; the last: ${JSON.stringify(beats.at(-1))}`);
      return beat;
    };
    try {
      const first = await beatWhere((b) => b.progress.some((p) => p.tokens >= 3));
      // One slot: the first job runs and progresses; the other two go back to the proxy (whose queue holds
      // them): a rig holds no more jobs than its slots.
      expect(first.running).toEqual([JOBS[0]]);
      expect(first.queued).toEqual([]);
      expect(fails.map((f) => [f.jobId, f.retryable])).toEqual([
        [JOBS[1], true],
        [JOBS[2], true],
      ]);
      expect(fails[0].reason).toMatch(/busy/);
      expect(first.progress.map((p) => p.jobId)).toEqual([JOBS[0]]);
      // Its count grows from beat to beat as the engine produces.
      const later = await beatWhere((b) => b.progress.some((p) => p.tokens > first.progress[0].tokens));
      expect(later.running).toEqual([JOBS[0]]);
    } finally {
      await conn.stop({ graceful: false });
      await new Promise((r) => wss.close(r));
    }
  });
});

describe('a reconnect', () => {
  it('frees the slots of the jobs the lost connection aborted: the proxy failed them over and counts them free', async () => {
    // The proxy fails a rig's running jobs over when its socket closes (jobs/dispatch.ts rigGone), and gives
    // the rig new jobs into those slots as soon as it is back. An engine still unwinding an aborted job (a
    // step takes a while) must not make the rig refuse them as busy: a refusal moves the job on, fails it when
    // the rig was its last candidate, and counts a failure against an honest rig.
    const wss = new WebSocketServer({ port: 0 });
    const fails: Array<{ jobId: string; reason: string }> = [];
    const beats: Beat[] = [];
    const { model, step } = pacedModel();
    let connections = 0;
    wss.on('connection', (ws) => {
      const n = ++connections;
      ws.on('message', (data) => {
        const msg = workerToProxy.parse(JSON.parse(String(data)));
        if (msg.type === 'fail') fails.push(msg);
        if (msg.type === 'heartbeat' && n === 2) beats.push(msg);
        if (msg.type !== 'hello') return;
        ws.send(JSON.stringify({ type: 'welcome', rigId: RIG, heartbeatMs: 100, leaseMs: 30_000 }));
        // First connection: one job, then the line drops. Second: the proxy gives the freed slot a new job.
        ws.send(JSON.stringify(assign(JOBS[n - 1])));
        if (n === 1) setTimeout(() => ws.terminate(), 100);
      });
    });
    const conn = new WorkerConnection({
      proxyUrl: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      token: 'test',
      keys,
      models: new Map([['paced', model]]),
      slots: 1,
      device: 'cpu',
      version: 'test',
      logger: { info() {}, warn() {}, error() {} },
      backoff: { initialMs: 10, maxMs: 20 },
    });
    conn.start();
    try {
      // The first job's engine is stuck mid-step (no step() yet) when the second job arrives.
      for (let i = 0; i < 250 && beats.length === 0 && fails.length === 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(fails).toEqual([]);
      expect(beats[0]?.running).toEqual([JOBS[1]]);
    } finally {
      step();
      await conn.stop({ graceful: false });
      await new Promise((r) => wss.close(r));
    }
  });
});
