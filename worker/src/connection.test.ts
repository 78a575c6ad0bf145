import { describe, expect, it } from 'vitest';
import { backoffDelay, servedModels } from './connection';
import type { Model } from './models/index';

describe('reconnect backoff', () => {
  const opts = { initialMs: 500, maxMs: 30_000 };
  it('doubles from the initial delay, is capped, and jitters within [delay/2, delay]', () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, opts, () => 1))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(0, opts, () => 0)).toBe(250);
    expect(backoffDelay(20, opts, () => 1)).toBe(30_000);
    expect(backoffDelay(10_000, opts, () => 0)).toBe(15_000);
  });
});

describe('hello models', () => {
  const base = { contextLength: 10, description: 'd', demoGrade: false, provider: 'cpu' } as const;
  const model = (m: Partial<Model>) => ({ ...base, ...m }) as Model;
  it('lists what each model accepts, and chat for generate models that can format a chat', () => {
    const models = new Map([
      ['s', model({ id: 's', kind: 'summarize', accepts: ['summarize'] })],
      ['g', model({ id: 'g', kind: 'generate', accepts: ['generate', 'summarize'], chatPrompt: () => '' })],
      ['b', model({ id: 'b', kind: 'generate', accepts: ['generate'], description: 'x'.repeat(300) })],
    ]);
    const served = servedModels(models);
    expect(served.map((m) => [m.id, m.kinds])).toEqual([
      ['s', ['summarize']],
      ['g', ['generate', 'summarize', 'chat']],
      ['b', ['generate']],
    ]);
    expect(served[2].description).toHaveLength(200);
  });
});
