// Writes a model folder in the Hugging Face layout that transformers.js (and our runner) loads:
// config.json, generation_config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx.
// The tokenizer is word-level, expressed as a WordPiece model whose vocabulary holds whole words
// (transformers.js has no WordLevel model); its decoder rejoins words and fixes punctuation spacing.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const SPECIAL_TOKENS = { pad: '[PAD]', unk: '[UNK]', bos: '<s>', eos: '</s>' } as const;

export interface HfExportSpec {
  /** Index = token id; the four special tokens must be present. */
  vocab: string[];
  onnx: Uint8Array;
  contextLength: number;
  description: string;
  demoGrade: boolean;
  /** Extra notes stored in config.json under "cocoon". */
  notes?: Record<string, unknown>;
  /** Default generation settings (generation_config.json), e.g. no_repeat_ngram_size. */
  generation?: Record<string, unknown>;
  /** Jinja chat template: present on instruct models only. */
  chatTemplate?: string;
}

function tokenizerJson(vocab: string[]) {
  const specials = new Set<string>(Object.values(SPECIAL_TOKENS));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: vocab
      .map((content, id) => ({ id, content }))
      .filter((t) => specials.has(t.content))
      .map((t) => ({
        ...t,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
    normalizer: null,
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: SPECIAL_TOKENS.unk,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((w, i) => [w, i])),
    },
  };
}

/** Writes the folder atomically: a half-written model is never visible under `dir`. */
export async function writeHfModelFolder(dir: string, spec: HfExportSpec): Promise<void> {
  const id = (t: string) => {
    const i = spec.vocab.indexOf(t);
    if (i < 0) throw new Error(`vocabulary lacks special token ${t}`);
    return i;
  };
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(path.join(tmp, 'onnx'), { recursive: true });
  const config = {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: spec.vocab.length,
    n_layer: 1,
    n_head: 1,
    n_embd: 1,
    n_positions: spec.contextLength,
    n_ctx: spec.contextLength,
    bos_token_id: id(SPECIAL_TOKENS.bos),
    eos_token_id: id(SPECIAL_TOKENS.eos),
    pad_token_id: id(SPECIAL_TOKENS.pad),
    cocoon: { description: spec.description, demoGrade: spec.demoGrade, ...spec.notes },
  };
  const generation = {
    bos_token_id: config.bos_token_id,
    eos_token_id: config.eos_token_id,
    pad_token_id: config.pad_token_id,
    ...spec.generation,
  };
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: SPECIAL_TOKENS.bos,
    eos_token: SPECIAL_TOKENS.eos,
    unk_token: SPECIAL_TOKENS.unk,
    pad_token: SPECIAL_TOKENS.pad,
    clean_up_tokenization_spaces: true,
    model_max_length: spec.contextLength,
    ...(spec.chatTemplate ? { chat_template: spec.chatTemplate } : {}),
  };
  const json = (v: unknown) => `${JSON.stringify(v, null, 1)}\n`;
  await writeFile(path.join(tmp, 'config.json'), json(config));
  await writeFile(path.join(tmp, 'generation_config.json'), json(generation));
  await writeFile(path.join(tmp, 'tokenizer.json'), JSON.stringify(tokenizerJson(spec.vocab)));
  await writeFile(path.join(tmp, 'tokenizer_config.json'), json(tokenizerConfig));
  await writeFile(path.join(tmp, 'onnx', 'model.onnx'), spec.onnx);
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  await rename(tmp, dir);
}
