import { toBase64 } from '@cocoon/shared';
import { expect, it, vi } from 'vitest';
import { fetchPolicyKey } from './client';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const served = { policy: '{"version":1}', signature: 'c2ln', publicKey: toBase64(KEY) };

it('takes the policy key this app was built with, without asking the proxy', async () => {
  const fetchFn = vi.fn<typeof fetch>();
  const got = await fetchPolicyKey('https://proxy.test', toBase64(KEY), fetchFn);
  expect(got).toEqual({ key: KEY, source: 'build' });
  expect(fetchFn).not.toHaveBeenCalled();
});

it('else takes the key from the policy the proxy serves at /v1/attestation/policy', async () => {
  const fetchFn = vi.fn<typeof fetch>(async () => Response.json(served));
  const got = await fetchPolicyKey('https://proxy.test', undefined, fetchFn);
  expect(got).toEqual({ key: KEY, source: 'proxy' });
  expect(fetchFn).toHaveBeenCalledWith('https://proxy.test/v1/attestation/policy');
});

it('refuses with attestation_not_configured when there is no usable key', async () => {
  const none = vi.fn<typeof fetch>(async () => new Response('not found', { status: 404 }));
  await expect(fetchPolicyKey('https://proxy.test', undefined, none)).rejects.toMatchObject({
    name: 'ApiError',
    code: 'attestation_not_configured',
    message: expect.stringContaining('HTTP 404'),
  });
  await expect(fetchPolicyKey('https://proxy.test', toBase64(KEY.slice(0, 16)))).rejects.toMatchObject({
    code: 'attestation_not_configured',
  });
  const junk = vi.fn<typeof fetch>(async () => Response.json({ hello: 1 }));
  await expect(fetchPolicyKey('https://proxy.test', undefined, junk)).rejects.toMatchObject({
    code: 'attestation_not_configured',
  });
});
