import { describe, expect, it } from 'vitest';
import { historyKey, openMessage, sealMessage } from './seal';

describe('history sealing', () => {
  const key = historyKey('a-secret-of-at-least-thirty-two-characters');

  it('round-trips and hides the text', () => {
    const sealed = sealMessage(key, -100123, 42, { author: 'Alice', text: 'meet at the canary café' });
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('canary');
    expect(openMessage(key, -100123, 42, sealed)).toEqual({
      author: 'Alice',
      text: 'meet at the canary café',
    });
    expect(sealMessage(key, -100123, 42, { author: 'A', text: 'x' })).not.toBe(
      sealMessage(key, -100123, 42, { author: 'A', text: 'x' }),
    );
  });

  it('refuses another key, another chat or another message id', () => {
    const sealed = sealMessage(key, 1, 2, { author: 'A', text: 'hello' });
    expect(() =>
      openMessage(historyKey('another-secret-of-at-least-thirty-two-chars'), 1, 2, sealed),
    ).toThrow();
    expect(() => openMessage(key, 9, 2, sealed)).toThrow();
    expect(() => openMessage(key, 1, 3, sealed)).toThrow();
  });
});
