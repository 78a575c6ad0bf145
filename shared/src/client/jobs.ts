// The job routes one at a time; `runJob` (run-job.ts) is the whole private path built on them.
import { API_ROUTES as CONTRACT } from '../contract/api';
import type { QuoteRequest } from '../contract/jobs';
import { pathFor, type ResponseOf } from '../contract/route';
import type { ClientHttp } from './http';
import { jobEvents, type Submission } from './job-events';

export function jobMethods(http: ClientHttp) {
  const { call, request } = http;
  return {
    quote: (
      q: Omit<QuoteRequest, 'maxPriceNanoPer1k'> & { maxPriceNanoPer1k?: bigint },
      signal?: AbortSignal,
    ) => call(CONTRACT.quote, { body: { ...q, maxPriceNanoPer1k: q.maxPriceNanoPer1k?.toString() }, signal }),
    submit: (s: Submission, signal?: AbortSignal) =>
      request<ResponseOf<typeof CONTRACT.submitJob>>('POST', pathFor(CONTRACT.submitJob), s, signal),
    job: (id: string) => call(CONTRACT.job, { params: { id } }),
    /** Cancels a job waiting in the queue: its hold goes back at once (409 `job_running` once a rig has it). */
    cancelJob: (id: string) => call(CONTRACT.cancelJob, { params: { id } }),
    jobEvents: (jobId: string, signal?: AbortSignal) => jobEvents(http, jobId, signal),
  };
}
