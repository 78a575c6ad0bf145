// The caller's own account, as the `me` routes show it: balances, holds, the wallet, ledger history and API
// keys. It gathers what the ledger, the on-chain payer, the wallet binding and the users own, so that the
// routes call one module.
import { randomUUID } from 'node:crypto';
import { activeApiKeys, insertApiKey, revokeApiKey as revokeKey } from '../auth/repository';
import { hashSecret, newApiKey } from '../auth/tokens';
import type { Queryable } from '../db';
import { notFound } from '../errors';
import {
  balanceOf,
  heldFor,
  onchainAccount,
  starsAccount,
  trialAccount,
  userAccount,
  userBalances,
} from '../ledger/ledger';
import { entriesOf } from '../ledger/repository';
import { payerFor } from '../onchain-accounts/payer';
import { starsOwedBy } from '../stars/receivable';
import { findUser } from '../users-repository';
import { walletState } from '../wallet/wallet-binding';

/** The balance: the bot's /balance reads it too. The user row exists (authentication made it). */
export async function accountSummary(db: Queryable, userId: string) {
  const user = (await findUser(db, userId))!;
  const balances = await userBalances(db, user.id);
  const wallet = await walletState(db, user.id);
  return {
    telegramId: user.id,
    name: user.name,
    balanceNano: (balances.withdrawable + balances.trial).toString(),
    withdrawableNano: balances.withdrawable.toString(),
    trialNano: balances.trial.toString(),
    heldNano: (await heldFor(db, user.id)).toString(),
    onchainNano: (await payerFor(db, user.id)).onchain
      ? (await balanceOf(db, onchainAccount(user.id))).toString()
      : null,
    starsNano: (await balanceOf(db, starsAccount(user.id))).toString(),
    receivableNano: (await starsOwedBy(db, user.id)).toString(),
    depositMemo: user.deposit_memo,
    wallet: wallet.wallet,
    pendingWallet: wallet.pendingWallet,
    pendingWalletAt: wallet.pendingWalletAt?.toISOString() ?? null,
  };
}

/** The newest 200 entries on the user's withdrawable, trial and Stars credit accounts. */
export async function ledgerHistory(db: Queryable, userId: string) {
  const rows = await entriesOf(db, [userAccount(userId), trialAccount(userId), starsAccount(userId)], 200);
  return {
    entries: rows.map((e) => ({
      txId: e.tx_id,
      kind: e.kind,
      trial: e.account_id === trialAccount(userId),
      stars: e.account_id === starsAccount(userId),
      amountNano: e.amount,
      memo: e.ref,
      createdAt: new Date(e.created_at).toISOString(),
    })),
  };
}

export async function listApiKeys(db: Queryable, userId: string) {
  return {
    keys: (await activeApiKeys(db, userId)).map((k) => ({
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      createdAt: new Date(k.created_at).toISOString(),
    })),
  };
}

/** A new API key, shown once: only its hash and prefix are stored. */
export async function createApiKey(db: Queryable, userId: string, name: string) {
  const key = newApiKey();
  const id = randomUUID();
  await insertApiKey(db, { id, userId, name, prefix: key.slice(0, 10), keyHash: hashSecret(key) });
  return { id, name, key, prefix: key.slice(0, 10) };
}

export async function revokeApiKey(db: Queryable, userId: string, id: string) {
  if (!(await revokeKey(db, userId, id))) throw notFound('no such API key');
  return { ok: true as const };
}
