// ROUGE on SAMSum-format dialogues (Gliwa et al., 2019): the new chat summarizer, the old sentence
// summarizer, lexrank and Lead-3 against the published reference summaries. SAMSum's licence forbids
// redistribution, so nothing of it is committed: the bench reads it at run time from `SAMSUM_PATH`, a JSON
// file as published (an array of { id, dialogue, summary }, dialogue lines "Name: text" joined by \r\n),
// and says why ROUGE was skipped when there is none.
//   SAMSUM_PATH=~/data/samsum/test.json npx tsx bench/src/summaries/samsum.ts
import { readFileSync, statSync } from 'node:fs';
import { parseTranscript } from '@cocoon/shared';
import { createSummarizer, type Summarizer, silentEngineLogger } from '@cocoon/worker';
import { z } from 'zod';
import type { BenchResult } from '../result';
import { METHODS, type Method, methodSummaries } from './methods';
import { type Rouge, rouge } from './rouge';

/** Bounds on what a local file can make the bench do. */
export const SAMSUM_MAX_BYTES = 64 * 1024 * 1024;
export const SAMSUM_MAX_EXAMPLES = 20_000;

const example = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  dialogue: z.string().max(100_000),
  summary: z.string().max(10_000),
});
export type SamsumExample = z.infer<typeof example>;

export type SamsumLoad =
  | { ok: true; path: string; examples: SamsumExample[]; skipped: number }
  | { ok: false; reason: string };

/** The examples at `path` (SAMSUM_PATH by default), or why there are none. Malformed entries are skipped. */
export function loadSamsum(path = process.env.SAMSUM_PATH): SamsumLoad {
  if (!path)
    return { ok: false, reason: 'SAMSUM_PATH is not set (a local SAMSum JSON file; never committed)' };
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { ok: false, reason: `SAMSUM_PATH ${path} does not exist` };
  }
  if (size > SAMSUM_MAX_BYTES) return { ok: false, reason: `SAMSUM_PATH ${path} is over 64 MiB` };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { ok: false, reason: `SAMSUM_PATH ${path} is not JSON (${(err as Error).message})` };
  }
  if (!Array.isArray(raw)) return { ok: false, reason: `SAMSUM_PATH ${path} is not an array of examples` };
  const examples: SamsumExample[] = [];
  let skipped = 0;
  for (const item of raw.slice(0, SAMSUM_MAX_EXAMPLES)) {
    const e = example.safeParse(item);
    if (e.success && e.data.dialogue.trim() && e.data.summary.trim()) examples.push(e.data);
    else skipped++;
  }
  if (examples.length === 0) return { ok: false, reason: `SAMSUM_PATH ${path} holds no usable example` };
  return { ok: true, path, examples, skipped };
}

/** A SAMSum dialogue as chat messages: one per "Name: text" line, in order, with ids from 1. */
export function samsumMessages(dialogue: string): Array<{ author?: string; text: string; id: number }> {
  return parseTranscript(dialogue).map((m, i) => ({
    ...(m.author ? { author: m.author } : {}),
    text: m.text,
    id: i + 1,
  }));
}

export interface RougeRow {
  method: Method;
  examples: number;
  rouge1: number;
  rouge2: number;
  rougeL: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const round = (x: number) => Math.round(x * 10_000) / 10_000;

/** Mean ROUGE-1/2/L F1 per method over the examples. Every method sees the speakers' names. */
export async function rougeOnSamsum(summarizer: Summarizer, examples: SamsumExample[]): Promise<RougeRow[]> {
  const scores: Record<Method, Rouge[]> = Object.fromEntries(METHODS.map((m) => [m, []])) as never;
  for (const e of examples) {
    const chat = samsumMessages(e.dialogue);
    const plain = chat
      .map((m) => {
        const line = m.author ? `${m.author}: ${m.text}` : m.text;
        return /[.!?]$/.test(line) ? line : `${line}.`;
      })
      .join('\n');
    const summaries = await methodSummaries(summarizer, chat, plain);
    for (const m of METHODS) scores[m].push(rouge(summaries[m], e.summary));
  }
  return METHODS.map((method) => ({
    method,
    examples: examples.length,
    rouge1: round(mean(scores[method].map((r) => r.rouge1.f1))),
    rouge2: round(mean(scores[method].map((r) => r.rouge2.f1))),
    rougeL: round(mean(scores[method].map((r) => r.rougeL.f1))),
  }));
}

/** The ROUGE rows of the summaries suite, or none, with the reason printed, when there is no SAMSum here. */
export async function benchRouge(
  summarizer: Summarizer,
  path = process.env.SAMSUM_PATH,
): Promise<BenchResult[]> {
  const load = loadSamsum(path);
  if (!load.ok) {
    console.error(`summaries: ROUGE skipped: ${load.reason}`);
    return [];
  }
  const rows = await rougeOnSamsum(summarizer, load.examples);
  const ours = rows.find((r) => r.method === 'chat (new)')!;
  const out: BenchResult[] = [];
  for (const r of rows)
    for (const k of ['rouge1', 'rouge2', 'rougeL'] as const)
      out.push({
        name: `SAMSum ${k} F1: ${r.method}`,
        value: r[k],
        unit: 'F1',
        ...(r.method === 'chat (new)' ? {} : { baseline: ours[k] }),
        note: `${r.examples} examples from ${load.path}${load.skipped ? ` (${load.skipped} malformed skipped)` : ''}`,
      });
  return out;
}

if (process.argv[1]?.endsWith('samsum.ts')) {
  const load = loadSamsum();
  if (!load.ok) {
    console.error(`ROUGE skipped: ${load.reason}`);
  } else {
    const summarizer = await createSummarizer({ device: 'cpu', logger: silentEngineLogger });
    console.table(await rougeOnSamsum(summarizer, load.examples));
    await summarizer.release();
  }
}
