import { toNano } from '@ton/core';
import { describe, expect, it } from 'vitest';
import { depositCredit } from './constants';
import { createCocoon } from './testing';

describe('on-chain accounts: happy path', () => {
  it('deposit, spend key, claim, earnings payout, fee withdrawal', async () => {
    const c = await createCocoon({ feeBps: 1000 });
    const { user, deployResult } = await c.newUser('alice', toNano('10'));
    for (const t of deployResult.transactions) console.log(t.description.type, (t.description as any).computePhase);
    const data = await user.account.getAccountData();
    console.log(data);
    expect(data.deposited).toBe(depositCredit(toNano('10'), true));
  });
});
