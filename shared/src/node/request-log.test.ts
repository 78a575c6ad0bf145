// The request log line: method, path without the query (API keys or ids in a query stay out of logs), status, ms.
import { describe, expect, it } from 'vitest';
import { logRequestAtDebug } from './request-log';

describe('logRequestAtDebug', () => {
  it('logs one debug line with the path, never the query', async () => {
    const lines: Array<[object, string]> = [];
    const log = { debug: (fields: object, message: string) => void lines.push([fields, message]) };
    await logRequestAtDebug(
      { method: 'GET', url: '/v1/jobs/7?token=secret', log },
      { statusCode: 404, elapsedTime: 12.6 },
    );
    expect(lines).toEqual([[{ method: 'GET', url: '/v1/jobs/7', status: 404, ms: 13 }, 'request']]);
  });
});
