// The ledger's hash committed to the vault, so a database restored from an older backup (fewer commits than
// the vault saw) is caught at start instead of paying out again what was already paid.
import { createHash } from 'node:crypto';
import { vaultMessages } from '@cocoon/contracts';
import { type OnchainContext, vaultAddress, vaultData } from './context';
import { insertLedgerCommit, lastCommitSeq, lastLedgerCommit, ledgerEntryCount } from './repository';

/**
 * Commits a hash of the ledger to the vault when it changed since the last commit: sha256 over the previous
 * hash, the number of ledger entries and the last entry's id. The vault keeps the latest and its sequence
 * number, so a database restored from an older backup (fewer commits than the vault saw) is caught at start.
 */
export async function commitLedger(ctx: OnchainContext): Promise<boolean> {
  const last = await lastLedgerCommit(ctx.db);
  const now = await ledgerEntryCount(ctx.db);
  if (last && last.entries === now.n) return false;
  const seq = BigInt(last?.seq ?? '0') + 1n;
  const hash = createHash('sha256')
    .update(`${last?.hash ?? ''}|${now.n}|${now.last ?? ''}`)
    .digest('hex');
  await insertLedgerCommit(ctx.db, seq, hash, now.n);
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
  const r = await lastCommitSeq(ctx.db);
  const here = r;
  if (onChain > here)
    throw new Error(
      `the database is older than the ledger committed on chain: the vault has commit ${onChain}, this database only ${here}. Restore the latest backup; starting on this one would pay out what was already paid.`,
    );
}
