// A byte-level BPE tokenizer learnt by the project's own code from a small built-in corpus (the Brown
// corpus already shipped for demo-gen), in the tokenizer.json format GPT-2, Llama 3 and Qwen2 use: the
// ByteLevel pre-tokenizer (GPT-2's split regex, bytes mapped to printable characters), a BPE model with
// ranked merges, the ByteLevel decoder. Deterministic: ties between equally frequent pairs go to the pair
// of lower symbol ids.
import { readBrownParagraphs } from '../../demo-gen/train';

/** GPT-2's split, exactly as transformers.js's ByteLevel pre-tokenizer applies it (use_regex: true). */
export const BYTE_LEVEL_SPLIT =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's bytes_to_unicode: byte → printable character, and the byte order of the base vocabulary. */
function byteAlphabet(): { order: number[]; char: string[] } {
  const order: number[] = [];
  const add = (from: number, to: number) => {
    for (let b = from; b <= to; b++) order.push(b);
  };
  add(0x21, 0x7e);
  add(0xa1, 0xac);
  add(0xae, 0xff);
  const char: string[] = new Array(256);
  for (const b of order) char[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (char[b] === undefined) {
      order.push(b);
      char[b] = String.fromCharCode(256 + n++);
    }
  }
  return { order, char };
}
export const BYTE_ALPHABET = byteAlphabet();

const encoder = new TextEncoder();
/** A pre-token as the byte-level model sees it: each UTF-8 byte as its printable character. */
export function byteLevel(piece: string): string {
  let s = '';
  for (const b of encoder.encode(piece)) s += BYTE_ALPHABET.char[b];
  return s;
}

/** Extra text so the tokenizer has seen digits, newlines, code and chat markup, not only 1960s prose. */
const EXTRA_CORPUS = `
Hello! How can I help you today? I can summarize a chat, answer a question or write a short poem.
The meeting is on 2024-05-17 at 10:30. Please bring 3 copies of the report (about 12 pages).
def add(a, b):
    return a + b

for i in range(10):
    print(i * i)
const total = items.reduce((sum, x) => sum + x.price, 0);
{"name": "Cocoon", "tokens": 1024, "ok": true}
`;

/** The built-in corpus: the first `files` Brown files as running text, plus a little code and chat. */
export function builtInCorpus(files = 12): string {
  const text = readBrownParagraphs(files)
    .map((words) =>
      words
        .join(' ')
        .replace(/ ([.,;:!?)'])/g, '$1')
        .replace(/\( /g, '('),
    )
    .join('\n\n');
  return `${text}\n${EXTRA_CORPUS}`;
}

export interface TrainedBpe {
  /** Token strings (byte-level characters), index = id: the 256 bytes, then one per merge. */
  vocab: string[];
  /** Merges in rank order, as "left right". */
  merges: string[];
}

/** Max-heap of (count, key), count descending then key ascending; stale entries are skipped on pop. */
class PairHeap {
  private readonly items: [number, number][] = [];
  push(count: number, key: number): void {
    const a = this.items;
    a.push([count, key]);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): [number, number] | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
function before(x: [number, number], y: [number, number]): boolean {
  return x[0] > y[0] || (x[0] === y[0] && x[1] < y[1]);
}

const KEY = 2 ** 21;

/** Learns `mergeCount` merges (fewer if pairs run out below count 2) from `corpus`. */
export function trainByteLevelBpe(corpus: string, mergeCount: number): TrainedBpe {
  const vocab = BYTE_ALPHABET.order.map((b) => BYTE_ALPHABET.char[b]);
  const idOf = new Map(vocab.map((s, i) => [s, i]));
  const wordCounts = new Map<string, number>();
  for (const piece of corpus.match(BYTE_LEVEL_SPLIT) ?? []) {
    const w = byteLevel(piece);
    wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  }
  const words = [...wordCounts.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([w, count]) => ({ syms: [...w].map((c) => idOf.get(c) as number), count }));

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const account = (wi: number, sign: 1 | -1, touched: Set<number>) => {
    const { syms, count } = words[wi];
    for (let i = 0; i + 1 < syms.length; i++) {
      const key = syms[i] * KEY + syms[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * count);
      touched.add(key);
      if (sign > 0) {
        const set = pairWords.get(key);
        if (set) set.add(wi);
        else pairWords.set(key, new Set([wi]));
      }
    }
  };
  const heap = new PairHeap();
  const initial = new Set<number>();
  for (let wi = 0; wi < words.length; wi++) account(wi, 1, initial);
  for (const key of initial) heap.push(pairCount.get(key) as number, key);

  const merges: string[] = [];
  while (merges.length < mergeCount) {
    const top = heap.pop();
    if (!top) break;
    const [count, key] = top;
    if (pairCount.get(key) !== count) continue; // stale
    if (count < 2) break;
    const a = Math.floor(key / KEY);
    const b = key % KEY;
    const id = vocab.length;
    vocab.push(vocab[a] + vocab[b]);
    merges.push(`${vocab[a]} ${vocab[b]}`);
    const touched = new Set<number>();
    for (const wi of [...(pairWords.get(key) ?? [])]) {
      const w = words[wi];
      account(wi, -1, touched);
      const next: number[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === a && w.syms[i + 1] === b) {
          next.push(id);
          i++;
        } else next.push(w.syms[i]);
      }
      w.syms = next;
      account(wi, 1, touched);
    }
    pairWords.delete(key);
    for (const k of touched) {
      const c = pairCount.get(k) as number;
      if (c > 0) heap.push(c, k);
      else pairCount.delete(k);
    }
  }
  return { vocab, merges };
}

const trained = new Map<string, TrainedBpe>();
/** The BPE of the built-in corpus with `mergeCount` merges (memoised: tests build several models). */
export function builtInBpe(mergeCount: number): TrainedBpe {
  const key = String(mergeCount);
  let bpe = trained.get(key);
  if (!bpe) {
    bpe = trainByteLevelBpe(builtInCorpus(), mergeCount);
    trained.set(key, bpe);
  }
  return bpe;
}

/**
 * Unused ordinary tokens that pad a vocabulary to the model's size (as Qwen's 151,936 rows exceed its
 * tokenizer): pseudo-words no merge produces, so they decode to text but encoding never yields them.
 */
export function fillerTokens(count: number, taken: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let n = 0; out.length < count; n++) {
    let s = '';
    for (let v = n + 26 * 26; v > 0; v = Math.floor(v / 26)) s = String.fromCharCode(97 + (v % 26)) + s;
    const token = (n % 2 === 0 ? BYTE_ALPHABET.char[32] : '') + s;
    if (!taken.has(token)) out.push(token);
  }
  return out;
}
