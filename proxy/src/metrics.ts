// The proxy's metrics for Prometheus (GET /metrics, ADMIN_KEY; docs/metrics.md lists the series). One
// registry per proxy, never prom-client's global one, so several proxies in one process (tests) don't mix.
// Gauges are read from the database at scrape time, so every proxy sharing one PostgreSQL reports the same
// cluster-wide values; each query is bounded (open rows, or rows finished in the last hour, on an index).
// The latency histograms are observed here when this proxy settles a job: sum them across proxies.
import { trustTier } from '@cocoon/shared';
import { Gauge, Histogram, Registry } from 'prom-client';
import { STANDINGS } from './bonds/bonds';
import type { Config } from './config';
import { CHAIN_FEES } from './custodial/store';
import type { Queryable } from './db';
import { SYSTEM } from './ledger/ledger';
import { balancesOf } from './ledger/repository';
import {
  auditsDecidedLastHour,
  jobCounts,
  jobsFinishedLastHour,
  onlineRigCounts,
  openAuditCount,
  servedModelNames,
  watcherCursorAgeS,
  withdrawalTotals,
} from './metrics-repository';

const TRUST_TIERS = trustTier.options;

/** Job states still in flight, counted whole (the rest are counted over the last hour). */
export const OPEN_JOB_STATES = ['quoted', 'queued', 'running'] as const;
/** Withdrawal states not yet final. */
export const OPEN_WITHDRAWAL_STATES = ['pending', 'sent'] as const;
/** The ledger's system accounts (money the operator holds, owes or earned). */
export const SYSTEM_ACCOUNTS: readonly string[] = [...Object.values(SYSTEM), CHAIN_FEES];

/** Seconds: from a few ms (test-echo) to the longest job a lease allows. */
const LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export interface SettledJob {
  model: string;
  /** From the job's creation (quote) to its settlement. */
  totalMs: number;
  /** From its dispatch to the rig that ran it (the last attempt) to its settlement. */
  runMs: number;
}

export interface ProxyMetrics {
  readonly registry: Registry;
  /** Called by the job service once it settled a job. */
  jobSettled(job: SettledJob): void;
}

type MetricsConfig = Pick<Config, 'AUDIT_PROBATION_JOBS' | 'BOND_NANO' | 'OPERATOR_OWNER_IDS'>;

/** Sets each open withdrawal status's value (0 when none), so a dashboard's sum never has a hole. */
function setByStatus<R extends { status: string }>(
  gauge: Gauge<'status'>,
  rows: R[],
  value: (row: R) => string,
): void {
  gauge.reset();
  for (const status of OPEN_WITHDRAWAL_STATES) gauge.set({ status }, 0);
  for (const row of rows) gauge.set({ status: row.status }, Number(value(row)));
}

export function createProxyMetrics(db: Queryable, config: MetricsConfig): ProxyMetrics {
  const registry = new Registry();
  registerJobGauges(registry, db);
  registerRigGauges(registry, db, config);
  registerWatcherGauge(registry, db);
  registerAuditGauges(registry, db);
  registerMoneyGauges(registry, db);
  return { registry, jobSettled: latencyHistograms(registry) };
}

/** Jobs in flight and finished in the last hour. */
function registerJobGauges(registry: Registry, db: Queryable): void {
  const jobs = new Gauge({
    name: 'cocoon_jobs',
    help: `Jobs in flight by state (${OPEN_JOB_STATES.join(', ')}) and model; queued is the queue depth.`,
    labelNames: ['state', 'model'] as const,
    registers: [registry],
    async collect() {
      const rows = await jobCounts(db, OPEN_JOB_STATES);
      // The models online rigs serve are always present (0 when none), so an empty queue reads 0, not nothing.
      const served = await servedModelNames(db);
      jobs.reset();
      for (const model of served) for (const state of OPEN_JOB_STATES) jobs.set({ state, model }, 0);
      for (const row of rows) jobs.set({ state: row.state, model: row.model }, Number(row.n));
    },
  });

  const finished = new Gauge({
    name: 'cocoon_jobs_finished_last_hour',
    help: 'Jobs that finished in the last hour, by final state (done, failed, expired) and model.',
    labelNames: ['state', 'model'] as const,
    registers: [registry],
    async collect() {
      finished.reset();
      for (const row of await jobsFinishedLastHour(db))
        finished.set({ state: row.state, model: row.model }, Number(row.n));
    },
  });
}

/** Rigs online by standing and tier. */
function registerRigGauges(registry: Registry, db: Queryable, config: MetricsConfig): void {
  const rigs = new Gauge({
    name: 'cocoon_rigs_online',
    help: `Rigs connected now (not revoked), by standing (${STANDINGS.join(', ')}) and trust tier (${TRUST_TIERS.join(', ')}); paused ones included.`,
    labelNames: ['standing', 'tier'] as const,
    registers: [registry],
    async collect() {
      const rows = await onlineRigCounts(db, config);
      rigs.reset();
      // Every standing and tier is always present (0 when none), so a dashboard's sum never has a hole.
      for (const tier of TRUST_TIERS) for (const standing of STANDINGS) rigs.set({ standing, tier }, 0);
      for (const row of rows) rigs.set({ standing: row.standing, tier: row.tier }, Number(row.n));
    },
  });
}

/** How far behind the deposit watcher is. */
function registerWatcherGauge(registry: Registry, db: Queryable): void {
  const watcherLag = new Gauge({
    name: 'cocoon_chain_watcher_lag_seconds',
    help:
      'Seconds since the deposit watcher last finished a scan of the service wallet (it saves its cursor on every ' +
      'scan): a growing value means deposits are not being credited. −1 until its first scan.',
    registers: [registry],
    async collect() {
      const s = await watcherCursorAgeS(db);
      watcherLag.set(s === null ? -1 : Math.max(0, s));
    },
  });
}

/** Audits open and decided in the last hour. */
function registerAuditGauges(registry: Registry, db: Queryable): void {
  const auditsOpen = new Gauge({
    name: 'cocoon_audits_open',
    help: 'Audits sent to an auditor rig and not decided yet.',
    registers: [registry],
    async collect() {
      auditsOpen.set(await openAuditCount(db));
    },
  });

  const auditsDecided = new Gauge({
    name: 'cocoon_audits_decided_last_hour',
    help: 'Audits decided in the last hour, by outcome (pass, fail, unable, expired).',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const rows = await auditsDecidedLastHour(db);
      auditsDecided.reset();
      for (const state of ['pass', 'fail', 'unable', 'expired']) auditsDecided.set({ state }, 0);
      for (const row of rows) auditsDecided.set({ state: row.state }, Number(row.n));
    },
  });
}

/** Withdrawals not final yet, and the ledger's system accounts. */
function registerMoneyGauges(registry: Registry, db: Queryable): void {
  // Two gauges over the same open withdrawals, by status: how many (n) and how much (s).
  const openWithdrawals = (name: string, help: string, column: 'n' | 's') => {
    const gauge = new Gauge({
      name,
      help,
      labelNames: ['status'] as const,
      registers: [registry],
      async collect() {
        setByStatus(gauge, await withdrawalTotals(db, OPEN_WITHDRAWAL_STATES), (row) => row[column]);
      },
    });
  };
  openWithdrawals(
    'cocoon_withdrawals_open',
    'TON withdrawals not final yet, by status (pending: queued, sent: waiting for the chain).',
    'n',
  );
  openWithdrawals(
    'cocoon_withdrawals_open_nanoton',
    'Amount of the TON withdrawals not final yet, by status, in nanoTON (a float: exact below 2^53).',
    's',
  );

  const ledger = new Gauge({
    name: 'cocoon_ledger_system_balance_nanoton',
    help:
      'Balance of each system account of the ledger (deposits, withdrawals, fees, trial, unclaimed, network and ' +
      'chain fees), in nanoTON as a float: exact below 2^53 nanoTON (about 9 million TON), rounded above. ' +
      'Divide by 1e9 for TON. System accounts may go negative (deposits, trial).',
    labelNames: ['account'] as const,
    registers: [registry],
    async collect() {
      const balances = await balancesOf(db, [...SYSTEM_ACCOUNTS]);
      ledger.reset();
      for (const id of SYSTEM_ACCOUNTS) {
        ledger.set({ account: id.slice('system:'.length) }, Number(balances.get(id) ?? 0n));
      }
    },
  });
}

/** The latency histograms, and what observes a settled job in them. */
function latencyHistograms(registry: Registry): ProxyMetrics['jobSettled'] {
  // Seconds per job, by model, in the same buckets.
  const byModel = (name: string, help: string) =>
    new Histogram({
      name,
      help,
      labelNames: ['model'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
  const total = byModel(
    'cocoon_job_seconds',
    'Jobs settled by this proxy: seconds from the quote to settlement (waiting, failovers and the run).',
  );
  const run = byModel(
    'cocoon_job_run_seconds',
    'Jobs settled by this proxy: seconds from dispatch to the rig that ran it to settlement.',
  );
  const overhead = byModel(
    'cocoon_job_overhead_seconds',
    'Jobs settled by this proxy: what the network added to the rig that ran it, in seconds: from the quote to ' +
      'its dispatch there (sealing, queueing for a slot, failovers) plus the settlement.',
  );

  return (job) => {
    total.observe({ model: job.model }, Math.max(0, job.totalMs) / 1000);
    run.observe({ model: job.model }, Math.max(0, job.runMs) / 1000);
    overhead.observe({ model: job.model }, Math.max(0, job.totalMs - job.runMs) / 1000);
  };
}
