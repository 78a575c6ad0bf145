// A tiny causal LM in the exact Hugging Face layout, built in code for tests: a word-level
// vocabulary and a bigram table whose greedy path is known in advance.
import { SPECIAL_TOKENS, writeHfModelFolder } from '../demo-gen/hf-export';
import { bigramOnlyTables, buildNgramGraph } from '../demo-gen/ngram-graph';

export const TINY_WORDS = [
  'the',
  'quick',
  'brown',
  'fox',
  'jumps',
  'over',
  'lazy',
  'dog',
  '.',
  ',',
  'and',
  'runs',
];

export interface TinyModelSpec {
  /** Greedy successor of each word (by word); words not listed back off to the unigram. */
  chain: Record<string, string>;
  contextLength?: number;
  /** Makes it an "instruct" model (a chat template in tokenizer_config.json). */
  chatTemplate?: string;
}

/** The default chain: "the quick brown fox jumps over the lazy dog ." then end of sequence. */
export const TINY_CHAIN: Record<string, string> = {
  '<s>': 'the',
  the: 'quick',
  quick: 'brown',
  brown: 'fox',
  fox: 'jumps',
  jumps: 'over',
  over: 'lazy',
  lazy: 'dog',
  dog: '.',
  '.': '</s>',
  ',': 'and',
  and: 'runs',
  runs: '.',
};

export async function writeTinyModel(
  dir: string,
  spec: TinyModelSpec = { chain: TINY_CHAIN },
): Promise<string[]> {
  const vocab = [
    SPECIAL_TOKENS.pad,
    SPECIAL_TOKENS.unk,
    SPECIAL_TOKENS.bos,
    SPECIAL_TOKENS.eos,
    ...TINY_WORDS,
  ];
  const id = (w: string) => {
    const i = vocab.indexOf(w);
    if (i < 0) throw new Error(`unknown word ${w}`);
    return i;
  };
  const next = new Map<number, [number, number][]>();
  for (const [from, to] of Object.entries(spec.chain)) next.set(id(from), [[id(to), Math.log(0.9)]]);
  const unigram = new Float32Array(vocab.length).fill(Math.log(1 / vocab.length));
  const tables = bigramOnlyTables({
    vocabSize: vocab.length,
    bosId: id(SPECIAL_TOKENS.bos),
    unigram,
    next,
    padId: id(SPECIAL_TOKENS.pad),
    suppress: [id(SPECIAL_TOKENS.pad), id(SPECIAL_TOKENS.unk), id(SPECIAL_TOKENS.bos)],
  });
  await writeHfModelFolder(dir, {
    vocab,
    onnx: buildNgramGraph(tables),
    contextLength: spec.contextLength ?? 64,
    chatTemplate: spec.chatTemplate,
    description: 'tiny test model',
    demoGrade: true,
  });
  return vocab;
}
