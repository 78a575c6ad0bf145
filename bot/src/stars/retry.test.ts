import { ApiError } from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import { DeadlineError, isRetryable, withDeadline, withRetries } from './retry';

const noSleep = async () => {};

describe('withRetries', () => {
  it('tries again after network errors and 5xx, then succeeds', async () => {
    let n = 0;
    const waits: number[] = [];
    const out = await withRetries(
      async () => {
        n++;
        if (n === 1) throw new TypeError('fetch failed');
        if (n === 2) throw new ApiError(503, 'unavailable', 'down');
        return 'ok';
      },
      { attempts: 5, firstDelayMs: 100, sleep: async (ms) => void waits.push(ms) },
    );
    expect(out).toBe('ok');
    expect(n).toBe(3);
    expect(waits).toEqual([100, 200]);
  });

  it('stops after the bound and throws the last error', async () => {
    let n = 0;
    await expect(
      withRetries(
        async () => {
          n++;
          throw new ApiError(502, 'bad_gateway', `try ${n}`);
        },
        { attempts: 3, firstDelayMs: 1, sleep: noSleep },
      ),
    ).rejects.toThrow('try 3');
    expect(n).toBe(3);
  });

  it("never repeats a request the proxy refused (4xx): the answer wouldn't change", async () => {
    let n = 0;
    await expect(
      withRetries(
        async () => {
          n++;
          throw new ApiError(409, 'payload_mismatch', 'no');
        },
        { attempts: 5, firstDelayMs: 1, sleep: noSleep },
      ),
    ).rejects.toThrow('no');
    expect(n).toBe(1);
    expect(isRetryable(new ApiError(429, 'rate', 'slow down'))).toBe(true);
  });
});

describe('withDeadline', () => {
  it('rejects with a DeadlineError when the work is slower than the deadline', async () => {
    const never = new Promise<string>(() => {});
    await expect(withDeadline(never, 10)).rejects.toBeInstanceOf(DeadlineError);
    await expect(withDeadline(Promise.resolve('fast'), 1000)).resolves.toBe('fast');
  });
});
