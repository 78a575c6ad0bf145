import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentEngineLogger } from '../../engine/logger';
import { type ChatSummary, type ChatSummaryMessage, maxLinesFor, summarizeChatWith } from './chat-summary';
import { cuesOf, isAck } from './cues';
import { rankReference } from './rank-reference';
import { createSummarizer, type Summarizer } from './summarize';

const OUTAGE: ChatSummaryMessage[] = [
  { id: 1, author: 'oncall', text: 'Checkout is returning 500s since 14:05, error rate 38%' },
  { id: 2, author: 'lee', text: 'looking' },
  { id: 3, author: 'lee', text: 'Errors started right after the 14:00 deploy of the cache service' },
  { id: 4, author: 'sam', text: 'is the database ok?' },
  { id: 5, author: 'oncall', text: 'db latency normal', replyTo: 4 },
  {
    id: 6,
    author: 'lee',
    text: 'root cause: the deploy set the cache TTL to zero, every request hits pricing and it falls over. postmortem tomorrow 11am',
  },
  { id: 7, author: 'sam', text: 'ugh' },
  { id: 8, author: 'lee', text: 'rolled back the cache deploy at 14:40, errors are gone' },
  { id: 9, author: 'sam', text: '👍', replyTo: 8 },
];

const MEETING: ChatSummaryMessage[] = [
  { id: 11, author: 'Priya', text: 'We need a planning meeting for Q3 this week' },
  { id: 12, author: 'Mark', text: 'Wednesday is packed for me' },
  { id: 13, author: 'Jon', text: 'Thursday morning?' },
  { id: 14, author: 'Priya', text: 'Thursday 10am, room 4B, bring your roadmap drafts' },
  { id: 15, author: 'Mark', text: 'ok', replyTo: 14 },
  { id: 16, author: 'Jon', text: 'lol' },
  { id: 17, author: 'Mark', text: 'haha nice weather today' },
];

const TRIP: ChatSummaryMessage[] = [
  { author: 'Anna', text: 'Hiking this month? I was thinking the 7th or the 14th' },
  { author: 'Ben', text: '7th I am at my sister’s wedding' },
  { author: 'Chloe', text: '14th works for me' },
  { author: 'Anna', text: 'What about the Saturday after, the 21st?' },
  { author: 'Ben', text: '21st is supposed to rain all day' },
  { author: 'Chloe', text: 'The first train to the lake leaves at 7am, next one at 9:40' },
  { author: 'Ben', text: '9:40 is too late, we would be back in the dark' },
  { author: 'Anna', text: 'so: 14th, 7am train, meet at the central station under the clock' },
  { author: 'Ben', text: '👍' },
  { author: 'Chloe', text: 'I’ll bring the map and snacks' },
  { author: 'Ben', text: 'lol' },
  { author: 'Anna', text: 'hi all' },
  { author: 'Chloe', text: 'haha' },
  { author: 'Ben', text: 'the 21st sounds nice too honestly' },
  { author: 'Anna', text: 'ok' },
];

/** Every line is text of the chat: each " … "-joined piece occurs in the message of that author. */
function expectExtractive(r: ChatSummary, messages: readonly ChatSummaryMessage[]) {
  for (const u of r.units) {
    const source = messages[u.messageIndex];
    const body = source.text.replace(/\s+/g, ' ');
    for (const piece of u.text.split(/\s…(?:\s|$)/).filter(Boolean)) expect(body).toContain(piece.trim());
    if (u.author) expect(source.author?.trim()).toBe(u.author);
  }
  for (const line of r.text.split('\n').filter(Boolean)) {
    const hit = messages.some((m) =>
      line
        .replace(/^[^:]+: /, '')
        .split(/\s…(?:\s|$)/)
        .filter(Boolean)
        .every((p) => m.text.replace(/\s+/g, ' ').includes(p.trim())),
    );
    expect(hit).toBe(true);
  }
}

describe('chat summarizer', () => {
  let summarizer: Summarizer;
  beforeAll(async () => {
    summarizer = await createSummarizer({ device: 'cpu', logger: silentEngineLogger });
  });
  afterAll(() => summarizer.release());

  it('outage: keeps the whole root-cause message (with its postmortem time) and the rollback', async () => {
    const r = await summarizer.summarizeChat(OUTAGE);
    expect(r.text).toContain('postmortem tomorrow 11am');
    expect(r.text).toContain('root cause: the deploy set the cache TTL to zero');
    expect(r.text).toMatch(/rolled back the cache deploy/);
    expect(r.text).not.toMatch(/^sam: (ugh|👍)$/m);
    expectExtractive(r, OUTAGE);
  });

  it('meeting: keeps "Thursday 10am, room 4B" and carries the message id', async () => {
    const r = await summarizer.summarizeChat(MEETING);
    const line = r.units.find((u) => u.text.includes('room 4B'));
    expect(line).toMatchObject({ author: 'Priya', messageId: 14 });
    expect(r.text).not.toMatch(/lol|haha/);
  });

  it('a message that restates the plan beats the ones it restates; lines in chat order', async () => {
    const r = await summarizer.summarizeChat(TRIP);
    expect(r.text).toContain('so: 14th, 7am train, meet at the central station under the clock');
    // The restating message scores above every message whose facts it repeats.
    const plan = r.units.find((u) => u.text.startsWith('so: 14th'));
    for (const u of r.units) if (u !== plan) expect(plan!.score).toBeGreaterThan(u.score);
    const idx = r.units.map((u) => u.messageIndex);
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
    expect(r.units.length).toBeGreaterThanOrEqual(3);
    expect(r.units.length).toBeLessThanOrEqual(5);
    expectExtractive(r, TRIP);
  });

  it('acks ("ok", "👍", "да") are not lines of their own', async () => {
    const r = await summarizer.summarizeChat(MEETING);
    for (const u of r.units) expect(isAck(u.text)).toBe(false);
    expect(['ok', '👍', 'да', 'Sounds good!', '+1', 'ок)']).toSatisfy((xs: string[]) => xs.every(isAck));
    expect(isAck('ok, but not on Friday')).toBe(false);
  });

  it('budget grows gently with the chat: 15 messages 3–5 lines, 500 messages 8–12', async () => {
    expect(maxLinesFor(15)).toBeGreaterThanOrEqual(3);
    expect(maxLinesFor(15)).toBeLessThanOrEqual(5);
    expect(maxLinesFor(500)).toBeGreaterThanOrEqual(8);
    expect(maxLinesFor(500)).toBeLessThanOrEqual(12);
    const big: ChatSummaryMessage[] = Array.from({ length: 500 }, (_, i) => ({
      id: i + 1,
      author: `u${i % 9}`,
      text:
        i % 25 === 0
          ? `Decision ${i}: we ship module ${i} on day ${(i % 28) + 1} at ${(i % 12) + 1}pm in room ${i}`
          : `random chatter number ${i % 37} about nothing ${i % 11}`,
    }));
    const r = await summarizer.summarizeChat(big);
    expect(r.units.length).toBeGreaterThanOrEqual(8);
    expect(r.units.length).toBeLessThanOrEqual(12);
    expectExtractive(r, big);
  });

  it('English and Russian cue words, numbers and times', () => {
    expect([...cuesOf('Давайте в пятницу в 18:00 у метро')]).toEqual(
      expect.arrayContaining(['decision', 'date', 'time', 'place']),
    );
    expect([...cuesOf('Я возьму билеты, 1500 руб')]).toEqual(
      expect.arrayContaining(['commitment', 'amount']),
    );
    expect([...cuesOf('I’ll send the offer by Wednesday https://x.io')]).toEqual(
      expect.arrayContaining(['commitment', 'date', 'link']),
    );
    expect([...cuesOf('Итого: суббота, 9 утра')]).toEqual(
      expect.arrayContaining(['restate', 'date', 'time']),
    );
  });

  it('a mixed English/Russian chat keeps the agreed time', async () => {
    const r = await summarizer.summarizeChat([
      { author: 'Sergey', text: 'Всем привет, короткий стендап' },
      { author: 'Kate', text: 'I finished the login page' },
      { author: 'Sergey', text: 'У меня блокер: staging упал' },
      { author: 'Nikolai', text: 'Я починю staging сам, там кончилось место на диске' },
      { author: 'Sergey', text: 'Итого: Николай чинит staging до 15:00, релиз в среду' },
      { author: 'Kate', text: 'лол' },
    ]);
    expect(r.text).toContain('Итого: Николай чинит staging до 15:00, релиз в среду');
  });

  it('picks the same units from ONNX float32 scores as from the float64 reference', async () => {
    const ref = await summarizeChatWith(async (input) => rankReference(input).scores, TRIP);
    const onnx = await summarizer.summarizeChat(TRIP);
    expect(onnx.units).toEqual(ref.units);
    expect(onnx.text).toBe(ref.text);
  });

  it('summarizes 1,000 messages in well under a second (CPU)', async () => {
    const chat: ChatSummaryMessage[] = Array.from({ length: 1000 }, (_, i) => ({
      id: i + 1,
      author: `u${i % 7}`,
      text: `message ${i} about the ${['deploy', 'trip', 'budget', 'cabin', 'meeting'][i % 5]} on ${['Monday', 'Friday'][i % 2]} at ${i % 12}pm with ${i * 3} dollars`,
    }));
    await summarizer.summarizeChat(chat.slice(0, 50)); // warm-up
    const t0 = performance.now();
    const r = await summarizer.summarizeChat(chat);
    const ms = performance.now() - t0;
    expect(r.units.length).toBeGreaterThan(0);
    // ~300 ms here on a shared 2-core machine; the bound leaves room for a busy CI runner.
    expect(ms).toBeLessThan(2500);
  });
});

describe('chat summarizer on bad input', () => {
  let summarizer: Summarizer;
  beforeAll(async () => {
    summarizer = await createSummarizer({ device: 'cpu', logger: silentEngineLogger });
  });
  afterAll(() => summarizer.release());

  it('empty history and media-only messages give an empty summary, not a crash', async () => {
    for (const input of [[], [{ text: '' }], [{ author: 'a', text: '   ' }], '']) {
      const r = await summarizer.summarizeChat(input);
      expect(r).toMatchObject({ units: [], text: '', completionTokens: 0 });
    }
  });

  it('only stickers and emoji: a short summary of what there is, never a crash', async () => {
    const r = await summarizer.summarizeChat([
      { author: 'a', text: '🚀🔥' },
      { author: 'b', text: '😂😂😂' },
    ]);
    expect(r.units.length).toBeLessThanOrEqual(1);
  });

  it('one enormous message: lines of whole sentences, cut with an ellipsis, within the token budget', async () => {
    const sentence = 'The migration moves every table to the new cluster on Saturday at 02:00 UTC. ';
    const huge = `${sentence.repeat(1500)}${'x'.repeat(50_000)}`;
    const r = await summarizer.summarizeChat([{ id: 5, author: 'ops', text: huge }], { maxTokens: 300 });
    expect(r.units.length).toBeGreaterThan(0);
    expect(r.completionTokens).toBeLessThanOrEqual(300);
    for (const u of r.units) expect(u.messageId).toBe(5);
  });

  it('5,000 one-word messages: a summary in bounded time', async () => {
    const words = ['ok', 'lol', 'yes', 'no', 'maybe', 'deploy', 'friday', 'cabin', 'да', 'нет'];
    const chat = Array.from({ length: 5000 }, (_, i) => ({
      id: i + 1,
      author: `u${i % 13}`,
      text: words[i % 10],
    }));
    const t0 = performance.now();
    const r = await summarizer.summarizeChat(chat);
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(r.messageCount).toBe(5000);
    expectExtractive(r, chat);
  });

  it('right-to-left text, code blocks and edited messages are quoted as written', async () => {
    const chat: ChatSummaryMessage[] = [
      { id: 1, author: 'דנה', text: 'נפגשים ביום שישי בשעה 10:00 בתחנה המרכזית' },
      { id: 2, author: 'عمر', text: 'سنلتقي يوم الجمعة الساعة 10:00 في المحطة' },
      {
        id: 3,
        author: 'dev',
        text: 'Fix is:\n```\nconst ttl = Math.max(60, config.ttl);\n```\nlet’s ship it Friday 3pm',
      },
      // An edit: the history holds the edited text only, with the original id.
      { id: 4, author: 'dev', text: 'edited: the release moved to Monday 9am' },
    ];
    const r = await summarizer.summarizeChat(chat);
    expect(r.units.length).toBeGreaterThan(0);
    expectExtractive(r, chat);
    expect(r.text).toContain('moved to Monday 9am');
  });

  it('rejects input of the wrong shape', async () => {
    await expect(summarizer.summarizeChat(42 as never)).rejects.toThrow();
    await expect(summarizer.summarizeChat([{ author: 'a' }] as never)).rejects.toThrow();
    await expect(summarizer.summarizeChat([{ text: 'x', id: -1 }] as never)).rejects.toThrow();
  });
});
