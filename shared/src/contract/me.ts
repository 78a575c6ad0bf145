// The caller's own account: balance, ledger history, jobs, API keys.
import { z } from 'zod';
import { nanoString, signedNanoString, uuid } from '../schemas/common';
import { jobView } from './jobs';
import { getRoute, isoTime, listOf, route } from './route';

export const meView = z.strictObject({
  telegramId: z.string(),
  name: z.string(),
  /** What the user can spend on jobs: withdrawableNano + trialNano. */
  balanceNano: nanoString,
  /** The user's own money (deposits, earnings paid from others' own money): can be withdrawn. */
  withdrawableNano: nanoString,
  /** Trial credit, and earnings paid from others' trial credit: spendable on jobs, never withdrawable. */
  trialNano: nanoString,
  heldNano: nanoString,
  /**
   * For a user whose jobs are paid from their on-chain account: what it has for jobs now (the ledger's mirror
   * of the contract, docs/on-chain-accounts.md); null for everyone else. `balanceNano` stays the custodial side.
   */
  onchainNano: nanoString.nullable().optional(),
  /**
   * Credit bought with Telegram Stars and not yet spent: spendable on jobs, never withdrawable, not in
   * `balanceNano` (absent from older proxies).
   */
  starsNano: nanoString.optional(),
  /**
   * What a charge Telegram reversed after its credit was spent still owes; while above 0 new jobs are refused
   * (402 `stars_receivable`) and the next Stars purchase settles it first (absent from older proxies).
   */
  receivableNano: nanoString.optional(),
  depositMemo: z.string(),
  /** Where withdrawals go. */
  wallet: z.string().nullable(),
  /** A wallet change waiting out its cooling-off period, and when it takes effect (ISO). */
  pendingWallet: z.string().nullable(),
  pendingWalletAt: isoTime.nullable(),
});
export type MeView = z.infer<typeof meView>;

export const ledgerEntryView = z.strictObject({
  txId: z.string(),
  kind: z.string(),
  /** An entry of the trial-credit account (spendable on jobs only). */
  trial: z.boolean(),
  /** An entry of the Stars credit account (bought with Telegram Stars, spendable on jobs only; absent from older proxies). */
  stars: z.boolean().optional(),
  amountNano: signedNanoString,
  memo: z.string().nullable(),
  createdAt: isoTime,
});
export type LedgerEntryView = z.infer<typeof ledgerEntryView>;

export const createApiKeyRequest = z.object({ name: z.string().trim().min(1).max(64) });

export const apiKeyView = z.strictObject({
  id: uuid,
  name: z.string(),
  prefix: z.string(),
  createdAt: isoTime,
});
export type ApiKeyView = z.infer<typeof apiKeyView>;

export const meRoutes = {
  me: getRoute('/v1/me', meView),
  ledger: getRoute('/v1/me/ledger', listOf('entries', ledgerEntryView)),
  myJobs: getRoute('/v1/me/jobs', listOf('jobs', jobView)),
  apiKeys: getRoute('/v1/me/api-keys', listOf('keys', apiKeyView)),
  /** The key is shown this once. */
  createApiKey: route({
    method: 'POST',
    path: '/v1/me/api-keys',
    request: { body: createApiKeyRequest },
    response: z.strictObject({ id: uuid, name: z.string(), key: z.string(), prefix: z.string() }),
    status: [201],
  }),
  revokeApiKey: route({
    method: 'DELETE',
    path: '/v1/me/api-keys/:id',
    request: { params: z.object({ id: z.string().uuid() }) },
    response: z.strictObject({ ok: z.literal(true) }),
  }),
} as const;
