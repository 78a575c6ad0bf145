// TON payments: chain config, ton_proof payloads, wallet binding, withdrawals, and the TON Connect manifest.
import { z } from 'zod';
import { nanoAmount, nanoString } from '../schemas/common';
import { getRoute, isoTime, listOf, route } from './route';

/** TON Connect CHAIN values. */
export const TON_NETWORK = { mainnet: '-239', testnet: '-3' } as const;

export const tonNetworkName = z.enum(['sandbox', 'testnet', 'mainnet']);
export type TonNetwork = z.infer<typeof tonNetworkName>;

/** The `tonProof` item TON Connect returns, plus the account, as the Mini App posts it. */
export const tonProofRequest = z.object({
  address: z.string().min(1),
  network: z.enum([TON_NETWORK.mainnet, TON_NETWORK.testnet]),
  public_key: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/)
    .optional(),
  proof: z.object({
    timestamp: z.number().int().nonnegative(),
    domain: z.object({ lengthBytes: z.number().int().nonnegative(), value: z.string() }),
    payload: z.string().min(1).max(512),
    signature: z.string().min(1),
    state_init: z.string().min(1),
  }),
});
export type TonProofRequest = z.infer<typeof tonProofRequest>;

/** The body of POST /v1/me/wallet. */
export const bindWalletRequest = tonProofRequest.extend({
  /** A proof from the wallet bound now: the change takes effect at once instead of after the delay. */
  previousWalletProof: tonProofRequest.optional(),
});
export type BindWalletRequest = z.input<typeof bindWalletRequest>;

export const withdrawalRequest = z.object({
  amountNano: nanoAmount,
  idempotencyKey: z.string().min(1).max(128),
  /** A fresh ton_proof from the bound wallet (reconnect it): needed above WITHDRAWAL_PROOF_ABOVE_NANO. */
  tonProof: tonProofRequest.optional(),
});
export type WithdrawalRequest = z.input<typeof withdrawalRequest>;

export const tonConfig = z.strictObject({
  network: tonNetworkName,
  serviceAddress: z.string(),
  minWithdrawalNano: nanoString,
  withdrawalFeeNano: nanoString,
  /** Withdrawals above this need a fresh ton_proof from the bound wallet (`tonProof`). */
  withdrawalProofAboveNano: nanoString,
  /** How long a wallet change without the old wallet's proof waits before it takes effect, in seconds. */
  walletChangeDelayS: z.number().int().nonnegative(),
});
export type TonConfig = z.infer<typeof tonConfig>;

/** GET /v1/me/wallet, and the answer of POST /v1/me/wallet and DELETE /v1/me/wallet/pending. */
export const walletState = z.strictObject({
  /** Where withdrawals go now. */
  wallet: z.string().nullable(),
  /** A change of that wallet waiting out the cooling-off period; null when none. */
  pendingWallet: z.string().nullable(),
  /** When the pending change takes effect; null when none. */
  pendingWalletAt: isoTime.nullable(),
});
export type WalletState = z.infer<typeof walletState>;

export const withdrawalStatus = z.enum(['pending', 'sent', 'confirmed', 'failed']);
export type WithdrawalStatus = z.infer<typeof withdrawalStatus>;

export const withdrawalView = z.strictObject({
  id: z.string(),
  amountNano: nanoString,
  feeNano: nanoString,
  toAddress: z.string(),
  status: withdrawalStatus,
  txHash: z.string().nullable(),
  reason: z.string().nullable(),
  createdAt: isoTime,
});
export type WithdrawalView = z.infer<typeof withdrawalView>;

export const proofPayload = z.strictObject({
  payload: z.string(),
  /** Unix seconds. */
  expiresAt: z.number().int(),
});

/** The TON Connect manifest, naming the host wallets sign ton_proof for. */
export const tonConnectManifest = z.strictObject({
  url: z.string(),
  name: z.string(),
  iconUrl: z.string(),
  termsOfUseUrl: z.string(),
  privacyPolicyUrl: z.string(),
});

export const tonRoutes = {
  tonConfig: getRoute('/v1/ton/config', tonConfig),
  tonConnectManifest: getRoute('/tonconnect-manifest.json', tonConnectManifest),
  /** Issued to the signed-in owner, usable by that user only, once. */
  proofPayload: getRoute('/v1/ton/proof-payload', proofPayload),
  /** 200: bound at once; 202: a change of the bound wallet, pending until `pendingWalletAt`. */
  bindWallet: route({
    method: 'POST',
    path: '/v1/me/wallet',
    request: { body: bindWalletRequest },
    response: walletState,
    status: [200, 202],
  }),
  wallet: getRoute('/v1/me/wallet', walletState),
  cancelWalletChange: route({
    method: 'DELETE',
    path: '/v1/me/wallet/pending',
    request: {},
    response: walletState,
  }),
  /** 201 when made, 200 for a replay of the same idempotencyKey. */
  withdraw: route({
    method: 'POST',
    path: '/v1/me/withdrawals',
    request: { body: withdrawalRequest },
    response: withdrawalView,
    status: [200, 201],
  }),
  withdrawals: getRoute('/v1/me/withdrawals', listOf('withdrawals', withdrawalView)),
} as const;
