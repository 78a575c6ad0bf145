// @cocoon/proxy/testing: what tests and harnesses in other packages use to run a proxy and play its rigs.
export { openTestDb, resetDb, startTestProxy, testConfig, userAuth, userClient } from './harness';
export {
  promptTokensOf,
  startTestWorker,
  type TestWorker,
  type TestWorkerBehaviour,
  type TestWorkerOptions,
  testModelOutput,
  words,
} from './test-worker';
