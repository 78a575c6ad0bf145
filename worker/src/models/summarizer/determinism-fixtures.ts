// Chats built to have ties: sentences whose true ranking scores are exactly equal (by symmetry),
// so that only float noise could order them. Shared by summarize-determinism.test.ts and the probe
// it runs in separate processes (determinism-probe.ts).
import type { SummarizeOptions } from './summarize';
import type { ChatMessage } from './text-prep';

export interface DeterminismFixture {
  messages: ChatMessage[];
  options: SummarizeOptions;
}

const FRUIT = [
  'apple',
  'banana',
  'cherry',
  'grape',
  'lemon',
  'mango',
  'olive',
  'peach',
  'pepper',
  'radish',
  'tomato',
  'walnut',
  'carrot',
  'celery',
  'garlic',
  'onion',
  'potato',
  'spinach',
  'almond',
  'cashew',
];

/**
 * Sentence i holds words i, i+1, i+2 (mod the count): every word is in three sentences, every
 * sentence has the same length and prior, and rotating the chat maps it onto itself, so all
 * scores are equal although no two rows are.
 */
export function ringChat(words: readonly string[], authors = ['ann', 'bob', 'cy']): ChatMessage[] {
  return words.map((w, i) => ({
    author: authors[i % authors.length],
    text: `${w} ${words[(i + 1) % words.length]} ${words[(i + 2) % words.length]}.`,
  }));
}

/** Letter-only made-up words the stemmer leaves alone ("zabq", "zacq", ...), all distinct. */
export function madeUpWords(count: number): string[] {
  const letters = 'abcdefghijklmnoprstuvwy';
  return Array.from({ length: count }, (_, i) => {
    let s = '';
    let x = i;
    do {
      s += letters[x % letters.length];
      x = Math.floor(x / letters.length);
    } while (x > 0);
    return `z${s}q`;
  });
}

/** Two sub-conversations with the same shape in different words: each sentence has a twin. */
function twinTopics(): ChatMessage[] {
  const topic = (w: string[]) => [
    `${w[0]} ${w[1]} ${w[2]} ${w[3]}.`,
    `${w[1]} ${w[2]} ${w[4]}.`,
    `${w[0]} ${w[3]} ${w[4]} ${w[5]}.`,
    `${w[2]} ${w[5]}.`,
  ];
  const a = topic(['cabin', 'lake', 'booking', 'weekend', 'canoe', 'sauna']);
  const b = topic(['train', 'station', 'ticket', 'platform', 'carriage', 'luggage']);
  // Interleaved, so the earlier twin alternates between the topics.
  return a.flatMap((text, i) => [
    { author: 'maya', text },
    { author: 'tom', text: b[i] },
  ]);
}

/** The same statement reworded (same words, other order), amid other messages. */
function permutations(): ChatMessage[] {
  return [
    { author: 'ann', text: 'The payment fix ships on Friday.' },
    { author: 'bob', text: 'ok' },
    { author: 'cy', text: 'On Friday the payment fix ships.' },
    { author: 'ann', text: 'Marketing wants a notice before launch.' },
    { author: 'bob', text: 'Ships on Friday, the payment fix.' },
    { author: 'cy', text: 'Friday: the payment fix ships.' },
    { author: 'ann', text: 'A launch notice goes to marketing.' },
    { author: 'bob', text: 'The payment fix ships on Friday.' },
    { author: 'cy', text: 'lol' },
  ];
}

/** A large ring (wider matrices, so onnxruntime splits work across threads) with repeated messages. */
function largeRing(): ChatMessage[] {
  const ring = ringChat(madeUpWords(240), ['a', 'b', 'c', 'd']);
  const out: ChatMessage[] = [];
  ring.forEach((m, i) => {
    out.push(m);
    if (i % 10 === 9) out.push({ author: 'e', text: ring[i - 5].text });
  });
  return out;
}

export const DETERMINISM_FIXTURES: Record<string, DeterminismFixture> = {
  ring: { messages: ringChat(FRUIT), options: { maxSentences: 4, ratio: 1 } },
  'ring, one pick': { messages: ringChat(FRUIT), options: { maxSentences: 1 } },
  'ring under a token budget': {
    messages: ringChat(FRUIT),
    options: { maxSentences: 8, ratio: 1, maxTokens: 20 },
  },
  'twin topics': { messages: twinTopics(), options: { maxSentences: 3, ratio: 1 } },
  permutations: { messages: permutations(), options: { maxSentences: 3, ratio: 1 } },
  'large ring with repeats': { messages: largeRing(), options: { maxSentences: 8 } },
  'large ring, plain text': {
    messages: [
      {
        text: largeRing()
          .map((m) => m.text)
          .join(' '),
      },
    ],
    options: { maxSentences: 8 },
  },
};

/** What the determinism tests compare: which sentences were picked, and the summary text. */
export interface SelectionDigest {
  picks: { sentenceIndex: number; text: string }[];
  text: string;
}
