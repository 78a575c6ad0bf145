// Worker benchmarks: the extractive summarizer against the `lexrank` npm package (plain JS) on the
// same synthetic chats, and LM decoding speed of our runner against @huggingface/transformers
// called directly on the same demo model. Every run is bounded in time.
//   npx tsx worker/src/bench.ts
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type Tensor,
} from '@huggingface/transformers';
import { silentEngineLogger } from './engine/logger';
import { loadCausalLM } from './models/causal-lm/runner';
import { ensureDemoModel } from './models/demo-gen/index';
import { readBrownParagraphs } from './models/demo-gen/train';
import { createSummarizer } from './models/summarizer/summarize';
import type { ChatMessage } from './models/summarizer/text-prep';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  note?: string;
}

const AUTHORS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
const SUMMARIZER_SIZES = [50, 200, 1000, 3000];
const LEXRANK_TIMEOUT_MS = 20_000;
const LM_TOKENS = 256;

function joinWords(words: string[]): string {
  return words
    .join(' ')
    .replace(/ ([.,;:?!')])/g, '$1')
    .replace(/([(]) /g, '$1')
    .replace(/ ' /g, "'");
}

/** A chat of `n` sentences cut from Brown paragraphs, 1–2 sentences per message, deterministic. */
export function syntheticChat(n: number): ChatMessage[] {
  const sentences: string[] = [];
  for (const para of readBrownParagraphs(60)) {
    let cur: string[] = [];
    for (const w of para) {
      cur.push(w);
      if (w === '.' || w === '?' || w === '!') {
        if (cur.length >= 4) sentences.push(joinWords(cur));
        cur = [];
      }
    }
    if (sentences.length >= n) break;
  }
  if (sentences.length < n) throw new Error(`corpus slice has only ${sentences.length} sentences`);
  const messages: ChatMessage[] = [];
  for (let i = 0, m = 0; i < n; m++) {
    const take = m % 3 === 2 ? 2 : 1;
    messages.push({
      author: AUTHORS[m % AUTHORS.length],
      text: sentences.slice(i, Math.min(n, i + take)).join(' '),
    });
    i += take;
  }
  return messages;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs fn until `budgetMs` is spent or `maxRuns` runs are done (at least once); median ms. */
async function timeIt(fn: () => Promise<unknown>, budgetMs: number, maxRuns: number): Promise<number> {
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < maxRuns; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    if (performance.now() - start > budgetMs) break;
  }
  return median(times);
}

/** lexrank is synchronous and O(n²) in JS: run it in a worker thread that can be stopped. */
function timeLexrank(text: string, lines: number, timeoutMs: number): Promise<number | undefined> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const lexrank = require('lexrank');
    const t0 = performance.now();
    lexrank.summarize(workerData.text, workerData.lines, (err) => {
      parentPort.postMessage(err ? { error: String(err) } : { ms: performance.now() - t0 });
    });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { text, lines } });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve(undefined);
    }, timeoutMs);
    worker.once('message', (m: { ms?: number; error?: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (m.error) reject(new Error(m.error));
      else resolve(m.ms);
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export async function benchSummarizer(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const summarizer = await createSummarizer({ device: 'auto', logger: silentEngineLogger });
  try {
    await summarizer.summarize(syntheticChat(50), { maxSentences: 5 }); // warm-up
    for (const n of SUMMARIZER_SIZES) {
      const chat = syntheticChat(n);
      const ours = await timeIt(
        () => summarizer.summarize(chat, { maxSentences: 5 }),
        4000,
        n >= 1000 ? 3 : 10,
      );
      const plain = chat.map((m) => m.text).join(' ');
      const lex = await timeLexrank(plain, 5, LEXRANK_TIMEOUT_MS);
      results.push({
        name: `summarize-extractive ${n} sentences`,
        value: Math.round(ours * 10) / 10,
        unit: 'ms',
        baseline: lex === undefined ? LEXRANK_TIMEOUT_MS : Math.round(lex * 10) / 10,
        ratio: Math.round(((lex ?? LEXRANK_TIMEOUT_MS) / ours) * 100) / 100,
        note:
          `ours: wink-nlp + TF-IDF + ONNX ranking on ${summarizer.provider}, end to end; baseline: lexrank npm (plain JS)` +
          (lex === undefined
            ? `; lexrank did not finish in ${LEXRANK_TIMEOUT_MS / 1000} s, ratio is a lower bound`
            : ''),
      });
    }
  } finally {
    await summarizer.release();
  }
  return results;
}

export async function benchLm(): Promise<BenchResult[]> {
  const dir = await ensureDemoModel();
  const prompt = 'The committee said that the new plan';
  const ours = await loadCausalLM(dir, { device: 'auto', logger: silentEngineLogger });

  env.allowRemoteModels = false;
  env.localModelPath = `${path.dirname(dir)}${path.sep}`;
  const id = path.basename(dir);
  const tokenizer = await AutoTokenizer.from_pretrained(id);
  const model = (await AutoModelForCausalLM.from_pretrained(id, {
    device: ours.provider,
    dtype: 'fp32',
  })) as PreTrainedModel;

  const oursRun = async () => {
    const r = await ours.generate({ prompt, maxTokens: LM_TOKENS, temperature: 0, onToken: () => {} });
    return r.completionTokens;
  };
  // Both sides end with the completion as text, as any caller needs it: the direct call decodes its ids.
  const directRun = async () => {
    const inputs = tokenizer(prompt);
    const out = (await model.generate({ ...inputs, max_new_tokens: LM_TOKENS, do_sample: false })) as Tensor;
    const promptLength = inputs.input_ids.dims.at(-1) as number;
    tokenizer.decode((out.tolist() as bigint[][])[0].slice(promptLength), { skip_special_tokens: true });
    return (out.dims.at(-1) as number) - promptLength;
  };
  try {
    // Warm up both paths (JIT, ORT allocations): one run each was not enough for the first figure of a process.
    for (let i = 0; i < 3; i++) {
      await oursRun();
      await directRun();
    }
    // Alternate the two so both see the same machine state; bounded to ~12 s in all.
    const oursTps: number[] = [];
    const directTps: number[] = [];
    const start = performance.now();
    for (let i = 0; i < 12 && performance.now() - start < 12_000; i++) {
      let t0 = performance.now();
      oursTps.push((await oursRun()) / ((performance.now() - t0) / 1000));
      t0 = performance.now();
      directTps.push((await directRun()) / ((performance.now() - t0) / 1000));
    }
    const o = median(oursTps);
    const d = median(directTps);
    return [
      {
        name: 'demo-gen decode (greedy, streaming)',
        value: Math.round(o),
        unit: 'tokens/s',
        baseline: Math.round(d),
        ratio: Math.round((o / d) * 100) / 100,
        note: `our runner (stream deltas, stop checks) vs @huggingface/transformers generate() on the same model, ${ours.provider}, ${LM_TOKENS} tokens max`,
      },
    ];
  } finally {
    await ours.dispose();
    await model.dispose();
  }
}

export async function benchWorker(): Promise<BenchResult[]> {
  return [...(await benchSummarizer()), ...(await benchLm())];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const results = await benchWorker();
  console.table(results.map(({ note, ...r }) => r));
  for (const r of results) if (r.note) console.log(`${r.name}: ${r.note}`);
}
