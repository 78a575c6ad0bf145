import { describe, expect, it } from 'vitest';
import { createTrustSettings } from './trust';

describe("each chat's trust tier", () => {
  it('is open until set, and keeps at most `max` tdx chats, dropping the least recently used', () => {
    const s = createTrustSettings(2);
    expect(s.get(1)).toBe('open');
    s.set(1, 'tdx');
    s.set(2, 'tdx');
    expect(s.get(1)).toBe('tdx'); // 1 is now the most recently used
    s.set(3, 'tdx');
    expect([s.get(1), s.get(2), s.get(3)]).toEqual(['tdx', 'open', 'tdx']);
    expect(s.size).toBe(2);
    s.set(1, 'open');
    expect(s.get(1)).toBe('open');
    expect(s.size).toBe(1);
  });
});
