// @cocoon/bench: the benchmark suites `npm run bench` (scripts/bench.ts) runs. Each suite loads its module
// only when it runs, so importing this entry stays cheap (the Mini App's size test imports measureDist).
export {
  DCAP_VERIFIER_MARKER,
  initialScripts,
  measureDist,
  verifierChunks,
} from './miniapp';
export { type BenchResult, type BenchRow, printBenchResults } from './result';

export const benchEngine = async () => (await import('./engine')).benchEngine();
export const benchWorker = async () => (await import('./worker')).benchWorker();
export const benchMiniappSize = async () => (await import('./miniapp')).benchMiniappSize();
export const benchAudits = async () => (await import('./audits')).benchAudits();
export const benchCheckable = async () => (await import('./checkable')).benchCheckable();
export const benchAttestation = async () => (await import('./attestation')).benchAttestation();
export const benchProxy = async () => (await import('./proxy')).benchProxy();
export const benchSummaries = async () => (await import('./summaries/recall')).benchSummaries();
export const benchOnchain = async () => (await import('./onchain')).benchOnchain();
export const benchWorkerFlood = async () => (await import('./worker-flood')).benchWorkerFlood();
export const benchQueue = async () => (await import('./queue')).benchQueue();
