// Op codes, fees and error codes, as in contracts/tolk/common.tolk and docs/on-chain-accounts.md.
import { toNano } from '@ton/core';

export const Op = {
  deposit: 0x6465706f,
  setSpendKey: 0x6b657973,
  withdrawCosigned: 0x7764726e,
  doClaim: 0x636c6169,
  claimEarnings: 0x6561726e,
  paid: 0x70616964,
  refused: 0x72656675,
  claim: 0x636c6169,
  claimed: 0x636c6d64,
  payRequest: 0x70617972,
  stake: 0x7374616b,
  unstake: 0x756e7374,
  withdrawFees: 0x66656573,
  commit: 0x636d6974,
} as const;

/** Kept by every counted deposit or stake for its gas. */
export const OP_FEE = toNano('0.01');
/** Kept by a user account's first deposit as its storage reserve. */
export const ACCOUNT_RESERVE = toNano('0.05');
/** Least value of a `claim`; the vault forwards DO_CLAIM_VALUE and returns the rest at once. */
export const CLAIM_MIN_VALUE = toNano('0.03');
export const DO_CLAIM_VALUE = toNano('0.015');
/** Least value of claim_earnings, withdraw, withdraw_cosigned, unstake, withdraw_fees. */
export const PAYOUT_MIN_VALUE = toNano('0.05');
export const RIG_NOTIFY_VALUE = toNano('0.01');
export const RIG_RESERVE = toNano('0.01');
/** Value the wrappers attach to owner/operator messages that move no money (set_spend_key, close, commit). */
export const DEFAULT_OP_VALUE = toNano('0.02');

/**
 * What a deposit of `value` adds to `deposited`. `funded` is the account's `funded` flag before the deposit
 * (get_account_data): once funded, `value − OP_FEE`; before, a deposit of at least ACCOUNT_RESERVE + OP_FEE
 * funds it and counts `value − ACCOUNT_RESERVE − OP_FEE`, a smaller one counts nothing. Never below zero.
 */
export function depositCredit(value: bigint, funded: boolean): bigint {
  if (!funded) return value >= ACCOUNT_RESERVE + OP_FEE ? value - ACCOUNT_RESERVE - OP_FEE : 0n;
  return value > OP_FEE ? value - OP_FEE : 0n;
}

export const ContractError = {
  notOwner: 401,
  notVault: 402,
  notOperator: 403,
  notDerived: 404,
  badSignature: 410,
  oldSeq: 411,
  notGrowing: 412,
  beyondAvailable: 413,
  beyondAllowance: 414,
  noKey: 415,
  badNonce: 416,
  notClosing: 420,
  tooEarly: 421,
  pending: 430,
  insolvent: 440,
  beyondFeeShare: 441,
  beyondStake: 442,
  lowValue: 450,
  unknownOp: 0xffff,
} as const;
