// The proxy's metrics for Prometheus (GET /metrics, ADMIN_KEY; docs/metrics.md lists the series). One
// registry per proxy, never prom-client's global one, so several proxies in one process (tests) don't mix.
// Gauges are read from the database at scrape time, so every proxy sharing one PostgreSQL reports the same
// cluster-wide values; each query is bounded (open rows, or rows finished in the last hour, on an index).
// The latency histograms are observed here when this proxy settles a job: sum them across proxies.
import { trustTier } from '@cocoon/shared';
import { Gauge, Histogram, Registry } from 'prom-client';
import { STANDINGS, standingSql } from './bonds/bonds';
import type { Config } from './config';
import { CHAIN_FEES } from './custodial/store';
import type { Queryable } from './db';
import { SYSTEM } from './ledger/ledger';

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

export function createProxyMetrics(db: Queryable, config: MetricsConfig): ProxyMetrics {
  const registry = new Registry();

  const jobs = new Gauge({
    name: 'cocoon_jobs',
    help: `Jobs in flight by state (${OPEN_JOB_STATES.join(', ')}) and model; queued is the queue depth.`,
    labelNames: ['state', 'model'] as const,
    registers: [registry],
    async collect() {
      const r = await db.query<{ state: string; model: string; n: string }>(
        `SELECT state, model, count(*)::text AS n FROM jobs WHERE state = ANY($1::text[]) GROUP BY state, model`,
        [[...OPEN_JOB_STATES]],
      );
      // The models online rigs serve are always present (0 when none), so an empty queue reads 0, not nothing.
      const served = await db.query<{ model: string }>(
        `SELECT DISTINCT rm.model FROM rig_models rm JOIN rigs r ON r.id = rm.rig_id
         WHERE rm.served AND r.connected_to IS NOT NULL AND r.revoked_at IS NULL`,
      );
      jobs.reset();
      for (const { model } of served.rows) for (const state of OPEN_JOB_STATES) jobs.set({ state, model }, 0);
      for (const row of r.rows) jobs.set({ state: row.state, model: row.model }, Number(row.n));
    },
  });

  const finished = new Gauge({
    name: 'cocoon_jobs_finished_last_hour',
    help: 'Jobs that finished in the last hour, by final state (done, failed, expired) and model.',
    labelNames: ['state', 'model'] as const,
    registers: [registry],
    async collect() {
      const r = await db.query<{ state: string; model: string; n: string }>(
        `SELECT state, model, count(*)::text AS n FROM jobs
         WHERE finished_at IS NOT NULL AND finished_at > now() - interval '1 hour' GROUP BY state, model`,
      );
      finished.reset();
      for (const row of r.rows) finished.set({ state: row.state, model: row.model }, Number(row.n));
    },
  });

  const rigs = new Gauge({
    name: 'cocoon_rigs_online',
    help: `Rigs connected now (not revoked), by standing (${STANDINGS.join(', ')}) and trust tier (${TRUST_TIERS.join(', ')}); paused ones included.`,
    labelNames: ['standing', 'tier'] as const,
    registers: [registry],
    async collect() {
      const r = await db.query<{ standing: string; tier: string; n: string }>(
        `SELECT s.standing, s.tier, count(*)::text AS n FROM (
           SELECT ${standingSql(config)} AS standing, r.trust_tier AS tier FROM rigs r
           WHERE r.connected_to IS NOT NULL AND r.revoked_at IS NULL) s
         GROUP BY s.standing, s.tier`,
      );
      rigs.reset();
      // Every standing and tier is always present (0 when none), so a dashboard's sum never has a hole.
      for (const tier of TRUST_TIERS) for (const standing of STANDINGS) rigs.set({ standing, tier }, 0);
      for (const row of r.rows) rigs.set({ standing: row.standing, tier: row.tier }, Number(row.n));
    },
  });

  const watcherLag = new Gauge({
    name: 'cocoon_chain_watcher_lag_seconds',
    help:
      'Seconds since the deposit watcher last finished a scan of the service wallet (it saves its cursor on every ' +
      'scan): a growing value means deposits are not being credited. −1 until its first scan.',
    registers: [registry],
    async collect() {
      const r = await db.query<{ s: string | null }>(
        `SELECT extract(epoch FROM now() - updated_at)::text AS s FROM ton_watcher_cursor WHERE id = 'service-wallet'`,
      );
      const s = r.rows[0]?.s;
      watcherLag.set(s == null ? -1 : Math.max(0, Number(s)));
    },
  });

  const auditsOpen = new Gauge({
    name: 'cocoon_audits_open',
    help: 'Audits sent to an auditor rig and not decided yet.',
    registers: [registry],
    async collect() {
      const r = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM audits WHERE state = 'sent'`);
      auditsOpen.set(Number(r.rows[0].n));
    },
  });

  const auditsDecided = new Gauge({
    name: 'cocoon_audits_decided_last_hour',
    help: 'Audits decided in the last hour, by outcome (pass, fail, unable, expired).',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const r = await db.query<{ state: string; n: string }>(
        `SELECT state, count(*)::text AS n FROM audits
         WHERE decided_at IS NOT NULL AND decided_at > now() - interval '1 hour' GROUP BY state`,
      );
      auditsDecided.reset();
      for (const state of ['pass', 'fail', 'unable', 'expired']) auditsDecided.set({ state }, 0);
      for (const row of r.rows) auditsDecided.set({ state: row.state }, Number(row.n));
    },
  });

  const withdrawals = new Gauge({
    name: 'cocoon_withdrawals_open',
    help: 'TON withdrawals not final yet, by status (pending: queued, sent: waiting for the chain).',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const r = await db.query<{ status: string; n: string }>(
        `SELECT status, count(*)::text AS n FROM ton_withdrawals WHERE status = ANY($1::text[]) GROUP BY status`,
        [[...OPEN_WITHDRAWAL_STATES]],
      );
      withdrawals.reset();
      for (const status of OPEN_WITHDRAWAL_STATES) withdrawals.set({ status }, 0);
      for (const row of r.rows) withdrawals.set({ status: row.status }, Number(row.n));
    },
  });

  const withdrawalsNano = new Gauge({
    name: 'cocoon_withdrawals_open_nanoton',
    help: 'Amount of the TON withdrawals not final yet, by status, in nanoTON (a float: exact below 2^53).',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const r = await db.query<{ status: string; s: string }>(
        `SELECT status, sum(amount_nano)::text AS s FROM ton_withdrawals WHERE status = ANY($1::text[])
         GROUP BY status`,
        [[...OPEN_WITHDRAWAL_STATES]],
      );
      withdrawalsNano.reset();
      for (const status of OPEN_WITHDRAWAL_STATES) withdrawalsNano.set({ status }, 0);
      for (const row of r.rows) withdrawalsNano.set({ status: row.status }, Number(row.s));
    },
  });

  const ledger = new Gauge({
    name: 'cocoon_ledger_system_balance_nanoton',
    help:
      'Balance of each system account of the ledger (deposits, withdrawals, fees, trial, unclaimed, network and ' +
      'chain fees), in nanoTON as a float: exact below 2^53 nanoTON (about 9 million TON), rounded above. ' +
      'Divide by 1e9 for TON. System accounts may go negative (deposits, trial).',
    labelNames: ['account'] as const,
    registers: [registry],
    async collect() {
      const r = await db.query<{ id: string; balance: string }>(
        'SELECT id, balance::text AS balance FROM accounts WHERE id = ANY($1::text[])',
        [[...SYSTEM_ACCOUNTS]],
      );
      ledger.reset();
      const balances = new Map(r.rows.map((row) => [row.id, row.balance]));
      for (const id of SYSTEM_ACCOUNTS) {
        ledger.set({ account: id.slice('system:'.length) }, Number(balances.get(id) ?? '0'));
      }
    },
  });

  const total = new Histogram({
    name: 'cocoon_job_seconds',
    help: 'Jobs settled by this proxy: seconds from the quote to settlement (waiting, failovers and the run).',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const run = new Histogram({
    name: 'cocoon_job_run_seconds',
    help: 'Jobs settled by this proxy: seconds from dispatch to the rig that ran it to settlement.',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  const overhead = new Histogram({
    name: 'cocoon_job_overhead_seconds',
    help:
      'Jobs settled by this proxy: what the network added to the rig that ran it, in seconds: from the quote to ' +
      'its dispatch there (sealing, queueing for a slot, failovers) plus the settlement.',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  return {
    registry,
    jobSettled(job) {
      total.observe({ model: job.model }, Math.max(0, job.totalMs) / 1000);
      run.observe({ model: job.model }, Math.max(0, job.runMs) / 1000);
      overhead.observe({ model: job.model }, Math.max(0, job.totalMs - job.runMs) / 1000);
    },
  };
}
