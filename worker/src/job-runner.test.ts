import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type AssignMessage,
  type ClientSealState,
  type FinalResult,
  openResultPart,
  resultCommitment,
  sealJob,
  verifyReceipt,
  type WorkerToProxy,
  workerToProxy,
} from '@cocoon/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { runAssignedJob } from './job-runner';
import { loadOrCreateKeys } from './keys';
import type { Model, ModelInput } from './models/index';

const RIG = '00000000-0000-4000-8000-0000000000aa';
const OTHER_RIG = '00000000-0000-4000-8000-0000000000bb';
const JOB = '00000000-0000-4000-8000-000000000001';
const dir = mkdtempSync(path.join(tmpdir(), 'cocoon-runner-'));
const keys = loadOrCreateKeys(path.join(dir, 'a'));
const otherKeys = loadOrCreateKeys(path.join(dir, 'b'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const words = (t: string) => t.split(/\s+/).filter(Boolean);

/** A model whose tokens are words: it echoes the prompt upper-cased (a stand-in; the e2e test runs real ones). */
function echoModel(id: string, opts: Partial<Model> = {}): Model {
  const prompt = (job: ModelInput) =>
    job.kind === 'generate' ? job.prompt : job.messages.map((m) => m.text).join(' ');
  return {
    id,
    kind: 'generate',
    accepts: ['generate'],
    contextLength: 8,
    description: 'echo',
    demoGrade: true,
    provider: 'cpu',
    countPromptTokens: (job) => words(prompt(job)).length,
    chatPrompt: (messages) => messages.map((m) => m.content).join(' '),
    async run(job, onDelta, signal) {
      const out = words(prompt(job))
        .slice(0, job.maxTokens)
        .map((w) => w.toUpperCase());
      for (const [i, w] of out.entries()) {
        if (signal?.aborted) break;
        onDelta(i ? ` ${w}` : w);
      }
      return { text: out.join(' '), promptTokens: words(prompt(job)).length, completionTokens: out.length };
    },
    dispose: async () => {},
    ...opts,
  };
}

const models = new Map<string, Model>([
  ['echo', echoModel('echo')],
  ['broken', echoModel('broken', { run: async () => Promise.reject(new TypeError('onnx exploded')) })],
]);

function assign(
  body: unknown,
  o: {
    model?: string;
    kind?: AssignMessage['kind'];
    inputTokens?: number;
    maxTokens?: number;
    to?: typeof keys;
    rigId?: string;
  } = {},
): { msg: AssignMessage; state: ClientSealState } {
  const to = o.to ?? keys;
  const { envelope, state } = sealJob(
    body,
    [{ rigId: o.rigId ?? RIG, x25519PublicKey: to.x25519.publicKey }],
    JOB,
  );
  return {
    state,
    msg: {
      type: 'assign',
      jobId: JOB,
      model: o.model ?? 'echo',
      kind: o.kind ?? 'generate',
      envelope,
      aad: JOB,
      inputTokens: o.inputTokens ?? 100,
      maxTokens: o.maxTokens ?? 10,
      leaseMs: 30_000,
    },
  };
}

async function run(msg: AssignMessage, signal = new AbortController().signal) {
  const sent: WorkerToProxy[] = [];
  const outcome = await runAssignedJob(msg, { rigId: RIG, keys, models }, (m) => sent.push(m), signal);
  // Everything the runner sends is a valid protocol message.
  for (const m of sent) workerToProxy.parse(m);
  return { sent, outcome };
}

async function expectFail(msg: AssignMessage, reason: RegExp, retryable: boolean) {
  const { sent, outcome } = await run(msg);
  expect(sent).toEqual([{ type: 'fail', jobId: JOB, reason: expect.stringMatching(reason), retryable }]);
  expect(outcome).toMatchObject({ kind: 'failed', retryable });
}

describe('running an assigned job', () => {
  it('streams sealed chunks, then a sealed result with a receipt signed by the rig key', async () => {
    const { msg, state } = assign({ kind: 'generate', prompt: 'secret words here', maxTokens: 10 });
    const { sent, outcome } = await run(msg);
    expect(outcome).toMatchObject({ kind: 'done', promptTokens: 3, completionTokens: 3 });
    expect(JSON.stringify(sent)).not.toMatch(/secret|SECRET/);
    const chunks = sent.filter((m) => m.type === 'chunk');
    expect(chunks.map((c) => c.seq)).toEqual([0, 1, 2]);
    expect(
      chunks.map((c) => (openResultPart(state, RIG, c.seq, c.sealed) as { delta: string }).delta).join(''),
    ).toBe('SECRET WORDS HERE');
    const done = sent.at(-1);
    if (done?.type !== 'done') throw new Error('expected done');
    const final = openResultPart(state, RIG, 'final', done.result) as FinalResult;
    expect(final).toEqual({
      text: 'SECRET WORDS HERE',
      promptTokens: 3,
      completionTokens: 3,
      finishReason: 'stop',
      salt: expect.any(String),
    });
    // The signed receipt commits to exactly that plaintext (salted).
    expect(done.receipt.commitment).toBe(resultCommitment(final));
    expect(done.receipt).toMatchObject({
      jobId: JOB,
      rigId: RIG,
      model: 'echo',
      promptTokens: 3,
      completionTokens: 3,
    });
    expect(verifyReceipt(done.receipt, done.signature, keys.ed25519.publicKey)).toBe(true);
  });

  it('formats chat jobs as a prompt for a generate model', async () => {
    const { msg, state } = assign(
      { kind: 'chat', messages: [{ role: 'user', content: 'hi there' }], maxTokens: 5 },
      { kind: 'chat' },
    );
    const { sent } = await run(msg);
    const done = sent.at(-1);
    if (done?.type !== 'done') throw new Error(`expected done, got ${JSON.stringify(done)}`);
    expect(openResultPart(state, RIG, 'final', done.result)).toMatchObject({ text: 'HI THERE' });
  });

  it('refuses bad jobs with retryable false: another rig would refuse them too', async () => {
    await expectFail(
      assign({ kind: 'generate', prompt: 42, maxTokens: 5 }).msg,
      /job body is malformed: prompt/,
      false,
    );
    await expectFail(assign('not an object').msg, /job body is malformed/, false);
    await expectFail(
      assign({ kind: 'summarize', messages: [{ text: 'a' }], maxTokens: 5 }).msg,
      /summarize job but was quoted as generate/,
      false,
    );
    await expectFail(
      assign({ kind: 'generate', prompt: 'a', maxTokens: 50 }, { maxTokens: 10 }).msg,
      /asks for 50 tokens but the quote allows 10/,
      false,
    );
    await expectFail(
      assign({ kind: 'generate', prompt: 'one two three four', maxTokens: 2 }, { inputTokens: 3 }).msg,
      /prompt is 4 tokens, more than the 3 quoted/,
      false,
    );
    await expectFail(
      assign({ kind: 'generate', prompt: 'a b c d e f g h i', maxTokens: 2 }).msg,
      /prompt is 9 tokens; model echo takes at most 7/,
      false,
    );
  });

  it('answers rig-side problems with retryable true, and the reasons never quote the job', async () => {
    const body = { kind: 'generate', prompt: 'private text', maxTokens: 5 };
    await expectFail(assign(body, { rigId: OTHER_RIG }).msg, /not addressed to this rig/, true);
    await expectFail(assign(body, { to: otherKeys }).msg, /could not open the envelope/, true);
    await expectFail(assign(body, { model: 'nope' }).msg, /does not serve model nope/, true);
    await expectFail(assign(body, { model: 'broken' }).msg, /model failed on this rig \(TypeError\)/, true);
    await expectFail(
      assign({ kind: 'summarize', messages: [{ text: 'x' }], maxTokens: 5 }, { kind: 'summarize' }).msg,
      /model echo does not run summarize jobs/,
      true,
    );
  });

  it('sends nothing more once aborted (cancel or lost connection)', async () => {
    const { msg } = assign({ kind: 'generate', prompt: 'a b c', maxTokens: 5 });
    const controller = new AbortController();
    controller.abort();
    const { sent, outcome } = await run(msg, controller.signal);
    expect(sent).toEqual([]);
    expect(outcome).toEqual({ kind: 'aborted' });
  });
});
