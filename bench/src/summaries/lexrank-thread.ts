// The `lexrank` npm package, run in a worker thread and never loaded into the bench's own process.
// Requiring it loads sugar 1.3.9 (through sentence-tokenizer), which replaces Array.prototype.map, filter,
// some, every and more, process-wide. Its map takes a callback that isn't `[object Function]` (an async
// function is `[object AsyncFunction]`) for a property name and returns undefined for every element: after
// the summaries suite, transformers.js's `Object.keys(names).map(async …)` gave Object.fromEntries
// `[undefined]` ("Iterator value undefined is not an entry object") when the audits suite loaded demo-gen.
// A worker thread has its own globals, so sugar's changes stay there.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface LexrankLine {
  text: string;
  index: number;
}

const THREAD_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const lexrank = require(workerData.lexrankPath);
parentPort.on('message', ({ id, text, lines }) => {
  try {
    lexrank.summarize(text, lines, (err, top) => {
      if (err || !top) parentPort.postMessage({ id, error: String(err ?? 'no summary') });
      else parentPort.postMessage({ id, top: top.map((t) => ({ text: t.text, index: t.index })) });
    });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err) });
  }
});`;

type Reply = { id: number; top?: LexrankLine[]; error?: string };

let thread: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (top: LexrankLine[]) => void; reject: (e: Error) => void }>();

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
  thread = undefined;
}

function lexrankThread(): Worker {
  if (thread) return thread;
  const lexrankPath = createRequire(import.meta.url).resolve('lexrank');
  const w = new Worker(THREAD_CODE, { eval: true, workerData: { lexrankPath } });
  w.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.top) p.resolve(m.top);
    else p.reject(new Error(`lexrank: ${m.error}`));
    // An idle thread doesn't keep the process alive.
    if (pending.size === 0) w.unref();
  });
  w.on('error', failAll);
  w.on('exit', (code) => {
    if (thread === w) failAll(new Error(`the lexrank thread exited (${code})`));
  });
  thread = w;
  return w;
}

/** lexrank's top `lines` sentences of `text` (in its rank order), computed in the lexrank thread. */
export function lexrankTop(text: string, lines: number): Promise<LexrankLine[]> {
  const w = lexrankThread();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, text, lines });
  });
}

/** Stops the lexrank thread (the next lexrankTop starts a new one). */
export async function stopLexrankThread(): Promise<void> {
  const w = thread;
  thread = undefined;
  if (!w) return;
  failAll(new Error('the lexrank thread was stopped'));
  await w.terminate();
}
