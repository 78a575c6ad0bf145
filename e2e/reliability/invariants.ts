// Money and job-state invariants the reliability suites check after chaos. Each check returns the list of
// problems found (empty when healthy), so a failing test prints every broken rule at once.

import { ledgerTotals, type Queryable } from '@cocoon/proxy';
import { chargeFor } from '@cocoon/shared';

const TERMINAL = new Set(['done', 'failed', 'expired']);

/** Polls until no job is quoted, queued or running (bounded); returns how many were still open. */
export async function waitForTerminalJobs(q: Queryable, timeoutMs = 15_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (let i = 0; i < 1000; i++) {
    const r = await q.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM jobs WHERE state IN ('quoted', 'queued', 'running')",
    );
    const open = Number(r.rows[0].n);
    if (open === 0 || Date.now() > until) return open;
    await new Promise((res) => setTimeout(res, 100));
  }
  return -1;
}

export interface InvariantReport {
  problems: string[];
  jobs: { done: number; failed: number; expired: number; total: number };
}

export async function checkInvariants(q: Queryable, trialNano: bigint): Promise<InvariantReport> {
  const problems: string[] = [];
  const jobs = await q.query<{
    id: string;
    user_id: string;
    state: string;
    rig_id: string | null;
    hold_nano: string;
    cost_nano: string | null;
    rig_nano: string | null;
    fee_nano: string | null;
    price: string | null;
    fee_bps: number;
    tokens: number | null;
    holds: string;
    settles: string;
    releases: string;
    hold_balance: string | null;
  }>(
    `SELECT j.id, j.user_id, j.state, j.rig_id, j.hold_nano::text AS hold_nano, j.cost_nano::text AS cost_nano,
       j.rig_nano::text AS rig_nano, j.fee_nano::text AS fee_nano, j.price_nano_per_1k::text AS price, j.fee_bps,
       j.prompt_tokens + j.completion_tokens AS tokens,
       (SELECT count(*) FROM ledger_tx t WHERE t.ref = j.id::text AND t.kind = 'hold')::text AS holds,
       (SELECT count(*) FROM ledger_tx t WHERE t.ref = j.id::text AND t.kind = 'settle')::text AS settles,
       (SELECT count(*) FROM ledger_tx t WHERE t.ref = j.id::text AND t.kind IN ('release', 'expire'))::text AS releases,
       (SELECT a.balance::text FROM accounts a WHERE a.id = 'hold:' || j.id::text) AS hold_balance
     FROM jobs j`,
  );
  const counts = { done: 0, failed: 0, expired: 0, total: jobs.rows.length };
  let fees = 0n;
  for (const j of jobs.rows) {
    const id = j.id.slice(0, 8);
    if (!TERMINAL.has(j.state)) {
      problems.push(`job ${id} is still ${j.state}`);
      continue;
    }
    counts[j.state as 'done' | 'failed' | 'expired']++;
    if (j.holds !== '1') problems.push(`job ${id} has ${j.holds} hold txs`);
    const want = j.state === 'done' ? { settles: '1', releases: '0' } : { settles: '0', releases: '1' };
    if (j.settles !== want.settles || j.releases !== want.releases)
      problems.push(`${j.state} job ${id} has ${j.settles} settle and ${j.releases} release txs`);
    if (BigInt(j.hold_balance ?? '0') !== 0n) problems.push(`job ${id} still holds ${j.hold_balance}`);
    if (j.state === 'done') {
      const charge = chargeFor(j.tokens ?? -1, BigInt(j.price ?? -1), j.fee_bps);
      if (BigInt(j.cost_nano ?? -1) !== charge.totalNano || BigInt(j.rig_nano ?? -1) !== charge.rigNano)
        problems.push(`job ${id} charged ${j.cost_nano} (rig ${j.rig_nano}); expected ${charge.totalNano}`);
      if (charge.totalNano > BigInt(j.hold_nano)) problems.push(`job ${id} charged above its hold`);
      fees += BigInt(j.fee_nano ?? 0);
    }
  }

  const totals = await ledgerTotals(q);
  if (totals.entries !== 0n || totals.balances !== 0n)
    problems.push(`ledger does not sum to zero: entries ${totals.entries}, balances ${totals.balances}`);
  const negative = await q.query<{ id: string; balance: string }>(
    `SELECT id, balance::text AS balance FROM accounts
     WHERE (id LIKE 'user:%' OR id LIKE 'trial:%' OR id LIKE 'hold:%') AND balance < 0`,
  );
  for (const a of negative.rows) problems.push(`account ${a.id} is negative: ${a.balance}`);
  const fee = await q.query<{ b: string | null }>(
    "SELECT balance::text AS b FROM accounts WHERE id = 'system:fees'",
  );
  if (BigInt(fee.rows[0]?.b ?? '0') !== fees)
    problems.push(`fees account ${fee.rows[0]?.b} != sum of fees ${fees}`);

  // Every user (withdrawable and trial credit together): trial − what their done jobs cost + what their rigs
  // earned.
  const users = await q.query<{ id: string; balance: string; spent: string; earned: string }>(
    `SELECT u.id,
       coalesce((SELECT sum(a.balance) FROM accounts a WHERE a.id IN ('user:' || u.id, 'trial:' || u.id)), 0)::text
         AS balance,
       coalesce((SELECT sum(j.cost_nano) FROM jobs j WHERE j.user_id = u.id AND j.state = 'done'), 0)::text AS spent,
       coalesce((SELECT sum(j.rig_nano) FROM jobs j JOIN rigs r ON r.id = j.rig_id
                 WHERE r.owner_id = u.id AND j.state = 'done'), 0)::text AS earned
     FROM users u`,
  );
  for (const u of users.rows) {
    const want = trialNano - BigInt(u.spent) + BigInt(u.earned);
    if (BigInt(u.balance) !== want)
      problems.push(
        `user ${u.id}: balance ${u.balance}, expected ${want} (spent ${u.spent}, earned ${u.earned})`,
      );
  }
  return { problems, jobs: counts };
}
