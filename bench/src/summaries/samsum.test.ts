import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSummarizer, type Summarizer, silentEngineLogger } from '@cocoon/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { METHODS } from './methods';
import { benchRouge, loadSamsum, rougeOnSamsum, samsumMessages } from './samsum';

// Dialogues written for this test in SAMSum's format (SAMSum itself is never committed: its licence).
const examples = [
  {
    id: 't1',
    dialogue:
      "Mia: are we still on for Saturday?\r\nLeo: yes! 10am at the climbing gym\r\nMia: great, I'll bring the ropes\r\nLeo: 👍",
    summary: 'Mia and Leo meet on Saturday at 10am at the climbing gym. Mia will bring the ropes.',
  },
  {
    id: 't2',
    dialogue:
      'Ola: the invoice is late again\r\nTom: I sent it on Monday\r\nOla: can you resend it today?\r\nTom: sure, resending now',
    summary: 'Tom will resend the invoice to Ola today.',
  },
];

describe('ROUGE on SAMSum-format examples', () => {
  let dir: string;
  let summarizer: Summarizer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cocoon-samsum-'));
    summarizer = await createSummarizer({ device: 'cpu', logger: silentEngineLogger });
  });
  afterAll(async () => {
    await summarizer?.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads "Name: text" lines split by \\r\\n as messages', () => {
    expect(samsumMessages(examples[0].dialogue)).toEqual([
      { author: 'Mia', text: 'are we still on for Saturday?', id: 1 },
      { author: 'Leo', text: 'yes! 10am at the climbing gym', id: 2 },
      { author: 'Mia', text: "great, I'll bring the ropes", id: 3 },
      { author: 'Leo', text: '👍', id: 4 },
    ]);
  });

  it('says why there is nothing to score: no path, no file, not an array, no usable example', () => {
    expect(loadSamsum('')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('SAMSUM_PATH is not set'),
    });
    expect(loadSamsum(path.join(dir, 'nope.json'))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not exist'),
    });
    const obj = path.join(dir, 'obj.json');
    writeFileSync(obj, '{"id":1}');
    expect(loadSamsum(obj)).toMatchObject({ ok: false, reason: expect.stringContaining('not an array') });
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '[{"id":"x"}]');
    expect(loadSamsum(bad)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no usable example'),
    });
  });

  it('scores every method with ROUGE-1/2/L F1 in one run, skipping malformed entries', async () => {
    const file = path.join(dir, 'test.json');
    writeFileSync(file, JSON.stringify([...examples, { id: 'broken', dialogue: null, summary: 'x' }]));
    const load = loadSamsum(file);
    expect(load).toMatchObject({ ok: true, skipped: 1 });
    if (!load.ok) return;
    const rows = await rougeOnSamsum(summarizer, load.examples);
    expect(rows.map((r) => r.method)).toEqual(METHODS);
    for (const r of rows) {
      expect(r.examples).toBe(2);
      for (const k of ['rouge1', 'rouge2', 'rougeL'] as const) {
        expect(r[k]).toBeGreaterThanOrEqual(0);
        expect(r[k]).toBeLessThanOrEqual(1);
      }
    }
    // The summaries quote the dialogues, so they share words with the references.
    expect(rows.find((r) => r.method === 'chat (new)')!.rouge1).toBeGreaterThan(0.2);

    const bench = await benchRouge(summarizer, file);
    expect(bench).toHaveLength(METHODS.length * 3);
    expect(bench[0]).toMatchObject({ name: 'SAMSum rouge1 F1: chat (new)', unit: 'F1' });
  });

  it('without SAMSUM_PATH the bench prints that ROUGE was skipped and why', async () => {
    vi.stubEnv('SAMSUM_PATH', '');
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await benchRouge(summarizer, undefined)).toEqual([]);
      expect(err).toHaveBeenCalledWith(expect.stringMatching(/ROUGE skipped: SAMSUM_PATH is not set/));
    } finally {
      err.mockRestore();
      vi.unstubAllEnvs();
    }
  });
});
