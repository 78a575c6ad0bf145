import { describe, expect, it } from 'vitest';
import { createTrustSettings, memoryTrustBackend, type TrustBackend } from './trust';

describe("each chat's trust tier", () => {
  it('is open until set, is read from where it is kept, and survives a new settings object (a restart)', async () => {
    const backend = memoryTrustBackend();
    const s = createTrustSettings(backend, 2);
    expect(await s.get(1)).toBe('open');
    await s.set(1, 'tdx');
    await s.set(2, 'tdx');
    await s.set(3, 'tdx');
    expect(s.size).toBe(2); // the cache is bounded; the settings are not lost
    const afterRestart = createTrustSettings(backend, 2);
    expect([await afterRestart.get(1), await afterRestart.get(2), await afterRestart.get(3)]).toEqual([
      'tdx',
      'tdx',
      'tdx',
    ]);
    await afterRestart.set(1, 'open');
    expect(await createTrustSettings(backend).get(1)).toBe('open');
  });

  it('fails when the setting cannot be read, rather than answering open', async () => {
    const down: TrustBackend = {
      read: async () => {
        throw new Error('proxy unreachable');
      },
      write: async () => {},
    };
    await expect(createTrustSettings(down).get(7)).rejects.toThrow(/unreachable/);
  });
});
