// On-chain accounts (docs/on-chain-accounts.md): the vault a network uses, a user's account contract and
// what the ledger mirrors of it, the vouchers a user's spend key signs per job, and rig owners' on-chain
// payouts. The contracts decide what moves; these routes only carry what the proxy sees and signs.
import { z } from 'zod';
import { b64, nanoString } from '../schemas/common';
import { getRoute, isoTime, route } from './route';

const tonAddress = z.string().min(48).max(70);
const positiveNano = z.string().regex(/^[1-9]\d{0,30}$/, 'must be a positive whole number of nanoTON');

export const onchainConfig = z.strictObject({
  enabled: z.boolean(),
  vault: tonAddress.nullable(),
  /** Seconds between an exit's `close` and its `withdraw` (and before a new spend key takes effect). */
  closeDelayS: z.number().int().nonnegative(),
  /** Unclaimed vouchers are claimed once they add up to this (or at once when an exit starts). */
  claimThresholdNano: nanoString,
  feeBps: z.number().int().nonnegative(),
  /** The operator's Ed25519 key: what signs earnings vouchers (hex). */
  operatorKey: z.string().nullable(),
});
export type OnchainConfig = z.infer<typeof onchainConfig>;

export const onchainAccountView = z.strictObject({
  /** The wallet bound to the user (ton_proof); its account contract's address derives from it. */
  wallet: tonAddress.nullable(),
  account: z
    .strictObject({
      address: tonAddress,
      /** For the first deposit from the wallet: the contract's StateInit (base64 BoC) and deposit body. */
      stateInit: b64,
      depositPayload: b64,
      deployed: z.boolean(),
      /** The spend key the contract checks vouchers by (hex); null: none authorized yet. */
      spendKey: z.string().nullable(),
      deposited: nanoString,
      claimed: nanoString,
      withdrawn: nanoString,
      available: nanoString,
      closeRequestedAt: isoTime.nullable(),
    })
    .nullable(),
  /** Jobs are paid from the account (the proxy checks vouchers against its spend key). */
  registered: z.boolean(),
  /** The ledger's mirror: spendable on jobs now, what the spend key signed in total, and its seq. */
  mirrorNano: nanoString,
  voucheredNano: nanoString,
  voucherSeq: z.string().regex(/^\d+$/),
  /** A finished job waiting for its voucher (no new job until it is signed). */
  voucherDue: z.strictObject({ jobId: z.string().uuid(), amountNano: nanoString }).nullable(),
  rigAccount: tonAddress.nullable(),
  /** The operator's latest earnings voucher for this user as a rig owner, for their RigAccount. */
  payout: z
    .strictObject({
      amountNano: nanoString,
      seq: z.string(),
      signature: b64,
      /** The claim_earnings body and the RigAccount's StateInit (its first claim deploys it), base64 BoCs. */
      payload: b64,
      stateInit: b64,
    })
    .nullable(),
});
export type OnchainAccountView = z.infer<typeof onchainAccountView>;

export const voucherRequest = z.strictObject({
  amountNano: positiveNano,
  seq: z.string().regex(/^[1-9]\d{0,18}$/, 'must be the next sequence number'),
  signature: b64.max(100),
});
export type VoucherRequest = z.input<typeof voucherRequest>;

export const onchainRoutes = {
  onchainConfig: getRoute('/v1/onchain', onchainConfig),
  onchainAccount: getRoute('/v1/me/onchain', onchainAccountView),
  /** Pays the user's jobs from their account contract from now on (it must be deployed with a spend key). */
  registerOnchain: route({
    method: 'POST',
    path: '/v1/me/onchain',
    request: {},
    response: onchainAccountView,
  }),
  signJob: route({
    method: 'POST',
    path: '/v1/jobs/:id/voucher',
    request: {
      params: z.object({ id: z.string().uuid('must be a job id (uuid)') }),
      body: voucherRequest,
    },
    response: z.strictObject({ voucheredNano: nanoString, seq: z.string() }),
  }),
  /** Moves earnings to the owner's on-chain payout: an operator-signed voucher for their RigAccount. */
  onchainPayout: route({
    method: 'POST',
    path: '/v1/me/onchain/payouts',
    request: { body: z.strictObject({ amountNano: positiveNano }) },
    response: onchainAccountView,
    status: [201],
  }),
} as const;
