import { describe, expect, it } from 'vitest';
import { seededBody } from './client';
import type { JobBody } from './schemas/envelope';

const seedOf = (b: JobBody) => (b.kind === 'summarize' ? undefined : b.seed);

describe('seededBody', () => {
  it('gives a generate or chat job without a seed a random 53-bit one, and keeps a chosen seed', () => {
    const gen: JobBody = { kind: 'generate', prompt: 'p', maxTokens: 5 };
    const seeds = new Set(Array.from({ length: 50 }, () => seedOf(seededBody(gen))));
    expect(seeds.size).toBe(50);
    for (const s of seeds) expect(Number.isSafeInteger(s) && (s as number) >= 0).toBe(true);
    expect(seededBody({ ...gen, seed: 7 })).toEqual({ ...gen, seed: 7 });
    const chat: JobBody = { kind: 'chat', messages: [{ role: 'user', content: 'hi' }], maxTokens: 5 };
    expect(seedOf(seededBody(chat))).toBeTypeOf('number');
  });

  it('leaves a summarize job alone (the summarizer draws nothing)', () => {
    const sum: JobBody = { kind: 'summarize', messages: [{ text: 'a' }], maxTokens: 5 };
    expect(seededBody(sum)).toBe(sum);
  });
});
