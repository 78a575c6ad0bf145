import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentEngineLogger } from '../../../engine/logger';
import { readHfFolder } from '../hf-folder';
import { type CausalLM, loadCausalLM } from '../runner';
import { type TestDecoderInfo, TINY_QWEN2, writeTestDecoder } from './index';

let root: string;
let qwen: TestDecoderInfo;
let lm: CausalLM;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cocoon-test-decoder-'));
  qwen = await writeTestDecoder(path.join(root, 'tiny-qwen2'), TINY_QWEN2);
  lm = await loadCausalLM(qwen.dir, { device: 'cpu', logger: silentEngineLogger });
});

afterAll(async () => {
  await lm?.dispose();
  await rm(root, { recursive: true, force: true });
});

describe('tiny Qwen2 test decoder through loadCausalLM', () => {
  it('is read as a qwen2 instruct folder', () => {
    expect(readHfFolder(qwen.dir)).toMatchObject({ modelType: 'qwen2', dtype: 'fp32', isInstruct: true });
  });

  it('formats a chat with the Qwen template and generates reproducibly', async () => {
    const prompt = lm.formatChat([{ role: 'user', content: 'Hello there' }]);
    expect(prompt).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n',
    );
    const a = await lm.generate({ prompt, maxTokens: 12, temperature: 0.7, seed: 7 });
    const b = await lm.generate({ prompt, maxTokens: 12, temperature: 0.7, seed: 7 });
    expect(a.completionTokens).toBeGreaterThan(0);
    expect(a.text.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });
});
