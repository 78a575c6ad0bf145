// The ledger's hash committed to the vault, so a database restored from an older backup (fewer commits than
// the vault saw) is caught at start instead of paying out again what was already paid.
import { createHash } from 'node:crypto';
import { vaultMessages } from '@cocoon/contracts';
import { type OnchainContext, vaultAddress, vaultData } from './context';

/**
 * Commits a hash of the ledger to the vault when it changed since the last commit: sha256 over the previous
 * hash, the number of ledger entries and the last entry's id. The vault keeps the latest and its sequence
 * number, so a database restored from an older backup (fewer commits than the vault saw) is caught at start.
 */
export async function commitLedger(ctx: OnchainContext): Promise<boolean> {
  const last = (
    await ctx.db.query<{ seq: string; hash: string; entries: string }>(
      'SELECT seq::text, hash, entries::text FROM ledger_commits ORDER BY seq DESC LIMIT 1',
    )
  ).rows[0];
  const now = (
    await ctx.db.query<{ n: string; last: string | null }>(
      'SELECT count(*)::text AS n, max(id)::text AS last FROM ledger_entries',
    )
  ).rows[0];
  if (last && last.entries === now.n) return false;
  const seq = BigInt(last?.seq ?? '0') + 1n;
  const hash = createHash('sha256')
    .update(`${last?.hash ?? ''}|${now.n}|${now.last ?? ''}`)
    .digest('hex');
  await ctx.db.query('INSERT INTO ledger_commits (seq, hash, entries) VALUES ($1, $2, $3)', [
    seq.toString(),
    hash,
    now.n,
  ]);
  const call = await ctx.chain.prepareContractCall([
    {
      to: vaultAddress(ctx),
      amountNano: 20_000_000n,
      body: vaultMessages.commit(BigInt(`0x${hash}`), seq),
    },
  ]);
  await ctx.chain.sendExternalBoc(call.boc);
  return true;
}

/** Refuses a database older than what this proxy committed to the vault (restored from an old backup). */
export async function checkNotRolledBack(ctx: OnchainContext): Promise<void> {
  const onChain = (await vaultData(ctx)).commitSeq;
  const r = await ctx.db.query<{ seq: string | null }>('SELECT max(seq)::text AS seq FROM ledger_commits');
  const here = BigInt(r.rows[0].seq ?? '0');
  if (onChain > here)
    throw new Error(
      `the database is older than the ledger committed on chain: the vault has commit ${onChain}, this database only ${here}. Restore the latest backup; starting on this one would pay out what was already paid.`,
    );
}
