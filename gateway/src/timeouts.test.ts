// The gateway is bounded like the proxy (issue 26, item 8): a request body dripped slowly has its connection
// closed at the request deadline instead of holding it for good.
import { dripBody } from '@cocoon/shared/testing/slow-drip';
import { expect, it } from 'vitest';
import { startClientGateway } from './gateway';

it('a request body dripped slowly has its connection closed', async () => {
  const gateway = await startClientGateway({
    proxyUrl: 'http://127.0.0.1:9',
    apiKey: 'ck_1234567890',
    port: 0,
    timeouts: { requestMs: 1000, headersMs: 1000 },
  });
  try {
    const answer = await dripBody(gateway.url, '/v1/chat/completions', { authorization: 'Bearer x' });
    expect(answer).toMatch(/408|^$/);
  } finally {
    await gateway.close();
  }
});
