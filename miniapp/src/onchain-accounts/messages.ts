// The TON Connect transactions of an on-chain account: open it (deposit with its StateInit, and
// set_spend_key, in one transaction), deposit more, authorize a new spend key, the exit comments (`close`,
// `withdraw`), and a rig owner's payout claim. A lazy chunk: @ton/core and the contracts' message bodies load
// only when one is sent.
import '../wallet/buffer-polyfill';
import { userAccountMessages } from '@cocoon/contracts/client';
import type { OnchainAccountView } from '@cocoon/shared';
import { ed25519 } from '@noble/curves/ed25519.js';

export const TON = 1_000_000_000n;
/** What a set_spend_key, `close` or `withdraw` message carries (the surplus over gas comes back). */
export const OP_VALUE_NANO = TON / 20n;
/** What a rig owner's claim_earnings carries (the surplus travels with the payout). */
export const PAYOUT_VALUE_NANO = TON / 10n;

export interface TonMessage {
  address: string;
  amount: string;
  payload?: string;
  stateInit?: string;
}
export interface TonTransaction {
  validUntil: number;
  messages: TonMessage[];
}

const boc = (c: { toBoc(): { toString(enc: 'base64'): string } }) => c.toBoc().toString('base64');
const validUntil = (now: number) => Math.floor(now / 1000) + 300;

type Account = NonNullable<OnchainAccountView['account']>;

/** The spend key's public half, as set_spend_key takes it. */
export function spendPublicKey(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed);
}

function depositMessage(account: Account, amountNano: bigint): TonMessage {
  if (amountNano <= 0n) throw new RangeError('the deposit must be more than 0 TON');
  return {
    address: account.address,
    amount: amountNano.toString(),
    payload: account.depositPayload,
    // Until the account exists, the deposit deploys it.
    ...(account.deployed ? {} : { stateInit: account.stateInit }),
  };
}

function setSpendKeyMessage(account: Account, seed: Uint8Array): TonMessage {
  const key = Buffer.from(spendPublicKey(seed));
  return {
    address: account.address,
    amount: OP_VALUE_NANO.toString(),
    payload: boc(userAccountMessages.setSpendKey({ key, allowance: 0n, period: 0 })),
  };
}

/** Opens the account: the first deposit (deploying it) and the spend key, one transaction. */
export function openAccountTransaction(
  account: Account,
  amountNano: bigint,
  seed: Uint8Array,
  now = Date.now(),
): TonTransaction {
  return {
    validUntil: validUntil(now),
    messages: [depositMessage(account, amountNano), setSpendKeyMessage(account, seed)],
  };
}

export function depositMoreTransaction(
  account: Account,
  amountNano: bigint,
  now = Date.now(),
): TonTransaction {
  return { validUntil: validUntil(now), messages: [depositMessage(account, amountNano)] };
}

/** Authorizes a new spend key (a change takes effect after the close delay when a key is set already). */
export function newSpendKeyTransaction(account: Account, seed: Uint8Array, now = Date.now()): TonTransaction {
  return { validUntil: validUntil(now), messages: [setSpendKeyMessage(account, seed)] };
}

/** The exit's comments: `close` starts it, `withdraw` (after the close delay) pays out what is unclaimed. */
export function exitTransaction(
  account: Account,
  step: 'close' | 'withdraw',
  now = Date.now(),
): TonTransaction {
  return {
    validUntil: validUntil(now),
    messages: [
      {
        address: account.address,
        amount: OP_VALUE_NANO.toString(),
        payload: boc(userAccountMessages.comment(step)),
      },
    ],
  };
}

/** A rig owner's claim of the operator-signed earnings voucher, to their RigAccount (the first deploys it). */
export function payoutTransaction(view: OnchainAccountView, now = Date.now()): TonTransaction {
  if (!view.rigAccount || !view.payout) throw new Error('no on-chain payout to collect');
  return {
    validUntil: validUntil(now),
    messages: [
      {
        address: view.rigAccount,
        amount: PAYOUT_VALUE_NANO.toString(),
        payload: view.payout.payload,
        stateInit: view.payout.stateInit,
      },
    ],
  };
}
