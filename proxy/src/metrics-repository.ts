// The SQL behind the metrics' gauges (metrics.ts), read at scrape time. Each query is bounded: open rows, or
// rows finished in the last hour, on an index. Every function takes a Queryable.
import { standingSql } from './bonds/repository';
import type { Config } from './config';
import type { Queryable } from './db';

type Count = { n: string };

/** Jobs in `states`, by state and model. */
export async function jobCounts(q: Queryable, states: readonly string[]) {
  const r = await q.query<{ state: string; model: string } & Count>(
    `SELECT state, model, count(*)::text AS n FROM jobs WHERE state = ANY($1::text[]) GROUP BY state, model`,
    [[...states]],
  );
  return r.rows;
}

/** The models online rigs serve. */
export async function servedModelNames(q: Queryable): Promise<string[]> {
  const r = await q.query<{ model: string }>(
    `SELECT DISTINCT rm.model FROM rig_models rm JOIN rigs r ON r.id = rm.rig_id
     WHERE rm.served AND r.connected_to IS NOT NULL AND r.revoked_at IS NULL`,
  );
  return r.rows.map((row) => row.model);
}

/** Jobs finished in the last hour, by final state and model. */
export async function jobsFinishedLastHour(q: Queryable) {
  const r = await q.query<{ state: string; model: string } & Count>(
    `SELECT state, model, count(*)::text AS n FROM jobs
     WHERE finished_at IS NOT NULL AND finished_at > now() - interval '1 hour' GROUP BY state, model`,
  );
  return r.rows;
}

/** Rigs connected now (not revoked), by standing (bonds/bonds.ts) and trust tier. */
export async function onlineRigCounts(
  q: Queryable,
  rules: Pick<Config, 'AUDIT_PROBATION_JOBS' | 'BOND_NANO' | 'OPERATOR_OWNER_IDS'>,
) {
  const r = await q.query<{ standing: string; tier: string } & Count>(
    `SELECT s.standing, s.tier, count(*)::text AS n FROM (
       SELECT ${standingSql(rules)} AS standing, r.trust_tier AS tier FROM rigs r
       WHERE r.connected_to IS NOT NULL AND r.revoked_at IS NULL) s
     GROUP BY s.standing, s.tier`,
  );
  return r.rows;
}

/** Seconds since the deposit watcher last saved its cursor; null before its first scan. */
export async function watcherCursorAgeS(q: Queryable): Promise<number | null> {
  const r = await q.query<{ s: string | null }>(
    `SELECT extract(epoch FROM now() - updated_at)::text AS s FROM ton_watcher_cursor WHERE id = 'service-wallet'`,
  );
  const s = r.rows[0]?.s;
  return s == null ? null : Number(s);
}

/** Audits sent to an auditor and not decided yet. */
export async function openAuditCount(q: Queryable): Promise<number> {
  const r = await q.query<Count>(`SELECT count(*)::text AS n FROM audits WHERE state = 'sent'`);
  return Number(r.rows[0].n);
}

/** Audits decided in the last hour, by outcome. */
export async function auditsDecidedLastHour(q: Queryable) {
  const r = await q.query<{ state: string } & Count>(
    `SELECT state, count(*)::text AS n FROM audits
     WHERE decided_at IS NOT NULL AND decided_at > now() - interval '1 hour' GROUP BY state`,
  );
  return r.rows;
}

/** TON withdrawals in `statuses`: how many and their sum in nanoTON, by status. */
export async function withdrawalTotals(q: Queryable, statuses: readonly string[]) {
  const r = await q.query<{ status: string; n: string; s: string }>(
    `SELECT status, count(*)::text AS n, sum(amount_nano)::text AS s FROM ton_withdrawals
     WHERE status = ANY($1::text[]) GROUP BY status`,
    [[...statuses]],
  );
  return r.rows;
}
