// The TypeScript constants and op codes match the Tolk sources they mirror.
import { readFileSync } from 'node:fs';
import { toNano } from '@ton/core';
import { describe, expect, it } from 'vitest';
import { TOLK_DIR } from './compile';
import * as C from './constants';

const common = readFileSync(`${TOLK_DIR}common.tolk`, 'utf8');

describe('constants', () => {
  it('fees and reserves match common.tolk', () => {
    const tolk = Object.fromEntries(
      [...common.matchAll(/^const (\w+) = ton\("([\d.]+)"\)/gm)].map((m) => [m[1], toNano(m[2])]),
    );
    const ts: Record<string, bigint> = {
      OP_FEE: C.OP_FEE,
      ACCOUNT_RESERVE: C.ACCOUNT_RESERVE,
      CLAIM_MIN_VALUE: C.CLAIM_MIN_VALUE,
      DO_CLAIM_VALUE: C.DO_CLAIM_VALUE,
      PAYOUT_MIN_VALUE: C.PAYOUT_MIN_VALUE,
      RIG_NOTIFY_VALUE: C.RIG_NOTIFY_VALUE,
      RIG_RESERVE: C.RIG_RESERVE,
    };
    expect(ts).toEqual(tolk);
  });

  it('op codes match the message structs', () => {
    const structs = Object.fromEntries(
      [...common.matchAll(/^struct \((0x[0-9a-f]{8})\) (\w+)/gm)].map((m) => [m[2], Number(m[1])]),
    );
    expect(structs).toEqual({
      Deposit: C.Op.deposit,
      SetSpendKey: C.Op.setSpendKey,
      WithdrawCosigned: C.Op.withdrawCosigned,
      DoClaim: C.Op.doClaim,
      ClaimEarnings: C.Op.claimEarnings,
      Paid: C.Op.paid,
      Refused: C.Op.refused,
      Claim: C.Op.claim,
      Claimed: C.Op.claimed,
      PayRequest: C.Op.payRequest,
      Stake: C.Op.stake,
      Unstake: C.Op.unstake,
      WithdrawFees: C.Op.withdrawFees,
      Commit: C.Op.commit,
    });
  });

  it('counts a deposit as the doc says', () => {
    expect(C.depositCredit(toNano('1'), false)).toBe(toNano('0.94'));
    expect(C.depositCredit(toNano('1'), true)).toBe(toNano('0.99'));
    expect(C.depositCredit(toNano('0.06'), false)).toBe(0n);
    expect(C.depositCredit(toNano('0.0599'), false)).toBe(0n);
    expect(C.depositCredit(toNano('0.005'), true)).toBe(0n);
  });
});
