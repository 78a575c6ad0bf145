// Property test: random sequences of deposits, vouchers and claims (honest, tampered, replayed), earnings
// claims, fee withdrawals, unstakes and exits keep the on-chain invariants, read from get-methods:
//  - an account's `claimed` never exceeds the largest voucher amount its user signed;
//  - deposited − claimed − withdrawn ≥ 0, and the account's balance covers it;
//  - the vault's balance covers total_claimed + stake − total_paid − total_fees;
//  - a user's `available` only falls by their own voucher or their own exit/withdrawal.
import { toNano } from '@ton/core';
import type { BlockchainSnapshot } from '@ton/sandbox';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { depositCredit } from './constants';
import { type Cocoon, createCocoon, type TestRig, type TestUser } from './testing';

const DELAY = 3600;
const USERS = 2;
const RIGS = 2;

type Step =
  | { kind: 'deposit'; u: number; milli: number }
  | { kind: 'claim'; u: number; permille: number; tamper: boolean }
  | { kind: 'replay'; u: number; pick: number }
  | { kind: 'earn'; r: number; permille: number; twice: boolean }
  | { kind: 'fees'; permille: number }
  | { kind: 'unstake'; permille: number }
  | { kind: 'close'; u: number }
  | { kind: 'wait'; secs: number }
  | { kind: 'withdraw'; u: number }
  | { kind: 'cosigned'; u: number; permille: number };

const user = fc.nat(USERS - 1);
const permille = fc.integer({ min: 1, max: 1200 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), u: user, milli: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ kind: fc.constant('claim' as const), u: user, permille, tamper: fc.boolean() }),
  fc.record({ kind: fc.constant('claim' as const), u: user, permille, tamper: fc.constant(false) }),
  fc.record({ kind: fc.constant('replay' as const), u: user, pick: fc.nat() }),
  fc.record({ kind: fc.constant('earn' as const), r: fc.nat(RIGS - 1), permille, twice: fc.boolean() }),
  fc.record({ kind: fc.constant('fees' as const), permille }),
  fc.record({ kind: fc.constant('unstake' as const), permille }),
  fc.record({ kind: fc.constant('close' as const), u: user }),
  fc.record({ kind: fc.constant('wait' as const), secs: fc.integer({ min: 1, max: 2 * DELAY }) }),
  fc.record({ kind: fc.constant('withdraw' as const), u: user }),
  fc.record({ kind: fc.constant('cosigned' as const), u: user, permille }),
);

describe('invariants under random operations', () => {
  let c: Cocoon;
  let users: TestUser[];
  let rigs: TestRig[];
  let base: BlockchainSnapshot;

  beforeAll(async () => {
    c = await createCocoon({ closeDelay: DELAY, feeBps: 500 });
    await c.vault.sendStake(c.operator.getSender(), toNano('1'));
    users = [];
    for (let i = 0; i < USERS; i++) users.push((await c.newUser(`user-${i}`, toNano('3'))).user);
    rigs = [];
    for (let i = 0; i < RIGS; i++) rigs.push(await c.newRig(`rig-${i}`));
    base = c.blockchain.snapshot();
  });

  it('hold for ~30 runs of ~25 steps', async () => {
    // How often money really moved, so the property can't pass by everything being refused.
    const moved = { claims: 0, payouts: 0, fees: 0, exits: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 25 }), async (steps) => {
        await c.blockchain.loadFrom(base);
        const signedMax = users.map(() => 0n);
        const signed: { amount: bigint; seq: bigint; sig: Buffer }[][] = users.map(() => []);
        const nextSeq = users.map(() => 1n);
        const earned = rigs.map(() => 0n);
        let earnSeq = 1n;

        const snapshot = async () => {
          const accounts = [];
          for (const u of users) {
            const d = await u.account.getAccountData();
            accounts.push({ ...d, balance: (await c.blockchain.getContract(u.account.address)).balance });
          }
          const v = await c.vault.getVaultData();
          const vaultBalance = (await c.blockchain.getContract(c.vault.address)).balance;
          return { accounts, v, vaultBalance };
        };

        let before = await snapshot();
        for (const s of steps) {
          // Whose `available` may fall in this step, and by at most how much.
          const mayFall = new Map<number, bigint>();
          const a = 'u' in s ? before.accounts[s.u] : undefined;
          switch (s.kind) {
            case 'deposit': {
              const value = BigInt(s.milli) * toNano('0.001');
              await users[s.u].account.sendDeposit(users[s.u].wallet.getSender(), value);
              // Off-chain code predicts a deposit to the nanoTON.
              const d = await users[s.u].account.getAccountData();
              expect(d.deposited - (a?.deposited ?? 0n)).toBe(depositCredit(value, a?.funded ?? false));
              break;
            }
            case 'claim': {
              if (!a) break;
              const amount = a.claimed + (a.available * BigInt(s.permille)) / 1000n + 1n;
              const seq = nextSeq[s.u]++;
              const sig = users[s.u].sign(amount, seq);
              signed[s.u].push({ amount, seq, sig });
              if (amount > signedMax[s.u]) signedMax[s.u] = amount;
              mayFall.set(s.u, amount - a.claimed);
              await c.vault.sendClaim(c.operator.getSender(), {
                owner: users[s.u].wallet.address,
                amount: s.tamper ? amount + 1n : amount,
                seq,
                signature: sig,
              });
              break;
            }
            case 'replay': {
              const list = signed[s.u];
              if (list.length === 0) break;
              const old = list[s.pick % list.length];
              if (a && old.amount > a.claimed) mayFall.set(s.u, old.amount - a.claimed);
              await c.vault.sendClaim(c.operator.getSender(), {
                owner: users[s.u].wallet.address,
                amount: old.amount,
                seq: old.seq,
                signature: old.sig,
              });
              break;
            }
            case 'earn': {
              const rig = rigs[s.r];
              earned[s.r] += (toNano('1') * BigInt(s.permille)) / 1000n;
              const seq = earnSeq++;
              const signature = c.operatorSigns.earnings(rig.account.address, earned[s.r], seq);
              await rig.account.sendClaimEarnings(rig.wallet.getSender(), {
                amount: earned[s.r],
                seq,
                signature,
              });
              if (s.twice) {
                await rig.account.sendClaimEarnings(rig.wallet.getSender(), {
                  amount: earned[s.r],
                  seq,
                  signature,
                });
              }
              break;
            }
            case 'fees':
              await c.vault.sendWithdrawFees(
                c.operator.getSender(),
                (toNano('0.2') * BigInt(s.permille)) / 1000n,
              );
              break;
            case 'unstake':
              await c.vault.sendUnstake(c.operator.getSender(), (toNano('1') * BigInt(s.permille)) / 1000n);
              break;
            case 'close':
              await users[s.u].account.sendClose(users[s.u].wallet.getSender());
              break;
            case 'wait':
              c.blockchain.now = (c.blockchain.now ?? 0) + s.secs;
              break;
            case 'withdraw':
              mayFall.set(s.u, a?.available ?? 0n);
              await users[s.u].account.sendWithdraw(users[s.u].wallet.getSender());
              break;
            case 'cosigned': {
              if (!a) break;
              const amount = (a.available * BigInt(s.permille)) / 1000n;
              mayFall.set(s.u, amount);
              const signature = c.operatorSigns.withdrawal(
                users[s.u].account.address,
                amount,
                a.claimed,
                a.withdrawNonce,
              );
              await users[s.u].account.sendWithdrawCosigned(users[s.u].wallet.getSender(), {
                amount,
                nonce: a.withdrawNonce,
                signature,
              });
              break;
            }
          }

          const after = await snapshot();
          after.accounts.forEach((d, i) => {
            expect(d.claimed).toBeLessThanOrEqual(signedMax[i]);
            expect(d.deposited - d.claimed - d.withdrawn).toBe(d.available);
            expect(d.available).toBeGreaterThanOrEqual(0n);
            expect(d.balance).toBeGreaterThanOrEqual(d.available);
            const fall = before.accounts[i].available - d.available;
            if (fall > 0n) expect(fall).toBeLessThanOrEqual(mayFall.get(i) ?? 0n);
          });
          const v = after.v;
          if (v.totalClaimed > before.v.totalClaimed) moved.claims++;
          if (v.totalPaid > before.v.totalPaid) moved.payouts++;
          if (v.totalFees > before.v.totalFees) moved.fees++;
          if (after.accounts.some((d, i) => d.withdrawn > before.accounts[i].withdrawn)) moved.exits++;
          expect(v.totalPaid + v.totalFees).toBeLessThanOrEqual(v.totalClaimed + v.stake);
          expect(after.vaultBalance).toBeGreaterThanOrEqual(
            v.totalClaimed + v.stake - v.totalPaid - v.totalFees,
          );
          expect(v.totalFees).toBeLessThanOrEqual((v.totalClaimed * 500n) / 10500n);
          before = after;
        }
      }),
      { numRuns: 30 },
    );
    expect(moved.claims).toBeGreaterThan(10);
    expect(moved.payouts).toBeGreaterThan(5);
    expect(moved.fees).toBeGreaterThan(0);
    expect(moved.exits).toBeGreaterThan(0);
    console.log('invariants: steps where money moved', moved);
  });
});
