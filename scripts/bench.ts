// `npm run bench`: every benchmark in one run, each figure next to a baseline measured in the same run
// (the machine is shared and noisy, so ratios mean more than absolute times). Prints a table and writes
// .bench/results.json. Every loop is bounded; all traffic stays on 127.0.0.1.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import {
  type BenchResult,
  type BenchRow,
  benchAttestation,
  benchAudits,
  benchCheckable,
  benchEngine,
  benchMiniappSize,
  benchOnchain,
  benchProxy,
  benchQueue,
  benchSummaries,
  benchWorker,
  benchWorkerFlood,
  printBenchResults,
} from '@cocoon/bench';

type Suite = { name: string; run: () => Promise<BenchResult[]> };

const suites: Suite[] = [
  { name: 'worker', run: benchWorker },
  { name: 'engine', run: benchEngine },
  { name: 'summaries', run: benchSummaries },
  { name: 'checkable', run: benchCheckable },
  { name: 'audits', run: benchAudits },
  { name: 'attestation', run: benchAttestation },
  { name: 'miniapp', run: benchMiniappSize },
  { name: 'proxy', run: benchProxy },
  { name: 'queue', run: benchQueue },
  { name: 'onchain', run: benchOnchain },
  { name: 'worker-flood', run: benchWorkerFlood },
];
const only = process.argv.slice(2);

const rows: BenchRow[] = [];
const errors: Record<string, string> = {};
// A suite may change the process's environment (vite's build sets NODE_ENV=production): each starts from
// the environment the bench was started with, so the proxy suite's child proxy isn't a production one.
const startEnv = { ...process.env };
for (const suite of suites) {
  if (only.length && !only.includes(suite.name)) continue;
  for (const k of Object.keys(process.env)) if (!(k in startEnv)) delete process.env[k];
  Object.assign(process.env, startEnv);
  console.error(`running ${suite.name}…`);
  try {
    for (const r of await suite.run()) rows.push({ suite: suite.name, ...r });
  } catch (err) {
    errors[suite.name] = (err as Error).message;
    console.error(`${suite.name} failed: ${(err as Error).message}`);
  }
}

printBenchResults(rows);
mkdirSync('.bench', { recursive: true });
writeFileSync(
  '.bench/results.json',
  `${JSON.stringify({ at: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version }, rows, errors }, null, 2)}\n`,
);
console.log('\nwrote .bench/results.json');
process.exit(Object.keys(errors).length ? 1 : 0);
