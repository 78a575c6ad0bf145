// Fact recall of chat summaries on the committed evaluation set (bench/data/summaries/transcripts.json):
// the served chat summarizer, the old sentence summarizer (as it was served: 8 sentences within the job's
// token budget), the `lexrank` npm package and Lead-3, on the same transcripts in the same run. A fact
// counts when any of its accepted spellings occurs in the summary (case-insensitive). Tuned and held-out
// transcripts are reported apart. ROUGE on SAMSum (samsum.ts) runs in the same suite when SAMSUM_PATH is set.
//   npx tsx bench/src/summaries/recall.ts [--verbose]
import { readFileSync } from 'node:fs';
import { createSummarizer, type Summarizer, silentEngineLogger } from '@cocoon/worker';
import type { BenchResult } from '../result';
import type { EvalTranscript } from './build-eval-set';
import { stopLexrankThread } from './lexrank-thread';
import { METHODS, type Method, methodSummaries } from './methods';
import { benchRouge } from './samsum';

export const EVAL_SET_URL = new URL('../../data/summaries/transcripts.json', import.meta.url);

export interface TranscriptScore {
  id: string;
  split: 'tune' | 'heldout';
  messages: number;
  facts: number;
  hit: Record<Method, number>;
  chars: Record<Method, number>;
  summaries: Record<Method, string>;
}

export function loadEvalSet(): EvalTranscript[] {
  return JSON.parse(readFileSync(EVAL_SET_URL, 'utf8')) as EvalTranscript[];
}

export function factsFound(summary: string, facts: string[][]): number {
  const s = summary.toLowerCase();
  return facts.filter((spellings) => spellings.some((f) => s.includes(f.toLowerCase()))).length;
}

/** A transcript as plain text for lexrank: one sentence-ended line per message. */
function asPlainText(t: EvalTranscript): string {
  return t.messages.map((m) => (/[.!?]$/.test(m.text.trim()) ? m.text : `${m.text}.`)).join('\n');
}

export async function scoreTranscripts(
  summarizer: Summarizer,
  set = loadEvalSet(),
): Promise<TranscriptScore[]> {
  const out: TranscriptScore[] = [];
  for (const t of set) {
    const chat = t.messages.map((m) => ({
      author: m.author,
      text: m.text,
      id: m.id,
      replyTo: m.replyTo,
      date: m.date,
    }));
    const summaries = await methodSummaries(summarizer, chat, asPlainText(t));
    const hit = {} as Record<Method, number>;
    const chars = {} as Record<Method, number>;
    for (const m of METHODS) {
      hit[m] = factsFound(summaries[m], t.facts);
      chars[m] = summaries[m].length;
    }
    out.push({
      id: t.id,
      split: t.split,
      messages: t.messages.length,
      facts: t.facts.length,
      hit,
      chars,
      summaries,
    });
  }
  return out;
}

export interface RecallRow {
  split: 'tune' | 'heldout' | 'all';
  method: Method;
  recall: number;
  found: number;
  facts: number;
  avgChars: number;
}

export function recallRows(scores: TranscriptScore[]): RecallRow[] {
  const rows: RecallRow[] = [];
  for (const split of ['tune', 'heldout', 'all'] as const) {
    const part = scores.filter((s) => split === 'all' || s.split === split);
    const facts = part.reduce((a, s) => a + s.facts, 0);
    for (const method of METHODS) {
      const found = part.reduce((a, s) => a + s.hit[method], 0);
      const chars = part.reduce((a, s) => a + s.chars[method], 0);
      rows.push({
        split,
        method,
        recall: Math.round((found / Math.max(1, facts)) * 1000) / 1000,
        found,
        facts,
        avgChars: Math.round(chars / Math.max(1, part.length)),
      });
    }
  }
  return rows;
}

/** The `summaries` suite of `npm run bench`: recall per method and split, in one run. */
export async function benchSummaries(): Promise<BenchResult[]> {
  const summarizer = await createSummarizer({ device: 'cpu', logger: silentEngineLogger });
  let scores: TranscriptScore[];
  let rougeRows: Awaited<ReturnType<typeof benchRouge>>;
  try {
    scores = await scoreTranscripts(summarizer);
    rougeRows = await benchRouge(summarizer);
  } finally {
    await summarizer.release();
    await stopLexrankThread();
  }
  const rows = recallRows(scores);
  const out: BenchResult[] = [];
  for (const split of ['tune', 'heldout', 'all'] as const) {
    const of = (m: Method) => rows.find((r) => r.split === split && r.method === m)!;
    const ours = of('chat (new)');
    for (const m of METHODS) {
      const r = of(m);
      out.push({
        name: `fact recall ${split}: ${m}`,
        value: r.recall,
        unit: 'recall',
        ...(m === 'chat (new)' ? {} : { baseline: ours.recall }),
        note: `${r.found}/${r.facts} facts, ${r.avgChars} chars per summary on average`,
      });
    }
  }
  // ROUGE against SAMSum's references, when a local copy is named by SAMSUM_PATH (else said why not).
  out.push(...rougeRows);
  return out;
}

if (process.argv[1]?.endsWith('recall.ts')) {
  const summarizer = await createSummarizer({ device: 'cpu', logger: silentEngineLogger });
  const scores = await scoreTranscripts(summarizer);
  await summarizer.release();
  await stopLexrankThread();
  console.table(
    scores.map((s) => ({
      id: s.id,
      split: s.split,
      n: s.messages,
      facts: s.facts,
      ...Object.fromEntries(METHODS.map((m) => [m, s.hit[m]])),
    })),
  );
  console.table(recallRows(scores));
  if (process.argv.includes('--verbose'))
    for (const s of scores) {
      if (s.hit['chat (new)'] === s.facts) continue;
      console.log(`\n## ${s.id} (${s.hit['chat (new)']}/${s.facts})\n${s.summaries['chat (new)']}`);
    }
}
