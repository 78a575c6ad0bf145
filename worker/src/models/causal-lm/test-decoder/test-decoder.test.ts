// The test decoders checked by their own consistency (no reference weights exist): the KV cache path equals
// one uncached pass, a left-padded batch equals single runs, every file variant agrees, and the folders load
// and generate through transformers.js and the runner.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AutoModelForCausalLM, type PreTrainedModel, Tensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentEngineLogger } from '../../../engine/logger';
import { readHfFolder } from '../hf-folder';
import { loadCausalLM } from '../runner';
import {
  ensureTestDecoder,
  type TestDecoderInfo,
  type TestDecoderSpec,
  TINY_LLAMA,
  TINY_QWEN2,
  testDecoderCachePath,
  writeTestDecoder,
} from './index';
import {
  loadTestTokenizer,
  NON_CANONICAL_CASE,
  reencodesDifferently,
  seededRun,
  visibleIds,
} from './non-canonical';
import { argmax, type DecoderSession, decodeWithCache, forward, openDecoderSession } from './ort-decoder';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cocoon-test-decoder-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const build = (name: string, spec: TestDecoderSpec) => writeTestDecoder(path.join(root, name), spec);
const row = (logits: Float32Array, vocab: number, i: number) => logits.subarray(i * vocab, (i + 1) * vocab);
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
const PROMPT = 'The committee said on Friday that the new plan';

describe.each([
  ['qwen2', TINY_QWEN2],
  ['llama', TINY_LLAMA],
])('tiny %s decoder', (name, spec) => {
  let info: TestDecoderInfo;
  let d: DecoderSession;
  let promptIds: number[];
  beforeAll(async () => {
    info = await build(`tiny-${name}`, spec);
    d = await openDecoderSession(info.dir);
    promptIds = (await loadTestTokenizer(info.dir)).encode(PROMPT);
  });
  afterAll(async () => {
    await d?.dispose();
  });

  it('declares the Optimum inputs and outputs with the dimension names transformers.js reads', () => {
    const inputs = d.session.inputNames;
    expect(inputs.slice(0, 3)).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    expect(inputs).toContain(`past_key_values.${spec.layers - 1}.value`);
    expect(d.session.outputNames).toContain(`present.${spec.layers - 1}.key`);
    const meta = d.session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
    expect(meta && 'shape' in meta ? meta.shape : []).toEqual([
      'batch_size',
      spec.kvHeads,
      'past_sequence_length',
      spec.hiddenSize / spec.heads,
    ]);
  });

  it('generates with the KV cache exactly what one uncached pass over the whole sequence predicts', async () => {
    const steps = await decodeWithCache(d, promptIds, 16);
    const all = [...promptIds, ...steps.map((s) => s.token)];
    const full = await forward(d, { ids: [all.slice(0, -1)] });
    steps.forEach((step, i) => {
      const uncached = row(full.logits, d.vocabSize, promptIds.length - 1 + i);
      expect(argmax(uncached)).toBe(step.token);
      expect(maxAbsDiff(uncached, step.logits)).toBeLessThan(1e-4);
    });
  });

  it('gives a left-padded batch the logits of single runs, prefill and cached steps', async () => {
    const short = promptIds.slice(0, 4);
    const long = promptIds;
    const pad = long.length - short.length;
    const mask = [new Array(pad).fill(0).concat(new Array(short.length).fill(1)), long.map(() => 1)];
    const batch = await forward(d, { ids: [[...new Array(pad).fill(0), ...short], long], mask });
    const alone = [await forward(d, { ids: [short] }), await forward(d, { ids: [long] })];
    const seqLen = long.length;
    for (let i = 0; i < short.length; i++) {
      const b = row(batch.logits, d.vocabSize, pad + i);
      expect(maxAbsDiff(b, row(alone[0].logits, d.vocabSize, i))).toBeLessThan(1e-4);
    }
    for (let i = 0; i < seqLen; i++) {
      const b = row(batch.logits, d.vocabSize, seqLen + i);
      expect(maxAbsDiff(b, row(alone[1].logits, d.vocabSize, i))).toBeLessThan(1e-4);
    }
    // One cached step for both sequences at once.
    const next = [7, 11];
    const step = await forward(d, {
      ids: next.map((t) => [t]),
      mask: mask.map((m) => [...m, 1]),
      past: batch.present,
    });
    const single = [
      await forward(d, { ids: [[next[0]]], past: alone[0].present }),
      await forward(d, { ids: [[next[1]]], past: alone[1].present }),
    ];
    for (let b = 0; b < 2; b++) {
      expect(maxAbsDiff(row(step.logits, d.vocabSize, b), single[b].logits)).toBeLessThan(1e-4);
    }
  });

  it('generates greedily through transformers.js the tokens of the bare cached loop', async () => {
    const steps = await decodeWithCache(d, promptIds, 10);
    const tokenizer = await loadTestTokenizer(info.dir); // sets env.localModelPath to the folder's parent
    expect(tokenizer.encode(PROMPT)).toEqual(promptIds);
    const model = (await AutoModelForCausalLM.from_pretrained(path.basename(info.dir), {
      local_files_only: true,
      dtype: 'fp32',
    })) as PreTrainedModel;
    try {
      const input = new Tensor('int64', BigInt64Array.from(promptIds, BigInt), [1, promptIds.length]);
      const mask = new Tensor('int64', new BigInt64Array(promptIds.length).fill(1n), [1, promptIds.length]);
      const out = (await model.generate({
        input_ids: input,
        attention_mask: mask,
        max_new_tokens: 10,
        do_sample: false,
        repetition_penalty: 1,
        eos_token_id: [],
      } as unknown as Parameters<PreTrainedModel['generate']>[0])) as Tensor;
      const generated = Array.from(out.data as BigInt64Array, Number).slice(promptIds.length);
      expect(generated).toEqual(steps.map((s) => s.token));
    } finally {
      await model.dispose();
    }
  });

  it('builds the same bytes from the same spec', async () => {
    const again = await build(`tiny-${name}-again`, spec);
    const digest = (dir: string, f: string) =>
      createHash('sha256')
        .update(readFileSync(path.join(dir, f)))
        .digest('hex');
    for (const f of ['onnx/model.onnx', 'tokenizer.json', 'config.json']) {
      expect(digest(again.dir, f)).toBe(digest(info.dir, f));
    }
  });
});

describe('cache', () => {
  it('builds a spec once under its digest, also when two builds race', async () => {
    const cache = path.join(root, 'cache');
    const spec = { ...TINY_QWEN2, seed: 99 };
    const [a, b] = await Promise.all([ensureTestDecoder(spec, cache), ensureTestDecoder(spec, cache)]);
    expect(a).toBe(testDecoderCachePath(spec, cache));
    expect(b).toBe(a);
    const built = statSync(path.join(a, 'onnx', 'model.onnx')).mtimeMs;
    expect(await ensureTestDecoder(spec, cache)).toBe(a);
    expect(statSync(path.join(a, 'onnx', 'model.onnx')).mtimeMs).toBe(built);
    expect(testDecoderCachePath({ ...spec, seed: 100 }, cache)).not.toBe(a);
  });
});

describe('byte-level BPE tokenizer', () => {
  it('round-trips text, keeps special tokens whole and pads the vocabulary with filler tokens', async () => {
    const info = await build('padded', { ...TINY_QWEN2, vocabSize: 2000 });
    const tok = await loadTestTokenizer(info.dir);
    const text = 'Déjà vu: 42 cafés, naïve code\n\tdef f(x): return x ** 2 # ok';
    expect(tok.decode(tok.encode(text))).toBe(text);
    expect(tok.encode('<|im_start|>user')[0]).toBe(info.special['<|im_start|>']);
    expect(info.special['<|im_end|>']).toBe(1999);
    expect(tok.encode(PROMPT).length).toBeLessThan(PROMPT.length / 2); // merges were learnt
    expect(tok.decode([info.bpeSize + 1]).length).toBeGreaterThan(0); // a filler decodes to text
  });
});

describe('file variants', () => {
  const ids = [[5, 100, 200, 300, 400, 500, 600, 700]];
  const closeTo = (a: Float32Array, b: Float32Array, V: number) => {
    let agree = 0;
    for (let i = 0; i < 8; i++) if (argmax(row(a, V, i)) === argmax(row(b, V, i))) agree++;
    expect(agree).toBeGreaterThanOrEqual(5);
    expect(maxAbsDiff(a, b)).toBeLessThan(1);
  };

  it('gives the same logits from inline, external and split external data; q8 and q4 stay close', async () => {
    const inline = await build('inline', TINY_LLAMA);
    const split = await build('split', {
      ...TINY_LLAMA,
      dtypes: ['fp32', 'q8', 'q4'],
      externalData: { chunkBytes: 200_000 },
    });
    expect(split.files.fp32?.data.length).toBeGreaterThan(2);
    const config = JSON.parse(readFileSync(path.join(split.dir, 'config.json'), 'utf8'));
    expect(config['transformers.js_config'].use_external_data_format['model.onnx']).toBe(
      split.files.fp32?.data.length,
    );
    const sessions = await Promise.all([
      openDecoderSession(inline.dir),
      openDecoderSession(split.dir),
      openDecoderSession(split.dir, 'model_quantized.onnx'),
      openDecoderSession(split.dir, 'model_q4.onnx'),
    ]);
    const [a, b, q8, q4] = await Promise.all(sessions.map((s) => forward(s, { ids })));
    expect(maxAbsDiff(a.logits, b.logits)).toBe(0);
    const V = sessions[0].vocabSize;
    closeTo(a.logits, q8.logits, V);
    closeTo(a.logits, q4.logits, V);
    await Promise.all(sessions.map((s) => s.dispose()));
  });

  it('keeps q4 (weight-only) batch-invariant: a padded batch gives the logits of single runs', async () => {
    const info = await build('q4-batch', { ...TINY_QWEN2, dtypes: ['q4'] });
    const d = await openDecoderSession(info.dir, 'model_q4.onnx');
    try {
      const long = ids[0];
      const short = long.slice(0, 3);
      const mask = [[0, 0, 0, 0, 0, 1, 1, 1], long.map(() => 1)];
      const batch = await forward(d, { ids: [[0, 0, 0, 0, 0, ...short], long], mask });
      const alone = await forward(d, { ids: [short] });
      for (let i = 0; i < short.length; i++) {
        expect(
          maxAbsDiff(row(batch.logits, d.vocabSize, 5 + i), row(alone.logits, d.vocabSize, i)),
        ).toBeLessThan(1e-4);
      }
    } finally {
      await d.dispose();
    }
  });
});

describe('through the runner', () => {
  it('loads the tiny Qwen2 and generates, reproducibly, with the Qwen chat template', async () => {
    const info = await build('runner-qwen2', TINY_QWEN2);
    expect(readHfFolder(info.dir)).toMatchObject({ modelType: 'qwen2', dtype: 'fp32', isInstruct: true });
    const lm = await loadCausalLM(info.dir, { device: 'cpu', logger: silentEngineLogger });
    try {
      const prompt = lm.formatChat([{ role: 'user', content: 'Hello there' }]);
      expect(prompt).toBe(
        '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n',
      );
      const a = await lm.generate({ prompt, maxTokens: 12, temperature: 0.7, seed: 7 });
      expect(a.completionTokens).toBeGreaterThan(0);
      expect(await lm.generate({ prompt, maxTokens: 12, temperature: 0.7, seed: 7 })).toEqual(a);
    } finally {
      await lm.dispose();
    }
  });

  it('knows a seeded run whose text re-encodes to other ids than were sampled (NON_CANONICAL_CASE)', async () => {
    const info = await build('non-canonical', TINY_QWEN2);
    const { prompt, maxTokens, params } = NON_CANONICAL_CASE;
    const run = await seededRun(info.dir, prompt, params, maxTokens);
    expect(reencodesDifferently(run, info.ids.eos)).toBe(true);
    const lm = await loadCausalLM(info.dir, { device: 'cpu', logger: silentEngineLogger });
    try {
      const out = await lm.generate({ prompt, maxTokens, ...params });
      expect(out.text).toBe(run.text);
      expect(out.completionTokens).toBe(run.ids.length);
      expect(run.reencoded).not.toEqual(visibleIds(run, info.ids.eos));
    } finally {
      await lm.dispose();
    }
  });
});
