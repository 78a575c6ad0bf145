// The JSON files of a test decoder as Hugging Face writes them for the family: config.json,
// generation_config.json, tokenizer.json (byte-level BPE), tokenizer_config.json with the chat template.
import { builtInBpe, fillerTokens } from './bpe';

export type Family = 'qwen2' | 'llama';

/** Qwen2's chat template on its no-tools path (what Qwen2 / Qwen2.5 instruct exports render). */
export const QWEN2_CHAT_TEMPLATE =
  "{%- if messages[0]['role'] == 'system' %}" +
  "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}" +
  '{%- else %}' +
  "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}" +
  '{%- endif %}' +
  '{%- for message in messages %}' +
  '{%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant") %}' +
  "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}" +
  '{%- endif %}' +
  '{%- endfor %}' +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

/** Meta Llama 3 Instruct's chat template. */
export const LLAMA3_CHAT_TEMPLATE =
  '{% set loop_messages = messages %}{% for message in loop_messages %}' +
  "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}" +
  '{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}' +
  "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

export const SPECIALS: Record<Family, string[]> = {
  qwen2: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
  llama: ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'],
};

export interface TokenizerLayout {
  /** Every token string by id: BPE tokens, fillers, then the special tokens (as Qwen puts them last). */
  vocab: string[];
  merges: string[];
  special: Record<string, number>;
  /** Ids the BPE model can produce: [0, bpeSize). */
  bpeSize: number;
}

/** The vocabulary: the BPE of the built-in corpus, padded with filler tokens to `vocabSize` if given. */
export function tokenizerLayout(family: Family, merges: number, vocabSize?: number): TokenizerLayout {
  const bpe = builtInBpe(merges);
  const specials = SPECIALS[family];
  const natural = bpe.vocab.length + specials.length;
  if (vocabSize !== undefined && vocabSize < natural) {
    throw new Error(`vocabSize ${vocabSize} is below the tokenizer's ${natural} tokens`);
  }
  const fillers = fillerTokens((vocabSize ?? natural) - natural, new Set(bpe.vocab));
  const vocab = [...bpe.vocab, ...fillers, ...specials];
  const special = Object.fromEntries(
    specials.map((t) => [t, vocab.length - specials.length + specials.indexOf(t)]),
  );
  return { vocab, merges: bpe.merges, special, bpeSize: bpe.vocab.length };
}

const addedToken = (content: string, id: number) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

export function tokenizerJson(family: Family, t: TokenizerLayout): unknown {
  const specials = SPECIALS[family];
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true };
  const bos = '<|begin_of_text|>';
  const postProcessor =
    family === 'qwen2'
      ? { ...byteLevel, use_regex: false }
      : {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [
            { SpecialToken: { id: bos, type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: bos, type_id: 1 } },
            { Sequence: { id: 'B', type_id: 1 } },
          ],
          special_tokens: { [bos]: { id: bos, ids: [t.special[bos]], tokens: [bos] } },
        };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((s) => addedToken(s, t.special[s])),
    normalizer: family === 'qwen2' ? { type: 'NFC' } : null,
    pre_tokenizer: byteLevel,
    post_processor: postProcessor,
    decoder: { ...byteLevel, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: family === 'llama',
      vocab: Object.fromEntries(t.vocab.slice(0, t.vocab.length - specials.length).map((s, i) => [s, i])),
      merges: t.merges,
    },
  };
}

export interface FamilyIds {
  bos: number | null;
  /** The end-of-sequence ids generation stops at (instruct models end a turn with their own token). */
  eos: number[];
  pad: number;
}

export function familyIds(family: Family, t: TokenizerLayout, instruct: boolean): FamilyIds {
  const s = t.special;
  if (family === 'qwen2') {
    const eot = s['<|endoftext|>'];
    return { bos: eot, eos: instruct ? [s['<|im_end|>'], eot] : [eot], pad: eot };
  }
  const eot = s['<|end_of_text|>'];
  return { bos: s['<|begin_of_text|>'], eos: instruct ? [eot, s['<|eot_id|>']] : [eot], pad: eot };
}

export function tokenizerConfig(
  family: Family,
  t: TokenizerLayout,
  instruct: boolean,
  contextLength: number,
): Record<string, unknown> {
  const added = Object.fromEntries(
    SPECIALS[family].map((s) => [String(t.special[s]), addedToken(s, t.special[s])]),
  );
  for (const v of Object.values(added)) delete (v as { id?: number }).id;
  if (family === 'qwen2') {
    return {
      add_prefix_space: false,
      added_tokens_decoder: added,
      additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
      bos_token: null,
      ...(instruct ? { chat_template: QWEN2_CHAT_TEMPLATE } : {}),
      clean_up_tokenization_spaces: false,
      eos_token: instruct ? '<|im_end|>' : '<|endoftext|>',
      errors: 'replace',
      model_max_length: contextLength,
      pad_token: '<|endoftext|>',
      split_special_tokens: false,
      tokenizer_class: 'Qwen2Tokenizer',
      unk_token: null,
    };
  }
  return {
    added_tokens_decoder: added,
    bos_token: '<|begin_of_text|>',
    ...(instruct ? { chat_template: LLAMA3_CHAT_TEMPLATE } : {}),
    clean_up_tokenization_spaces: true,
    eos_token: instruct ? '<|eot_id|>' : '<|end_of_text|>',
    model_input_names: ['input_ids', 'attention_mask'],
    model_max_length: contextLength,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
}
