import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentEngineLogger } from '../../engine/logger';
import { isHfCausalLmFolder, readHfFolder } from '../causal-lm/hf-folder';
import { loadCausalLM } from '../causal-lm/runner';
import { buildDemoModel, demoModelIsBuilt, ensureDemoModel } from './index';
import { readBrownParagraphs } from './train';

// A small slice of the corpus keeps this test fast; the full build uses all 500 files.
const SMALL = { maxFiles: 12, vocabSize: 3000, maxContexts: 8000 };
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cocoon-demo-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('demo-gen build', () => {
  it('reads Brown paragraphs without tags, with plain quotes', () => {
    const paras = readBrownParagraphs(1);
    expect(paras.length).toBeGreaterThan(10);
    const flat = paras.flat();
    expect(flat.slice(0, 4)).toEqual(['The', 'Fulton', 'County', 'Grand']);
    expect(flat.some((w) => w.includes('/'))).toBe(false);
    expect(flat).toContain('"');
    expect(flat).not.toContain('``');
  });

  it('is deterministic and loads through the causal-LM runner', async () => {
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    await buildDemoModel(a, SMALL);
    await buildDemoModel(b, SMALL);
    for (const f of ['onnx/model.onnx', 'tokenizer.json', 'config.json']) {
      expect((await readFile(path.join(a, f))).equals(await readFile(path.join(b, f)))).toBe(true);
    }
    expect(isHfCausalLmFolder(a)).toBe(true);
    expect(readHfFolder(a)).toMatchObject({ demoGrade: true, contextLength: 1024, isInstruct: false });

    const lm = await loadCausalLM(a, { device: 'cpu', logger: silentEngineLogger });
    try {
      const greedy = await lm.generate({ prompt: 'The jury said', maxTokens: 20, temperature: 0 });
      expect(greedy.completionTokens).toBeGreaterThan(5);
      expect(greedy.text).toMatch(/^[A-Za-z"' ,.;:?!()$-]+/);
      expect(greedy.text).not.toContain('[UNK]');
      const sampled = await lm.generate({ prompt: 'It was', maxTokens: 30, temperature: 0.8, topP: 0.9 });
      expect(sampled.completionTokens).toBeGreaterThan(0);
      expect(sampled.text).not.toContain('[UNK]');
      // Unknown prompt words become [UNK] and never break generation.
      const odd = await lm.generate({ prompt: 'Привет 🚀 zxqv', maxTokens: 10, temperature: 0 });
      expect(odd.completionTokens).toBeGreaterThan(0);
    } finally {
      await lm.dispose();
    }
  });

  it('ensureDemoModel reuses a current build and rebuilds a missing one', async () => {
    const dir = path.join(root, 'ensure');
    expect(demoModelIsBuilt(dir)).toBe(false);
    await buildDemoModel(dir, SMALL);
    expect(demoModelIsBuilt(dir)).toBe(true);
    const before = await readFile(path.join(dir, 'onnx', 'model.onnx'));
    expect(await ensureDemoModel(dir)).toBe(dir);
    // Not rebuilt with the full corpus: the small build is still there.
    expect((await readFile(path.join(dir, 'onnx', 'model.onnx'))).equals(before)).toBe(true);
  });
});
