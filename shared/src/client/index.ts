// The typed client for the proxy's HTTP API, used by the bot, the Mini App and the developer gateway.
// One file of methods per contract file (me.ts, rigs.ts, ton.ts, ...), each built on the client's one HTTP
// layer (http.ts); `runJob` (run-job.ts) is the whole private path: quote, seal in this process, submit,
// stream, open the result here. A new contract file's routes get a new `...Methods` file, spread in below.
import type { ClientAttestationOptions } from '../attestation/client-check';
import type { SpendKeyOptions } from '../onchain/voucher-signer';
import { adminMethods } from './admin';
import { chatHistoryMethods } from './chat-history';
import { type ClientAuth, createClientHttp } from './http';
import { jobMethods } from './jobs';
import { meMethods } from './me';
import { onchainMethods } from './onchain';
import { publicMethods } from './public';
import { rigMethods } from './rigs';
import { createJobRunner } from './run-job';
import { starsMethods } from './stars';
import { tonMethods } from './ton';

export { ApiError, type ClientAuth } from './http';
export {
  inputTokenBound,
  type RunJobOptions,
  type RunJobResult,
  seededBody,
  withSealableKeys,
} from './run-job';
export type { WithdrawRequest } from './ton';

export function createCocoonClient(opts: {
  baseUrl: string;
  auth: ClientAuth;
  fetch?: typeof fetch;
  /** For `minTrust: 'tdx'` jobs: the operator's policy key, and optionally a verifier and a PCCS. */
  attestation?: ClientAttestationOptions;
  /**
   * For a user whose jobs are paid from their on-chain account: the spend key that signs each job's voucher
   * once its result is in (shared/src/onchain/voucher-signer.ts). Without it the next job waits (409
   * `voucher_due`) until the voucher is signed elsewhere.
   */
  spendKey?: SpendKeyOptions;
}) {
  const http = createClientHttp(opts);
  const jobs = jobMethods(http);
  return {
    ...publicMethods(http),
    ...meMethods(http),
    ...jobs,
    ...rigMethods(http),
    ...tonMethods(http),
    ...onchainMethods(http),
    ...starsMethods(http),
    ...chatHistoryMethods(http),
    ...adminMethods(http),
    call: http.call,
    request: http.request,
    /** A route's body as text: the CSV exports (RIG_JOBS_CSV_PATH, PAYOUTS_CSV_PATH). */
    text: http.text,
    runJob: createJobRunner(http, jobs, opts),
  };
}

export type CocoonClient = ReturnType<typeof createCocoonClient>;
