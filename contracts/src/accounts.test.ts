// The three contracts in @ton/sandbox with real wallets and real Ed25519 signatures: the happy path, every
// way of moving someone else's money we could think of (each asserts that nothing moved, from get-methods),
// and the user's exit. User spend keys are made inside `newUser` and never reach the operator's helpers.
import { type Address, beginCell, toNano } from '@ton/core';
import { describe, expect, it } from 'vitest';
import { CLAIM_MIN_VALUE, ContractError, depositCredit, OP_FEE } from './constants';
import {
  type Cocoon,
  createCocoon,
  exitCodeOn,
  newKeyPair,
  type TestRig,
  type TestUser,
  valueSent,
} from './testing';
import { signEarningsVoucher, signSpendVoucher } from './vouchers';
import { vaultMessages } from './wrappers/Vault';

const TON = toNano('1');
const DELAY = 86_400;

/** Everything money-related the get-methods say, for "nothing moved" comparisons. */
async function ledger(c: Cocoon, users: TestUser[] = [], rigs: TestRig[] = []) {
  const v = await c.vault.getVaultData();
  const accounts = [];
  for (const u of users) {
    const d = await u.account.getAccountData();
    accounts.push({
      deposited: d.deposited,
      claimed: d.claimed,
      withdrawn: d.withdrawn,
      available: d.available,
      lastSeq: d.lastSeq,
    });
  }
  const rigData = [];
  for (const r of rigs) {
    const state = await c.blockchain.getContract(r.account.address);
    if (state.accountState?.type !== 'active') {
      rigData.push(null);
      continue;
    }
    const d = await r.account.getRigData();
    rigData.push({ paid: d.paid, lastSeq: d.lastSeq, pending: d.pending });
  }
  return {
    vault: {
      totalClaimed: v.totalClaimed,
      totalPaid: v.totalPaid,
      totalFees: v.totalFees,
      stake: v.stake,
    },
    accounts,
    rigs: rigData,
  };
}

async function setup(opts: { stake?: bigint; deposit?: bigint; allowance?: bigint; period?: number } = {}) {
  const c = await createCocoon({ closeDelay: DELAY, feeBps: 1000 });
  if (opts.stake) await c.vault.sendStake(c.operator.getSender(), opts.stake);
  const { user: alice } = await c.newUser('alice', opts.deposit ?? 10n * TON, {
    allowance: opts.allowance,
    period: opts.period,
  });
  const { user: bob } = await c.newUser('bob', 5n * TON);
  const rig = await c.newRig('rig-owner');
  const mallory = await c.blockchain.treasury('mallory');
  return { c, alice, bob, rig, mallory };
}

async function claim(
  c: Cocoon,
  user: TestUser,
  amount: bigint,
  seq: bigint,
  signature = user.sign(amount, seq),
) {
  return c.vault.sendClaim(c.operator.getSender(), { owner: user.wallet.address, amount, seq, signature });
}

async function balanceOf(c: Cocoon, address: Address) {
  return (await c.blockchain.getContract(address)).balance;
}

describe('happy path', () => {
  it('deploys with a deposit counted to the nanoTON, and sets the first spend key at once', async () => {
    const { c, alice } = await setup();
    const d = await alice.account.getAccountData();
    expect(d.deposited).toBe(depositCredit(10n * TON, false));
    expect(d.deposited).toBe(10n * TON - toNano('0.06'));
    expect(d.spendKey).toBe(BigInt(`0x${alice.spendKeys.publicKey.toString('hex')}`));
    expect((await c.vault.getUserAccountAddress(alice.wallet.address)).equals(alice.account.address)).toBe(
      true,
    );
    expect(
      (await c.vault.getRigAccountAddress(alice.wallet.address)).equals(
        c.vault.rigAccount(alice.wallet.address).address,
      ),
    ).toBe(true);
    await alice.account.sendDeposit(alice.wallet.getSender(), 2n * TON);
    expect((await alice.account.getAccountData()).deposited).toBe(d.deposited + 2n * TON - OP_FEE);
  });

  it('a claim moves exactly the delta; a rig owner gets exactly its earnings; the operator takes its fee', async () => {
    const { c, alice, rig } = await setup({ stake: 2n * TON });
    expect((await c.vault.getVaultData()).stake).toBe(2n * TON - OP_FEE);

    const accountBefore = await balanceOf(c, alice.account.address);
    const vaultBefore = await balanceOf(c, c.vault.address);
    const r1 = await claim(c, alice, TON, 1n);
    expect(exitCodeOn(r1, alice.account.address)).toBe(0);
    expect(accountBefore - (await balanceOf(c, alice.account.address))).toBe(TON);
    expect((await balanceOf(c, c.vault.address)) - vaultBefore).toBeGreaterThanOrEqual(TON);
    let a = await alice.account.getAccountData();
    expect(a.claimed).toBe(TON);
    expect(a.available).toBe(a.deposited - TON);
    expect((await c.vault.getVaultData()).totalClaimed).toBe(TON);

    // A second voucher (cumulative 1.5 TON) moves 0.5.
    await claim(c, alice, toNano('1.5'), 2n);
    a = await alice.account.getAccountData();
    expect(a.claimed).toBe(toNano('1.5'));
    expect((await c.vault.getVaultData()).totalClaimed).toBe(toNano('1.5'));

    // Earnings: the operator signs "rig has earned 1.2 TON in total"; the rig owner claims it.
    const vaultBeforePay = await balanceOf(c, c.vault.address);
    const sig = c.operatorSigns.earnings(rig.account.address, toNano('1.2'), 1n);
    const p = await rig.account.sendClaimEarnings(rig.wallet.getSender(), {
      amount: toNano('1.2'),
      seq: 1n,
      signature: sig,
    });
    expect(exitCodeOn(p, c.vault.address)).toBe(0);
    expect(valueSent(p, c.vault.address, rig.wallet.address)).toBeGreaterThanOrEqual(toNano('1.2'));
    expect(vaultBeforePay - (await balanceOf(c, c.vault.address))).toBe(toNano('1.2'));
    const rd = await rig.account.getRigData();
    expect(rd).toMatchObject({ paid: toNano('1.2'), lastSeq: 1n, pending: 0n });
    expect((await c.vault.getVaultData()).totalPaid).toBe(toNano('1.2'));

    // A newer voucher pays only the difference.
    const sig2 = c.operatorSigns.earnings(rig.account.address, toNano('1.3'), 2n);
    const p2 = await rig.account.sendClaimEarnings(rig.wallet.getSender(), {
      amount: toNano('1.3'),
      seq: 2n,
      signature: sig2,
    });
    expect(valueSent(p2, c.vault.address, rig.wallet.address)).toBeGreaterThanOrEqual(toNano('0.1'));
    expect((await c.vault.getVaultData()).totalPaid).toBe(toNano('1.3'));

    // Fee share: 1.5 × 1000 / 11000 = 0.136363636 TON.
    const share = (toNano('1.5') * 1000n) / 11000n;
    const f = await c.vault.sendWithdrawFees(c.operator.getSender(), share);
    expect(exitCodeOn(f, c.vault.address)).toBe(0);
    expect(valueSent(f, c.vault.address, c.feeWallet.address)).toBeGreaterThanOrEqual(share);
    expect((await c.vault.getVaultData()).totalFees).toBe(share);

    // Commit the ledger's hash.
    await c.vault.sendCommit(c.operator.getSender(), 0xabcn, 1n);
    expect((await c.vault.getVaultData()).commitSeq).toBe(1n);
  });
});

describe('adversarial: nothing moves', () => {
  it('a claim for more than the voucher says', async () => {
    const { c, alice, bob } = await setup();
    const before = await ledger(c, [alice, bob]);
    const r = await claim(c, alice, 2n * TON, 1n, alice.sign(TON, 1n));
    expect(exitCodeOn(r, alice.account.address)).toBe(ContractError.badSignature);
    expect(await ledger(c, [alice, bob])).toEqual(before);
  });

  it('a replayed voucher, and an older one after a newer', async () => {
    const { c, alice } = await setup();
    await claim(c, alice, TON, 1n);
    await claim(c, alice, 2n * TON, 3n);
    const before = await ledger(c, [alice]);
    expect(exitCodeOn(await claim(c, alice, 2n * TON, 3n), alice.account.address)).toBe(ContractError.oldSeq);
    expect(exitCodeOn(await claim(c, alice, TON, 1n), alice.account.address)).toBe(ContractError.oldSeq);
    // A newer seq with an amount that does not grow moves nothing either.
    expect(exitCodeOn(await claim(c, alice, 2n * TON, 4n), alice.account.address)).toBe(
      ContractError.notGrowing,
    );
    expect(await ledger(c, [alice])).toEqual(before);
  });

  it('a voucher for another account', async () => {
    const { c, alice, bob } = await setup();
    const before = await ledger(c, [alice, bob]);
    // Alice's key signs a voucher naming Bob's account: neither account takes it.
    const sig = signSpendVoucher(
      { vault: c.vault.address, account: bob.account.address, amount: TON, seq: 1n },
      alice.spendKeys.secretKey,
    );
    expect(exitCodeOn(await claim(c, alice, TON, 1n, sig), alice.account.address)).toBe(
      ContractError.badSignature,
    );
    expect(exitCodeOn(await claim(c, bob, TON, 1n, sig), bob.account.address)).toBe(
      ContractError.badSignature,
    );
    expect(await ledger(c, [alice, bob])).toEqual(before);
  });

  it('a voucher for another vault', async () => {
    const { c, alice } = await setup();
    const other = await createCocoon();
    const before = await ledger(c, [alice]);
    const sig = signSpendVoucher(
      { vault: other.vault.address, account: alice.account.address, amount: TON, seq: 1n },
      alice.spendKeys.secretKey,
    );
    expect(exitCodeOn(await claim(c, alice, TON, 1n, sig), alice.account.address)).toBe(
      ContractError.badSignature,
    );
    expect(await ledger(c, [alice])).toEqual(before);
  });

  it('a voucher signed by the wrong key (another user, the operator, a stranger)', async () => {
    const { c, alice, bob } = await setup();
    const before = await ledger(c, [alice, bob]);
    for (const keys of [bob.spendKeys, c.operatorKeys, newKeyPair()]) {
      const r = await claim(c, alice, TON, 1n, alice.sign(TON, 1n, keys));
      expect(exitCodeOn(r, alice.account.address)).toBe(ContractError.badSignature);
    }
    expect(await ledger(c, [alice, bob])).toEqual(before);
  });

  it('a claim beyond what is available', async () => {
    const { c, alice } = await setup();
    const { available } = await alice.account.getAccountData();
    const before = await ledger(c, [alice]);
    const r = await claim(c, alice, available + 1n, 1n);
    expect(exitCodeOn(r, alice.account.address)).toBe(ContractError.beyondAvailable);
    expect(await ledger(c, [alice])).toEqual(before);
    // Exactly what is available goes through.
    await claim(c, alice, available, 2n);
    expect((await alice.account.getAccountData()).available).toBe(0n);
  });

  it('a claim beyond the allowance in a period, which goes through in the next period', async () => {
    const { c, alice } = await setup({ allowance: TON, period: 3600 });
    await claim(c, alice, toNano('0.6'), 1n);
    const before = await ledger(c, [alice]);
    const r = await claim(c, alice, toNano('1.2'), 2n);
    expect(exitCodeOn(r, alice.account.address)).toBe(ContractError.beyondAllowance);
    expect(await ledger(c, [alice])).toEqual(before);
    c.blockchain.now = (c.blockchain.now ?? 0) + 3600;
    const r2 = await claim(c, alice, toNano('1.2'), 2n);
    expect(exitCodeOn(r2, alice.account.address)).toBe(0);
    expect((await alice.account.getAccountData()).claimed).toBe(toNano('1.2'));
  });

  it('paying a rig beyond claimed funds plus stake is refused, and the rig can claim again later', async () => {
    const { c, alice, rig } = await setup({ stake: TON });
    await claim(c, alice, TON, 1n);
    const before = await ledger(c, [alice], [rig]);
    const v = await c.vault.getVaultData();
    const tooMuch = v.totalClaimed + v.stake + 1n;
    const sig = c.operatorSigns.earnings(rig.account.address, tooMuch, 1n);
    const r = await rig.account.sendClaimEarnings(rig.wallet.getSender(), {
      amount: tooMuch,
      seq: 1n,
      signature: sig,
    });
    expect(exitCodeOn(r, rig.account.address)).toBe(0);
    expect(valueSent(r, c.vault.address, rig.wallet.address)).toBe(0n);
    const after = await ledger(c, [alice], [rig]);
    expect(after.vault).toEqual(before.vault);
    expect(after.rigs[0]).toEqual({ paid: 0n, lastSeq: 0n, pending: 0n });
    // Exactly claimed + stake is payable.
    const all = v.totalClaimed + v.stake;
    const ok = await rig.account.sendClaimEarnings(rig.wallet.getSender(), {
      amount: all,
      seq: 2n,
      signature: c.operatorSigns.earnings(rig.account.address, all, 2n),
    });
    expect(valueSent(ok, c.vault.address, rig.wallet.address)).toBeGreaterThanOrEqual(all);
  });

  it('a rig claiming twice with the same voucher is paid once', async () => {
    const { c, alice, rig } = await setup();
    await claim(c, alice, 2n * TON, 1n);
    const sig = c.operatorSigns.earnings(rig.account.address, TON, 1n);
    await rig.account.sendClaimEarnings(rig.wallet.getSender(), { amount: TON, seq: 1n, signature: sig });
    const before = await ledger(c, [alice], [rig]);
    const r = await rig.account.sendClaimEarnings(rig.wallet.getSender(), {
      amount: TON,
      seq: 1n,
      signature: sig,
    });
    expect(exitCodeOn(r, rig.account.address)).toBe(ContractError.oldSeq);
    expect(await ledger(c, [alice], [rig])).toEqual(before);
    expect(before.vault.totalPaid).toBe(TON);
  });

  it('an earnings voucher signed by another key, or for another rig, is refused and clears the pending claim', async () => {
    const { c, alice, rig } = await setup();
    await claim(c, alice, 2n * TON, 1n);
    const other = await c.newRig('other-rig');
    const before = await ledger(c, [alice]);
    const bad = [
      signEarningsVoucher(
        { vault: c.vault.address, rigAccount: rig.account.address, amount: TON, seq: 1n },
        newKeyPair().secretKey,
      ),
      c.operatorSigns.earnings(other.account.address, TON, 1n),
    ];
    for (const signature of bad) {
      const r = await rig.account.sendClaimEarnings(rig.wallet.getSender(), {
        amount: TON,
        seq: 1n,
        signature,
      });
      expect(exitCodeOn(r, c.vault.address)).toBe(ContractError.badSignature);
      expect((await rig.account.getRigData()).pending).toBe(0n);
    }
    expect(await ledger(c, [alice])).toEqual(before);
  });

  it('the operator withdrawing fees beyond its share, or unstaking what users are owed', async () => {
    const { c, alice, rig } = await setup({ stake: TON });
    await claim(c, alice, 11n * toNano('0.1'), 1n); // 1.1 TON claimed: fee share 0.1 TON
    const before = await ledger(c, [alice]);
    const r = await c.vault.sendWithdrawFees(c.operator.getSender(), toNano('0.1') + 1n);
    expect(exitCodeOn(r, c.vault.address)).toBe(ContractError.beyondFeeShare);
    expect(await ledger(c, [alice])).toEqual(before);
    // Pay the rig all but 0.05 TON of claimed funds + stake; then unstaking the stake, or taking the
    // 0.1 TON fee share, would be insolvent.
    const amount = toNano('1.1') + before.vault.stake - toNano('0.05');
    await rig.account.sendClaimEarnings(rig.wallet.getSender(), {
      amount,
      seq: 1n,
      signature: c.operatorSigns.earnings(rig.account.address, amount, 1n),
    });
    const mid = await ledger(c, [alice]);
    expect(mid.vault.totalPaid).toBe(amount);
    const u = await c.vault.sendUnstake(c.operator.getSender(), mid.vault.stake);
    expect(exitCodeOn(u, c.vault.address)).toBe(ContractError.insolvent);
    // The fee share is there, but paying it now would break solvency.
    const f = await c.vault.sendWithdrawFees(c.operator.getSender(), toNano('0.1'));
    expect(exitCodeOn(f, c.vault.address)).toBe(ContractError.insolvent);
    expect(await ledger(c, [alice])).toEqual(mid);
    // What is not owed comes out.
    const free = mid.vault.stake + toNano('1.1') - amount;
    const ok = await c.vault.sendUnstake(c.operator.getSender(), free);
    expect(exitCodeOn(ok, c.vault.address)).toBe(0);
  });

  it('a non-owner sending close, withdraw, set_spend_key or withdraw_cosigned', async () => {
    const { c, alice, mallory } = await setup();
    const before = await ledger(c, [alice]);
    const a = alice.account;
    const m = mallory.getSender();
    const attempts = [
      await a.sendClose(m),
      await a.sendWithdraw(m),
      await a.sendSetSpendKey(m, { key: newKeyPair().publicKey }),
      await a.sendWithdrawCosigned(m, {
        amount: TON,
        nonce: 0,
        signature: c.operatorSigns.withdrawal(a.address, TON, 0n, 0),
      }),
    ];
    for (const r of attempts) expect(exitCodeOn(r, a.address)).toBe(ContractError.notOwner);
    const d = await a.getAccountData();
    expect(d.closeRequestedAt).toBe(0);
    expect(d.hasPending).toBe(false);
    expect(await ledger(c, [alice])).toEqual(before);
  });

  it('a non-vault sending do_claim, even with a valid voucher', async () => {
    const { c, alice, mallory } = await setup();
    const before = await ledger(c, [alice]);
    const r = await alice.account.sendDoClaim(mallory.getSender(), {
      amount: TON,
      seq: 1n,
      signature: alice.sign(TON, 1n),
    });
    expect(exitCodeOn(r, alice.account.address)).toBe(ContractError.notVault);
    expect(await ledger(c, [alice])).toEqual(before);
  });

  it('a forged `claimed` or `pay_request` from an address the vault did not derive', async () => {
    const { c, alice, rig, mallory } = await setup({ stake: TON });
    const before = await ledger(c, [alice], [rig]);
    const fakeClaimed = await c.vault.sendBody(
      mallory.getSender(),
      vaultMessages.claimed({ owner: alice.wallet.address, delta: 5n * TON }),
    );
    expect(exitCodeOn(fakeClaimed, c.vault.address)).toBe(ContractError.notDerived);
    // Even with an earnings voucher the operator really signed for this rig, only the rig account may ask.
    const sig = c.operatorSigns.earnings(rig.account.address, toNano('0.5'), 1n);
    const fakePay = await c.vault.sendBody(
      mallory.getSender(),
      vaultMessages.payRequest({
        owner: mallory.address,
        amount: toNano('0.5'),
        paid: 0n,
        seq: 1n,
        signature: sig,
      }),
      toNano('0.1'),
    );
    expect(exitCodeOn(fakePay, c.vault.address)).toBe(ContractError.notDerived);
    const fakePay2 = await c.vault.sendBody(
      mallory.getSender(),
      vaultMessages.payRequest({
        owner: rig.wallet.address,
        amount: toNano('0.5'),
        paid: 0n,
        seq: 1n,
        signature: sig,
      }),
      toNano('0.1'),
    );
    expect(exitCodeOn(fakePay2, c.vault.address)).toBe(ContractError.notDerived);
    expect(await ledger(c, [alice], [rig])).toEqual(before);
  });

  it('operator-only ops from anyone else, and a claim without enough gas money', async () => {
    const { c, alice, mallory } = await setup({ stake: TON });
    await claim(c, alice, TON, 1n);
    const before = await ledger(c, [alice]);
    const m = mallory.getSender();
    for (const r of [
      await c.vault.sendStake(m, TON),
      await c.vault.sendUnstake(m, toNano('0.1')),
      await c.vault.sendWithdrawFees(m, toNano('0.01')),
      await c.vault.sendCommit(m, 1n, 1n),
    ]) {
      expect(exitCodeOn(r, c.vault.address)).toBe(ContractError.notOperator);
    }
    const low = await c.vault.sendClaim(c.operator.getSender(), {
      owner: alice.wallet.address,
      amount: 2n * TON,
      seq: 2n,
      signature: alice.sign(2n * TON, 2n),
      value: CLAIM_MIN_VALUE - 1n,
    });
    expect(exitCodeOn(low, c.vault.address)).toBe(ContractError.lowValue);
    expect(await ledger(c, [alice])).toEqual(before);
  });

  it('a rotated spend key takes effect only after the close delay; the old one signs until then', async () => {
    const { c, alice } = await setup();
    const next = newKeyPair();
    await alice.account.sendSetSpendKey(alice.wallet.getSender(), { key: next.publicKey });
    const before = await ledger(c, [alice]);
    const early = await claim(c, alice, TON, 1n, alice.sign(TON, 1n, next));
    expect(exitCodeOn(early, alice.account.address)).toBe(ContractError.badSignature);
    expect(await ledger(c, [alice])).toEqual(before);
    expect(exitCodeOn(await claim(c, alice, TON, 1n), alice.account.address)).toBe(0);
    c.blockchain.now = (c.blockchain.now ?? 0) + DELAY;
    const old = await claim(c, alice, 2n * TON, 2n);
    expect(exitCodeOn(old, alice.account.address)).toBe(ContractError.badSignature);
    expect(
      exitCodeOn(await claim(c, alice, 2n * TON, 2n, alice.sign(2n * TON, 2n, next)), alice.account.address),
    ).toBe(0);
    expect((await alice.account.getAccountData()).claimed).toBe(2n * TON);
  });
});

describe('exit', () => {
  it('the user exits alone after the delay and gets exactly what is available; not before', async () => {
    const { c, alice } = await setup();
    await claim(c, alice, TON, 1n);
    await alice.account.sendClose(alice.wallet.getSender());
    const closing = await alice.account.getAccountData();
    expect(closing.closeRequestedAt).toBe(c.blockchain.now);
    c.blockchain.now = (c.blockchain.now ?? 0) + DELAY - 1;
    const early = await alice.account.sendWithdraw(alice.wallet.getSender());
    expect(exitCodeOn(early, alice.account.address)).toBe(ContractError.tooEarly);
    expect((await alice.account.getAccountData()).withdrawn).toBe(0n);

    c.blockchain.now = (c.blockchain.now ?? 0) + 1;
    const balanceBefore = await balanceOf(c, alice.account.address);
    const r = await alice.account.sendWithdraw(alice.wallet.getSender());
    expect(exitCodeOn(r, alice.account.address)).toBe(0);
    const d = await alice.account.getAccountData();
    expect(d.withdrawn).toBe(closing.available);
    expect(d.available).toBe(0n);
    expect(d.closeRequestedAt).toBe(0);
    expect(valueSent(r, alice.account.address, alice.wallet.address)).toBeGreaterThanOrEqual(
      closing.available,
    );
    // The account gives up exactly `available`, plus the day's storage fee, paid from its reserve.
    const spent = balanceBefore - (await balanceOf(c, alice.account.address));
    expect(spent - closing.available).toBeGreaterThanOrEqual(0n);
    expect(spent - closing.available).toBeLessThan(10_000n);
    // Withdraw without a new close is refused.
    const again = await alice.account.sendWithdraw(alice.wallet.getSender());
    expect(exitCodeOn(again, alice.account.address)).toBe(ContractError.notClosing);
  });

  it('the operator presents the last voucher during the delay, and the user gets the rest', async () => {
    const { c, alice } = await setup();
    const lastVoucher = { amount: toNano('2.5'), seq: 7n, sig: alice.sign(toNano('2.5'), 7n) };
    await alice.account.sendClose(alice.wallet.getSender());
    c.blockchain.now = (c.blockchain.now ?? 0) + DELAY / 2;
    const r = await claim(c, alice, lastVoucher.amount, lastVoucher.seq, lastVoucher.sig);
    expect(exitCodeOn(r, alice.account.address)).toBe(0);
    c.blockchain.now = (c.blockchain.now ?? 0) + DELAY / 2;
    const w = await alice.account.sendWithdraw(alice.wallet.getSender());
    expect(exitCodeOn(w, alice.account.address)).toBe(0);
    const d = await alice.account.getAccountData();
    expect(d.withdrawn).toBe(d.deposited - toNano('2.5'));
    expect((await c.vault.getVaultData()).totalClaimed).toBe(toNano('2.5'));
  });

  it('a co-signed withdrawal works at once, and only once', async () => {
    const { c, alice } = await setup();
    await claim(c, alice, TON, 1n);
    const { claimed } = await alice.account.getAccountData();
    const sig = c.operatorSigns.withdrawal(alice.account.address, 3n * TON, claimed, 0);
    const r = await alice.account.sendWithdrawCosigned(alice.wallet.getSender(), {
      amount: 3n * TON,
      nonce: 0,
      signature: sig,
    });
    expect(exitCodeOn(r, alice.account.address)).toBe(0);
    expect(valueSent(r, alice.account.address, alice.wallet.address)).toBeGreaterThanOrEqual(3n * TON);
    const after = await ledger(c, [alice]);
    expect(after.accounts[0].withdrawn).toBe(3n * TON);
    expect((await alice.account.getAccountData()).withdrawNonce).toBe(1);

    const replay = await alice.account.sendWithdrawCosigned(alice.wallet.getSender(), {
      amount: 3n * TON,
      nonce: 0,
      signature: sig,
    });
    expect(exitCodeOn(replay, alice.account.address)).toBe(ContractError.badNonce);
    // A co-signature made before the last claim (stale `claimed`) or by another key is refused too.
    await claim(c, alice, 2n * TON, 2n);
    const stale = c.operatorSigns.withdrawal(alice.account.address, TON, claimed, 1);
    const s = await alice.account.sendWithdrawCosigned(alice.wallet.getSender(), {
      amount: TON,
      nonce: 1,
      signature: stale,
    });
    expect(exitCodeOn(s, alice.account.address)).toBe(ContractError.badSignature);
    const forged = c.operatorSigns.withdrawal(alice.account.address, TON, 2n * TON, 1, alice.spendKeys);
    const f = await alice.account.sendWithdrawCosigned(alice.wallet.getSender(), {
      amount: TON,
      nonce: 1,
      signature: forged,
    });
    expect(exitCodeOn(f, alice.account.address)).toBe(ContractError.badSignature);
    const end = await ledger(c, [alice]);
    expect(end.accounts[0].withdrawn).toBe(3n * TON);
  });
});

describe('deposits', () => {
  it('dust sent first (by anyone) does not mark the account funded; the reserve comes from the first real deposit', async () => {
    const c = await createCocoon();
    const owner = await c.blockchain.treasury('owner');
    const stranger = await c.blockchain.treasury('stranger');
    const account = c.blockchain.openContract(c.vault.userAccount(owner.address));
    await account.sendDeploy(stranger.getSender(), toNano('0.03'));
    let d = await account.getAccountData();
    expect(d.funded).toBe(false);
    expect(d.deposited).toBe(0n);
    await account.sendDeposit(owner.getSender(), toNano('1'));
    d = await account.getAccountData();
    expect(d.funded).toBe(true);
    expect(d.deposited).toBe(depositCredit(toNano('1'), false));
    expect((await c.blockchain.getContract(account.address)).balance).toBeGreaterThan(
      d.available + toNano('0.05'),
    );
  });
});

describe('message layout', () => {
  it('comments other than close/withdraw are deposits; an unknown op bounces', async () => {
    const { c, alice, mallory } = await setup();
    const d0 = (await alice.account.getAccountData()).deposited;
    await mallory.send({
      to: alice.account.address,
      value: TON,
      body: beginCell().storeUint(0, 32).storeStringTail('hi').endCell(),
    });
    expect((await alice.account.getAccountData()).deposited).toBe(d0 + TON - OP_FEE);
    const r = await mallory.send({
      to: alice.account.address,
      value: TON,
      body: beginCell().storeUint(0x1234, 32).endCell(),
    });
    expect(exitCodeOn(r, alice.account.address)).toBe(ContractError.unknownOp);
    void c;
  });
});
