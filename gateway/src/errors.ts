// Errors in OpenAI's shape: { error: { message, type, code, param } }, from the proxy's answers and ours.
import { ApiError } from '@cocoon/shared';
import { InvalidRequest } from './mapping';

export interface OpenAiError {
  status: number;
  body: { error: { message: string; type: string; code: string | null; param: string | null } };
  /** Whether an OpenAI SDK should retry by itself (sent as `x-should-retry`). */
  retry: boolean;
}

function make(
  status: number,
  type: string,
  code: string | null,
  message: string,
  param: string | null = null,
  retry = false,
): OpenAiError {
  return { status, body: { error: { message, type, code, param } }, retry };
}

export function invalidRequest(message: string, param: string | null = null, code = 'invalid_request') {
  return make(400, 'invalid_request_error', code, message, param);
}

export function modelNotFound(model: string): OpenAiError {
  return make(
    404,
    'invalid_request_error',
    'model_not_found',
    `the model "${model}" is not served by any online rig; GET /v1/models lists the models you can use`,
    'model',
  );
}

/** A streamed job moved to another rig mid-stream and that rig's text differs from what was sent. */
export function midStreamDivergence(jobId: string): OpenAiError {
  return make(
    502,
    'api_error',
    'stream_diverged',
    `job ${jobId} moved to another rig mid-stream and that rig's text differs from what was already ` +
      'streamed, so this stream can not be completed; retry, or ask without stream for the whole text at once',
  );
}

/**
 * Maps anything a request handler threw. `modelKnown` answers whether a model is listed by the proxy; it
 * turns the proxy's 503 no_capacity for a model nobody serves into OpenAI's 404 model_not_found.
 */
export async function toOpenAiError(
  err: unknown,
  ctx: { model?: string; modelKnown?: (model: string) => Promise<boolean> } = {},
): Promise<OpenAiError> {
  if (err instanceof InvalidRequest) return invalidRequest(err.message, err.param);
  if (!(err instanceof ApiError)) {
    return make(
      502,
      'api_error',
      'proxy_unreachable',
      'the Cocoon proxy could not be reached or answered something unreadable',
      null,
      true,
    );
  }
  switch (err.code) {
    case 'insufficient_funds':
      return make(402, 'insufficient_quota', 'insufficient_funds', err.message);
    case 'price_too_high':
      return make(503, 'service_unavailable', 'price_too_high', err.message, 'max_price');
    case 'no_capacity': {
      if (ctx.model && ctx.modelKnown && !(await ctx.modelKnown(ctx.model).catch(() => true))) {
        return modelNotFound(ctx.model);
      }
      return make(503, 'service_unavailable', 'no_capacity', err.message, null, true);
    }
    case 'timeout':
      return make(504, 'timeout', 'timeout', 'the job did not finish within the timeout', 'timeout');
    // The queue (the proxy's jobs/queue.ts): every rig busy and no room, or no wait asked for, or a wait
    // that passed its deadline. Each is worth a retry later.
    case 'queue_cap':
      return make(429, 'rate_limit_error', 'queue_cap', err.message, null, true);
    case 'queue_full':
    case 'no_free_rig':
      return make(503, 'service_unavailable', err.code, err.message, 'cocoon_max_wait', true);
    case 'job_failed':
      if (/wait deadline/.test(err.message))
        return make(503, 'service_unavailable', 'queue_timeout', err.message, 'cocoon_max_wait', true);
      return make(502, 'api_error', 'job_failed', `the job failed on every candidate rig: ${err.message}`);
    case 'stream_ended':
      return make(502, 'api_error', 'stream_ended', err.message, null, true);
    // The confidential tier. A request for it that this gateway can't check is the operator's to fix.
    case 'attestation_not_configured':
      return make(
        400,
        'invalid_request_error',
        'attestation_not_configured',
        'cocoon_min_trust "tdx" needs the network operator\'s attestation policy key: start the gateway with ' +
          '--attestation-policy-key (or ATTESTATION_POLICY_KEY) set to it, or ask without cocoon_min_trust',
        'cocoon_min_trust',
      );
    // No rig is in the tier right now: capacity, which comes and goes like no_capacity, so retryable.
    case 'no_confidential_capacity':
      return make(503, 'service_unavailable', 'no_confidential_capacity', err.message, null, true);
    // Rigs were quoted as TDX but their evidence failed this gateway's own check. A 503 (the request may work
    // later, with other rigs or fresh evidence) but not retryable: an SDK's retries within seconds would get
    // the same rigs and the same evidence, and each try fetches and verifies quotes again.
    case 'no_verified_rig':
      return make(503, 'service_unavailable', 'no_verified_rig', err.message);
    // The proxy served a policy that the operator's key does not open (or one we can't read): the proxy or
    // the configured key is wrong, which retrying does not fix.
    // Or one older than a policy this gateway accepted before, or one past its maximum age (a replay of an
    // old, possibly laxer policy, or an operator who has not re-signed it): retrying doesn't fix those either.
    case 'policy_rejected':
    case 'policy_rolled_back':
    case 'policy_expired':
      return make(
        502,
        'api_error',
        err.code,
        `the attestation policy the proxy serves was rejected: ${err.message}`,
      );
    // On-chain accounts: the proxy runs one unsigned job per user at most, and this gateway signs each job's
    // voucher itself when it has the spend key. Neither is fixed by retrying.
    case 'voucher_due':
      return make(
        409,
        'invalid_request_error',
        'voucher_due',
        `a previous job paid from your on-chain account has no signed voucher yet (${err.message}); ` +
          'start this gateway with the spend key your account authorized (--spend-key-file or ' +
          'COCOON_SPEND_KEY) so it signs each job, or sign the due voucher where the job ran (the Mini App)',
      );
    case 'voucher_refused':
      return make(
        502,
        'api_error',
        'voucher_refused',
        `this gateway refused to sign what the proxy asked for the job (${err.message}); nothing was signed. ` +
          'If the proxy asks for more than the job cost or for a different total than this gateway signed ' +
          '(its voucher store), compare GET /v1/me/onchain with the store before you use the account again',
      );
  }
  if (err.status === 401) return make(401, 'authentication_error', 'invalid_api_key', err.message);
  if (err.status === 403) return make(403, 'permission_error', err.code, err.message);
  if (err.status === 400)
    return invalidRequest(`the proxy refused the request: ${err.message}`, null, err.code);
  if (err.status >= 400 && err.status < 500)
    return make(err.status, 'invalid_request_error', err.code, err.message);
  return make(502, 'api_error', err.code, `the proxy failed: ${err.message}`, null, true);
}
