import { afterAll, describe, expect, it } from 'vitest';
import { lexrankTop, stopLexrankThread } from './lexrank-thread';
import { methodSummaries } from './methods';

const nativeMap = Array.prototype.map;
const text = [
  'We agreed to meet on Friday at noon.',
  'Bo will bring the map and the tent.',
  'The weather should be fine on Friday.',
  'Cy asked who brings the food.',
  'Ann will bring the food for everyone on Friday.',
].join('\n');

describe('lexrank in its own thread', () => {
  afterAll(() => stopLexrankThread());

  it("summarizes with lexrank's own lines", async () => {
    const top = await lexrankTop(text, 2);
    expect(top).toHaveLength(2);
    for (const line of top) expect(text).toContain(line.text.trim());
  });

  // Regression: sugar (loaded by lexrank) replaced Array.prototype.map in this process, and its map returned
  // undefined elements for an async callback: transformers.js's model loading then failed in later suites.
  it("leaves this process's Array.prototype.map native, async callbacks included", async () => {
    const chat = text.split('\n').map((line, i) => ({ author: ['ann', 'bo', 'cy'][i % 3], text: line }));
    const fakeSummarizer = {
      summarizeChat: async () => ({ text: '' }),
      summarize: async () => ({ text: '' }),
    } as unknown as Parameters<typeof methodSummaries>[0];
    const summaries = await methodSummaries(fakeSummarizer, chat, text);
    expect(summaries.lexrank).not.toBe('');
    expect(Array.prototype.map).toBe(nativeMap);
    const mapped = ['model'].map(async (name) => [name, 1] as const);
    expect(Object.fromEntries(await Promise.all(mapped))).toEqual({ model: 1 });
  });
});
