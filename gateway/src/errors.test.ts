import { ApiError } from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import { toOpenAiError } from './errors';

describe('confidential-tier errors in OpenAI shape', () => {
  it('tells the operator to configure the policy key when the gateway has none (400, not retried)', async () => {
    const e = await toOpenAiError(new ApiError(400, 'attestation_not_configured', 'min_trust tdx needs…'));
    expect(e.status).toBe(400);
    expect(e.retry).toBe(false);
    expect(e.body.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'attestation_not_configured',
      param: 'cocoon_min_trust',
    });
    expect(e.body.error.message).toContain('ATTESTATION_POLICY_KEY');
  });

  it('answers no confidential capacity with a retryable 503 carrying the proxy message', async () => {
    const msg = 'no rig in the confidential (TDX) tier with a free slot is serving m for chat right now';
    const e = await toOpenAiError(new ApiError(503, 'no_confidential_capacity', msg));
    expect(e).toMatchObject({ status: 503, retry: true });
    expect(e.body.error).toMatchObject({ code: 'no_confidential_capacity', message: msg });
  });

  it('answers rigs that failed verification with a 503 that SDKs do not retry at once', async () => {
    const e = await toOpenAiError(new ApiError(503, 'no_verified_rig', 'rig 1: its quote is stale'));
    expect(e).toMatchObject({ status: 503, retry: false });
    expect(e.body.error).toMatchObject({ code: 'no_verified_rig', message: 'rig 1: its quote is stale' });
  });

  it('answers a policy the operator key does not open with a non-retryable 502', async () => {
    const e = await toOpenAiError(new ApiError(502, 'policy_rejected', 'bad signature'));
    expect(e).toMatchObject({ status: 502, retry: false });
    expect(e.body.error.code).toBe('policy_rejected');
    expect(e.body.error.message).toContain('bad signature');
    // A replayed older policy, or one past its age, is refused the same way with its own code.
    for (const code of ['policy_rolled_back', 'policy_expired']) {
      const old = await toOpenAiError(new ApiError(502, code, 'older than one seen'));
      expect(old).toMatchObject({ status: 502, retry: false });
      expect(old.body.error.code).toBe(code);
    }
  });
});

describe('on-chain account errors in OpenAI shape', () => {
  it('answers a due voucher with a 409 that says how to sign, not retried', async () => {
    const e = await toOpenAiError(new ApiError(409, 'voucher_due', 'job 7 waits for its voucher'));
    expect(e).toMatchObject({ status: 409, retry: false });
    expect(e.body.error).toMatchObject({ type: 'invalid_request_error', code: 'voucher_due' });
    expect(e.body.error.message).toContain('job 7 waits for its voucher');
    expect(e.body.error.message).toContain('--spend-key-file or COCOON_SPEND_KEY');
  });

  it('answers a voucher this gateway refused to sign with a non-retryable 502', async () => {
    const e = await toOpenAiError(
      new ApiError(
        409,
        'voucher_refused',
        'the voucher was not signed: the proxy asks 11 nanoTON for a job that cost 10',
      ),
    );
    expect(e).toMatchObject({ status: 502, retry: false });
    expect(e.body.error).toMatchObject({ type: 'api_error', code: 'voucher_refused' });
    expect(e.body.error.message).toContain('asks 11 nanoTON for a job that cost 10');
  });
});
