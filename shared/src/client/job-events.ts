// A job's server-sent events: from the submit's own response, from GET /v1/jobs/:id/events, and the two
// joined into a stream that survives a proxy restart.
import { API_ROUTES as CONTRACT } from '../contract/api';
import type { JobEvent } from '../contract/jobs';
import { pathFor } from '../contract/route';
import type { HttpResponse } from '../transport';
import { ApiError, type ClientHttp } from './http';

/** A sealed job as submitted (POST /v1/jobs). */
export type Submission = { quoteId: string; envelope: unknown; idempotencyKey: string; maxWaitMs?: number };

/** How many times a broken job stream is reopened before the client gives up (about a minute of tries). */
const RESUME_TRIES = 30;

/** Reads server-sent job events from a response until `done` or `failed`. */
async function* eventsOf(http: ClientHttp, res: HttpResponse): AsyncGenerator<JobEvent> {
  if (!res.ok) throw await http.failure(res);
  let buf = '';
  let ended = false;
  try {
    for await (const piece of res.chunks()) {
      buf += piece;
      let idx = buf.indexOf('\n\n');
      while (idx >= 0) {
        const frame = buf.slice(0, idx);
        buf = buf.slice(idx + 2);
        const data = frame
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (data) {
          const event = JSON.parse(data) as JobEvent;
          // The proxy ends the stream right after an end event: keep the connection for reuse.
          ended = event.type === 'done' || event.type === 'failed';
          yield event;
          if (ended) return;
        }
        idx = buf.indexOf('\n\n');
      }
    }
  } finally {
    if (ended) res.release();
    else res.cancel();
  }
}

/** Streams a job's server-sent events until `done` or `failed`. */
export async function* jobEvents(
  http: ClientHttp,
  jobId: string,
  signal?: AbortSignal,
): AsyncGenerator<JobEvent> {
  yield* eventsOf(
    http,
    await http.send({
      method: 'GET',
      url: `${http.base}${pathFor(CONTRACT.jobEvents, { id: jobId })}`,
      headers: http.headers(),
      signal,
    }),
  );
}

/** Submits a sealed job and streams its events from the same response (one request, not two). */
async function* submitAndStream(
  http: ClientHttp,
  s: Submission,
  signal?: AbortSignal,
): AsyncGenerator<JobEvent> {
  const res = await http.send({
    method: 'POST',
    url: `${http.base}${pathFor(CONTRACT.submitJob)}`,
    headers: http.headers({ 'content-type': 'application/json', accept: 'text/event-stream' }),
    body: JSON.stringify(s),
    signal,
  });
  if (!res.ok) throw await http.failure(res);
  // A proxy that answers with the job as JSON (an older one): stream from /events instead.
  if (!res.contentType.includes('text/event-stream')) {
    res.cancel();
    yield* jobEvents(http, s.quoteId, signal);
    return;
  }
  yield* eventsOf(http, res);
}

/**
 * A job's events that survive a proxy restart: while the proxy can't be reached the submit is retried with
 * the same idempotency key (a replay answers with the same job), and a stream that breaks before the job
 * ends is reopened at GET /v1/jobs/:id/events, which replays the job's state and the current attempt's
 * chunks (already-seen chunks are skipped by their seq). Bounded: RESUME_TRIES reconnections, backing off
 * to 2 s, and the job's own timeout. An API error (4xx, 5xx answered) is final.
 */
export async function* resumableEvents(
  http: ClientHttp,
  s: Submission,
  signal: AbortSignal,
): AsyncGenerator<JobEvent> {
  let accepted = false;
  for (let tries = 0; ; tries++) {
    try {
      const stream = accepted ? jobEvents(http, s.quoteId, signal) : submitAndStream(http, s, signal);
      for await (const ev of stream) {
        accepted = true;
        tries = 0;
        yield ev;
        if (ev.type === 'done' || ev.type === 'failed') return;
      }
    } catch (err) {
      if (err instanceof ApiError || signal.aborted) throw err;
    }
    if (tries >= RESUME_TRIES) {
      throw new ApiError(
        502,
        'stream_ended',
        'the job stream ended without a result and could not be resumed',
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** tries)));
  }
}
