import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentEngineLogger } from '../../engine/logger';
import { createOnnxRanker, type RankInput, rankReference } from './index';
import type { OnnxRanker } from './rank-onnx';
import { createSummarizer, type Summarizer, sentencePrior } from './summarize';
import { countTokens, prepareSentences } from './text-prep';
import { buildTfidf } from './tfidf';

const LAUNCH_CHAT = [
  { author: 'Alice', text: 'Hey team, we need to pick a date for the v2 launch.' },
  { author: 'Bob', text: 'ok' },
  { author: 'Carol', text: 'The payment bug is still open, launch should wait for the payment fix.' },
  { author: 'Bob', text: 'lol 😂' },
  { author: 'Alice', text: 'How long will the payment fix take?' },
  {
    author: 'Carol',
    text: 'The payment fix will be merged by Wednesday. https://github.com/acme/app/pull/12',
  },
  { author: 'Dave', text: 'Marketing needs two days notice before any launch.' },
  { author: 'Alice', text: 'Decision: we launch v2 on Friday at 10:00, after the payment fix is merged.' },
  { author: 'Bob', text: 'sounds good 👍' },
  { author: 'Dave', text: 'I will give marketing notice about the Friday launch today.' },
];

const TRIP_CHAT = [
  { author: 'Maya', text: 'So where are we going for the long weekend?' },
  { author: 'Tom', text: 'I vote for the mountains, the lake cabin looked great.' },
  { author: 'Ines', text: 'haha yes' },
  { author: 'Maya', text: 'The beach house is cheaper but it is a six hour drive.' },
  { author: 'Tom', text: 'The lake cabin is two hours away and costs 120 dollars per person.' },
  { author: 'Ines', text: '🙂🙂' },
  { author: 'Ines', text: 'Fine with the cabin, but I need to leave Sunday evening.' },
  {
    author: 'Maya',
    text: 'Ok, we agreed: we book the lake cabin for March 14 to 16, 120 dollars per person.',
  },
  { author: 'Tom', text: 'Booking the lake cabin now.' },
  { author: 'Ines', text: 'lol' },
];

const INCIDENT_CHAT = [
  { author: 'oncall', text: 'Checkout is returning 500 errors since 14:05.' },
  { author: 'lee', text: 'looking' },
  { author: 'lee', text: 'The errors started right after the 14:00 deploy of the cache service.' },
  { author: 'sam', text: 'Is the database ok?' },
  { author: 'oncall', text: 'Database latency is normal.' },
  {
    author: 'lee',
    text: 'Root cause: the deploy set the cache TTL to zero, so every checkout request hit the pricing service and it fell over.',
  },
  { author: 'sam', text: 'ugh' },
  { author: 'lee', text: 'Rolled back the cache deploy at 14:40 and checkout errors are gone.' },
  {
    author: 'oncall',
    text: 'Action items: add a TTL check to the cache deploy pipeline, postmortem on Monday.',
  },
  { author: 'sam', text: '👍' },
];

function rankInputFor(texts: string[], priorKind: 'features' | 'uniform'): RankInput {
  const sentences = prepareSentences(texts.map((text) => ({ text })));
  const m = buildTfidf(sentences.map((s) => s.terms));
  const prior = priorKind === 'uniform' ? new Float32Array(m.n).fill(1 / m.n) : sentencePrior(sentences);
  return { n: m.n, v: m.v, tfidf: m.tfidf, residualSq: m.residualSq, prior };
}

describe('ranking graph (ONNX) vs TypeScript reference', () => {
  let ranker: OnnxRanker;
  beforeAll(async () => {
    ranker = await createOnnxRanker({ device: 'cpu', logger: silentEngineLogger });
  });
  afterAll(() => ranker.release());

  const fixtures: Record<string, string[]> = {
    launch: LAUNCH_CHAT.map((m) => m.text),
    trip: TRIP_CHAT.map((m) => m.text),
    incident: INCIDENT_CHAT.map((m) => m.text),
    prose: [
      'The river rose quickly after three days of rain. Farmers moved their cattle to higher ground.',
      'The town council met to discuss the flood. The council voted to open the school as a shelter.',
      'By Friday the river had fallen and farmers returned to their fields.',
      'Привет, как дела? 我们明天开会。',
    ],
    single: ['Only one sentence here.'],
    disconnected: ['Apples are red.', 'Quantum tunnelling is weird.', 'Boats float on water.'],
  };

  for (const [name, texts] of Object.entries(fixtures)) {
    for (const priorKind of ['features', 'uniform'] as const) {
      it(`${name} (${priorKind} prior): scores and similarity match within 1e-4`, async () => {
        const input = rankInputFor(texts, priorKind);
        const ref = rankReference(input);
        const got = await ranker.rank(input, true);
        expect(got.scores.length).toBe(input.n);
        for (let i = 0; i < input.n; i++) expect(Math.abs(got.scores[i] - ref.scores[i])).toBeLessThan(1e-4);
        for (let i = 0; i < input.n * input.n; i++) {
          expect(Math.abs(got.similarity![i] - ref.similarity[i])).toBeLessThan(1e-4);
        }
        const total = Array.from(got.scores).reduce((a, b) => a + b, 0);
        expect(total).toBeCloseTo(1, 4);
      });
    }
  }
});

describe('summarize-extractive on chat transcripts', () => {
  let summarizer: Summarizer;
  beforeAll(async () => {
    summarizer = await createSummarizer({ device: 'cpu', logger: silentEngineLogger });
  });
  afterAll(() => summarizer.release());

  it('launch chat: keeps the decision and the blocker', async () => {
    const r = await summarizer.summarize(LAUNCH_CHAT, { maxSentences: 3, ratio: 0.3 });
    expect(r.text).toContain('Alice: Decision: we launch v2 on Friday at 10:00');
    expect(r.sentences.some((s) => /payment (bug|fix)/.test(s.text))).toBe(true);
    expect(r.text).not.toMatch(/lol|sounds good|^Bob: ok$/m);
  });

  it('trip chat: keeps the booking decision with its dates and price', async () => {
    const r = await summarizer.summarize(TRIP_CHAT, { maxSentences: 2, ratio: 0.3 });
    expect(r.text).toContain('we agreed: we book the lake cabin for March 14 to 16');
    expect(r.text).not.toMatch(/haha|lol|🙂/);
  });

  it('incident chat: keeps the root cause and the fix', async () => {
    const r = await summarizer.summarize(INCIDENT_CHAT, { maxSentences: 3, ratio: 0.3 });
    expect(r.text).toContain('Root cause: the deploy set the cache TTL to zero');
    expect(r.text).toMatch(/Rolled back the cache deploy|Action items/);
    expect(r.text).not.toMatch(/ugh|👍|looking/);
  });

  it('returns sentences in their original order with authors', async () => {
    const r = await summarizer.summarize(INCIDENT_CHAT, { maxSentences: 4, ratio: 0.5 });
    const idx = r.sentences.map((s) => s.sentenceIndex);
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
    for (const s of r.sentences) expect(s.author).toBe(INCIDENT_CHAT[s.messageIndex].author);
    expect(r.text.split('\n')).toHaveLength(r.sentences.length);
  });

  it('counts tokens of input and summary', async () => {
    const r = await summarizer.summarize(LAUNCH_CHAT, { maxSentences: 2 });
    expect(r.completionTokens).toBe(countTokens(r.text));
    expect(r.promptTokens).toBeGreaterThan(r.completionTokens);
  });

  it('stays within maxTokens, cutting the best sentence when nothing fits whole', async () => {
    for (const maxTokens of [8, 12, 20, 40]) {
      const r = await summarizer.summarize(INCIDENT_CHAT, { maxSentences: 5, ratio: 1, maxTokens });
      expect(r.completionTokens).toBeLessThanOrEqual(maxTokens);
      expect(r.text.length).toBeGreaterThan(0);
    }
  });

  it('reads "Name: text" lines of a plain-text transcript as messages', async () => {
    const plain = LAUNCH_CHAT.map((m) => `${m.author}: ${m.text}`).join('\n');
    const r = await summarizer.summarize(plain, { maxSentences: 3, ratio: 0.3 });
    expect(r.text).toContain('Alice: Decision: we launch v2 on Friday');
  });

  it('summarizes plain prose', async () => {
    const text =
      'The council met on Monday to discuss the flood. Rain fell for three days. ' +
      'The council voted to open the school as a flood shelter. Some residents stayed with family. ' +
      'The flood shelter at the school will stay open until the river falls.';
    const r = await summarizer.summarize(text, { maxSentences: 2 });
    expect(r.sentences.length).toBeGreaterThan(0);
    expect(r.text).toMatch(/shelter/);
  });

  it('keeps only the latest sentences of an over-long input', async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      author: 'a',
      text: `Message number ${i} about cats.`,
    }));
    const r = await summarizer.summarize(many, { maxInputSentences: 10, maxSentences: 3 });
    expect(r.truncatedInput).toBe(true);
    for (const s of r.sentences) expect(s.sentenceIndex).toBeGreaterThanOrEqual(20);
  });
});

describe('summarize-extractive never crashes on odd input', () => {
  let summarizer: Summarizer;
  beforeAll(async () => {
    summarizer = await createSummarizer({ device: 'cpu', logger: silentEngineLogger });
  });
  afterAll(() => summarizer.release());

  it('empty input gives an empty summary', async () => {
    for (const input of ['', '   \n\n ', [], [{ text: '' }], [{ author: 'x', text: '   ' }]]) {
      const r = await summarizer.summarize(input);
      expect(r).toMatchObject({ sentences: [], text: '', completionTokens: 0 });
    }
  });

  const odd: Record<string, Parameters<Summarizer['summarize']>[0]> = {
    'one word': 'ok',
    'only fillers': [{ text: 'ok' }, { text: 'lol' }, { text: 'k' }, { text: '+1' }],
    'only emoji': [
      { author: 'a', text: '🚀🔥' },
      { author: 'b', text: '😂😂😂' },
    ],
    'only links': [{ text: 'https://example.com/a?b=1' }, { text: 'see https://t.me/x and www.example.org' }],
    cyrillic: [
      { author: 'Иван', text: 'Привет! Когда встречаемся?' },
      { author: 'Оля', text: 'Давайте в пятницу в 18:00 у метро. Я возьму билеты.' },
      { author: 'Иван', text: 'Договорились, в пятницу в 18:00.' },
    ],
    cjk: [
      { author: '王', text: '我们明天开会吗？' },
      { author: '李', text: '明天下午三点开会。我会准备报告！' },
      { author: '佐藤', text: '了解しました。明日の会議に参加します。' },
      { author: '김', text: '내일 회의 좋아요' },
    ],
    mixed: [
      { author: 'a', text: 'Meeting at 3pm 🙂 https://zoom.us/j/1 — встреча в 15:00, 会议在下午三点。' },
    ],
    'punctuation soup': '... !!! ??? --- *** ;;; ((( )))',
    'weird authors': [
      { author: '', text: 'Hello there, general plan is to meet.' },
      { author: '  ', text: 'The plan is to meet at noon.' },
      { author: 'A:B', text: 'Noon works.' },
    ],
    'very long word': `${'a'.repeat(5000)} and then a normal sentence about plans.`,
    'newlines and tabs': 'line one about apples\n\n\tline two about apples and pears\r\nline three',
    'control chars': 'Hello\u0000world. Zero\u200bwidth space. Plan\u2028separator.',
  };

  for (const [name, input] of Object.entries(odd)) {
    it(`${name}: returns a summary without throwing`, async () => {
      const r = await summarizer.summarize(input, { maxSentences: 2, maxTokens: 50 });
      expect(r.completionTokens).toBeLessThanOrEqual(50);
      expect(Number.isFinite(r.promptTokens)).toBe(true);
      for (const s of r.sentences) expect(Number.isFinite(s.score)).toBe(true);
    });
  }

  it('picks the agreed time in a Russian chat', async () => {
    const r = await summarizer.summarize(odd.cyrillic, { maxSentences: 1 });
    expect(r.text).toMatch(/18:00/);
  });

  it('rejects input of the wrong shape with a validation error', async () => {
    await expect(summarizer.summarize(42 as never)).rejects.toThrow();
    await expect(summarizer.summarize([{ author: 'a' }] as never)).rejects.toThrow();
  });
});
