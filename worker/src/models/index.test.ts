import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineLogger } from '../engine/logger';
import { TINY_CHAIN, writeTinyModel } from './causal-lm/tiny-model';
import { DEMO_MODEL_ID, loadModels, type Model, SUMMARIZER_ID } from './index';

let modelsDir: string;
let models: Map<string, Model>;
const progress: [string, number][] = [];
const warnings: Record<string, unknown>[] = [];
const logger: EngineLogger = { info: () => {}, warn: (obj) => warnings.push(obj) };

beforeAll(async () => {
  modelsDir = await mkdtemp(path.join(tmpdir(), 'cocoon-models-'));
  await writeTinyModel(path.join(modelsDir, 'tiny-gpt'));
  await writeTinyModel(path.join(modelsDir, 'tiny-instruct'), {
    chain: TINY_CHAIN,
    contextLength: 512,
    chatTemplate:
      '{% for m in messages %}{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}the{% endif %}',
  });
  // A folder that looks like a model but is broken, and one that isn't a model at all.
  await writeTinyModel(path.join(modelsDir, 'broken'));
  await writeFile(path.join(modelsDir, 'broken', 'onnx', 'model.onnx'), 'not onnx');
  await mkdir(path.join(modelsDir, 'notes'));
  // An owner's half download (no tokenizer.json), and a folder whose --dtype it has no file for.
  await writeTinyModel(path.join(modelsDir, 'no-tokenizer'));
  await rm(path.join(modelsDir, 'no-tokenizer', 'tokenizer.json'));
  await writeTinyModel(path.join(modelsDir, 'want-fp16'));
  // demo-gen is built (or reused) in its default place, worker/models/demo-gen.
  models = await loadModels({
    device: 'auto',
    modelsDir,
    logger,
    // q8 for every folder that has it (none here: they serve fp32), fp16 required for want-fp16.
    dtype: { all: 'q8', models: { 'want-fp16': 'fp16' } },
    onProgress: (id, f) => progress.push([id, f]),
  });
}, 180_000);

afterAll(async () => {
  for (const m of models?.values() ?? []) await m.dispose();
  await rm(modelsDir, { recursive: true, force: true });
});

describe('loadModels', () => {
  it('serves the summarizer, demo-gen and each valid model folder', () => {
    expect([...models.keys()].sort()).toEqual(
      [DEMO_MODEL_ID, SUMMARIZER_ID, 'tiny-gpt', 'tiny-instruct'].sort(),
    );
    expect(models.get(SUMMARIZER_ID)).toMatchObject({ kind: 'summarize', demoGrade: false, provider: 'cpu' });
    expect(models.get(DEMO_MODEL_ID)).toMatchObject({
      kind: 'generate',
      demoGrade: true,
      contextLength: 1024,
    });
    expect(models.get(DEMO_MODEL_ID)?.description).toMatch(/[Dd]emo-grade/);
    expect(models.get('tiny-gpt')).toMatchObject({
      kind: 'generate',
      accepts: ['generate'],
      contextLength: 64,
    });
    const reason = (model: string) => String(warnings.find((w) => w.model === model)?.reason);
    expect(reason('broken')).toMatch(/onnx\/model.onnx .*download it again/);
    expect(reason('no-tokenizer')).toMatch(/no-tokenizer\/tokenizer.json is missing/);
    expect(reason('want-fp16')).toMatch(/onnx\/model_fp16.onnx is missing: dtype fp16 was asked for/);
    expect(warnings.some((w) => w.model === 'notes')).toBe(false);
  });

  it('reports progress from 0 to 1 for every model', () => {
    for (const id of models.keys()) {
      const mine = progress.filter(([m]) => m === id).map(([, f]) => f);
      expect(mine[0]).toBe(0);
      expect(mine.at(-1)).toBe(1);
      expect(mine.every((f) => f >= 0 && f <= 1)).toBe(true);
    }
  });

  it('runs a summarize job with deltas that add up to the text', async () => {
    const deltas: string[] = [];
    const r = await models.get(SUMMARIZER_ID)!.run(
      {
        kind: 'summarize',
        maxTokens: 60,
        messages: [
          { author: 'ann', text: 'We need a venue for the team dinner.' },
          { author: 'bo', text: 'ok' },
          { author: 'ann', text: 'Decision: the team dinner is at Luigi on Friday at 7pm.' },
          { author: 'cy', text: 'Luigi on Friday works for me.' },
        ],
      },
      (d) => deltas.push(d),
    );
    expect(r.text).toContain('Luigi on Friday at 7pm');
    expect(deltas.join('')).toBe(r.text);
    expect(r.completionTokens).toBeLessThanOrEqual(60);
    expect(r.promptTokens).toBeGreaterThan(r.completionTokens);
  });

  it('runs a generate job on demo-gen: readable words, streamed, within maxTokens', async () => {
    const deltas: string[] = [];
    const r = await models
      .get(DEMO_MODEL_ID)!
      .run({ kind: 'generate', prompt: 'The committee said', maxTokens: 30, temperature: 0 }, (d) =>
        deltas.push(d),
      );
    expect(r.completionTokens).toBeGreaterThan(0);
    expect(r.completionTokens).toBeLessThanOrEqual(30);
    expect(deltas.join('')).toBe(r.text);
    const words = r.text.match(/[A-Za-z]+/g) ?? [];
    expect(words.length).toBeGreaterThan(3);
    expect(r.text).not.toContain('[UNK]');
  });

  it('runs a generate job on an extra model folder', async () => {
    const r = await models
      .get('tiny-gpt')!
      .run({ kind: 'generate', prompt: 'the', maxTokens: 3, temperature: 0 }, () => {});
    expect(r).toEqual({
      text: 'quick brown fox',
      promptTokens: 1,
      completionTokens: 3,
      finishReason: 'length',
    });
  });

  it('counts prompt tokens before running exactly as run() reports them', async () => {
    const summarize = {
      kind: 'summarize' as const,
      maxTokens: 40,
      messages: [
        { author: 'ann', text: 'The launch moved to Monday. Marketing agreed!' },
        { text: 'No author here, two sentences? Yes.' },
      ],
    };
    for (const [id, job] of [
      [SUMMARIZER_ID, summarize],
      ['tiny-instruct', { ...summarize, maxTokens: 2 }],
      [DEMO_MODEL_ID, { kind: 'generate' as const, prompt: 'The jury said that', maxTokens: 3 }],
    ] as const) {
      const model = models.get(id)!;
      const r = await model.run(job, () => {});
      expect(model.countPromptTokens(job)).toBe(r.promptTokens);
    }
    expect(() =>
      models.get(SUMMARIZER_ID)!.countPromptTokens({ kind: 'generate', prompt: 'x', maxTokens: 1 }),
    ).toThrow(/runs summarize jobs/);
  });

  it('formats chats by the chat template, or as a plain transcript for base models', () => {
    const chat = [
      { role: 'system' as const, content: 'be brief' },
      { role: 'user' as const, content: 'hello' },
    ];
    expect(models.get('tiny-instruct')!.chatPrompt!(chat)).toBe('be brief\nhello\nthe');
    expect(models.get('tiny-gpt')!.chatPrompt!(chat)).toBe('System: be brief\nUser: hello\nAssistant:');
    expect(models.get(SUMMARIZER_ID)!.chatPrompt).toBeUndefined();
  });

  it('lets an instruct model run summarize jobs through its chat template', async () => {
    const model = models.get('tiny-instruct')!;
    expect(model.accepts).toEqual(['generate', 'summarize']);
    const r = await model.run(
      { kind: 'summarize', maxTokens: 4, messages: [{ author: 'ann', text: 'the dog runs.' }] },
      () => {},
    );
    // The template ends the prompt with "the", so the tiny model's greedy chain follows.
    expect(r.text).toBe('quick brown fox jumps');
    expect(r.completionTokens).toBe(4);
    expect(r.promptTokens).toBeGreaterThan(5);
  });

  it('refuses a job of the wrong kind or shape', async () => {
    await expect(
      models.get(SUMMARIZER_ID)!.run({ kind: 'generate', prompt: 'x', maxTokens: 5 }, () => {}),
    ).rejects.toThrow(/runs summarize jobs, not generate/);
    await expect(
      models.get('tiny-gpt')!.run({ kind: 'summarize', messages: [], maxTokens: 5 }, () => {}),
    ).rejects.toThrow(/not summarize/);
    await expect(models.get('tiny-gpt')!.run({ kind: 'generate' } as never, () => {})).rejects.toThrow();
  });
});
