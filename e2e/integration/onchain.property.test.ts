// On-chain accounts under random use (fast-check, bounded): deposits, jobs signed for, claims at random
// thresholds, audit refunds, rig payouts and exits, in any order, on the proxy's sandbox chain with the real
// contracts. After every step: the chain and the ledger agree for every user to the nanoTON, the ledger sums
// to zero, nothing was claimed beyond what a user signed, and the vault holds at least what it owes.
import { randomBytes } from 'node:crypto';
import { userAccountMessages } from '@cocoon/contracts/client';
import { type Db, ledgerTotals, type ProxyServer, refundUnvouched } from '@cocoon/proxy';
import {
  OP_VALUE,
  onchainUser,
  openTestDb,
  resetDb,
  startTestProxy,
  startTestWorker,
  type TestWorker,
  userClient,
  walletSends,
} from '@cocoon/proxy/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TON = 1_000_000_000n;
const CLOSE_DELAY_S = 600;
let db: Db;

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});

type Step =
  | { kind: 'deposit'; user: number; tenths: number }
  | { kind: 'job'; user: number; words: number }
  | { kind: 'claim'; user: number }
  | { kind: 'refund' }
  | { kind: 'payout'; share: number }
  | { kind: 'exit'; user: number };

const user = fc.integer({ min: 0, max: 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), user, tenths: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('job' as const), user, words: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('job' as const), user, words: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('claim' as const), user }),
  fc.record({ kind: fc.constant('refund' as const) }),
  fc.record({ kind: fc.constant('payout' as const), share: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ kind: fc.constant('exit' as const), user }),
);

describe('on-chain accounts, property', () => {
  it('any sequence keeps chain and ledger level, the ledger at zero, claims within vouchers and the vault solvent', async () => {
    let runs = 0;
    let moved = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: 10 }), async (steps) => {
        runs++;
        await resetDb(db);
        const proxy = await startTestProxy(db, {
          ONCHAIN_ACCOUNTS: 'true',
          ONCHAIN_CLOSE_DELAY_S: String(CLOSE_DELAY_S),
          ONCHAIN_CLAIM_THRESHOLD_NANO: String(TON),
          TRIAL_CREDIT_NANO: '0',
          RIG_COOLDOWN_MS: '0',
          AUDIT_PENALTY_NANO: '0',
        });
        const workers: TestWorker[] = [];
        try {
          const owner = userClient(proxy, 9001);
          const { rig, token } = await owner.registerRig('rig');
          workers.push(startTestWorker({ url: proxy.url, token }));
          await workers[0].rigId;
          await owner.setAsk(rig.id, 'test-echo', 20_000_000n);
          const users = [
            await onchainUser(proxy, 1101, TON, randomBytes(32)),
            await onchainUser(proxy, 1102, TON, randomBytes(32)),
          ];
          for (const s of steps) {
            moved += await apply(proxy, s, users, rig.id);
            await checkInvariants(proxy, users);
          }
        } finally {
          await Promise.all(workers.map((w) => w.close()));
          await proxy.close();
        }
      }),
      { numRuns: 6, seed: 20261130, endOnFailure: true },
    );
    expect(runs).toBe(6);
    // The sequences did move money (so the invariants were tested on something).
    expect(moved).toBeGreaterThan(10);
  });
});

type Users = Array<Awaited<ReturnType<typeof onchainUser>>>;

async function apply(proxy: ProxyServer, s: Step, users: Users, rigId: string): Promise<number> {
  const chain = proxy.ctx.ton.sandbox!;
  const onchain = proxy.ctx.onchain!;
  switch (s.kind) {
    case 'deposit': {
      const u = users[s.user];
      await walletSends(proxy, u.wallet, [
        {
          address: u.address,
          amount: ((BigInt(s.tenths) * TON) / 10n).toString(),
          payload: userAccountMessages.deposit().toBoc().toString('base64'),
        },
      ]);
      return 1;
    }
    case 'job': {
      const prompt = Array.from({ length: s.words }, (_, i) => `w${i}`).join(' ');
      const r = await users[s.user].client
        .runJob({ model: 'test-echo', body: { kind: 'generate', prompt, maxTokens: 30 } })
        .catch((err) => err);
      // Refused for too little money, or while exiting: refusals are fine, they must move nothing.
      return r instanceof Error ? 0 : 1;
    }
    case 'claim':
      return (await onchain.claimIfDue((await users[s.user].client.me()).telegramId, true)) ? 1 : 0;
    case 'refund': {
      const owner = await db.query<{ owner_id: string }>('SELECT owner_id FROM rigs WHERE id = $1', [rigId]);
      const r = await db.tx((q) => refundUnvouched(q, rigId, owner.rows[0].owner_id, 0n, `p${Date.now()}`));
      await onchain.payRefunds();
      return r.jobs;
    }
    case 'payout': {
      const earned = BigInt((await userClient(proxy, 9001).me()).withdrawableNano);
      const amount = (earned * BigInt(s.share)) / 100n;
      if (amount <= 0n) return 0;
      // The rig owner's wallet: paid to an address it will claim from later (not claimed here).
      await onchain.payout('9001', chain.serviceAddress(), amount);
      return 1;
    }
    case 'exit': {
      const u = users[s.user];
      const comment = (t: string) => userAccountMessages.comment(t).toBoc().toString('base64');
      await walletSends(proxy, u.wallet, [
        { address: u.address, amount: OP_VALUE, payload: comment('close') },
      ]);
      await onchain.sweep();
      chain.blockchain.now = (chain.blockchain.now ?? Math.floor(Date.now() / 1000)) + CLOSE_DELAY_S + 1;
      await walletSends(proxy, u.wallet, [
        { address: u.address, amount: OP_VALUE, payload: comment('withdraw') },
      ]);
      await onchain.sync((await u.client.me()).telegramId);
      return 1;
    }
  }
}

async function checkInvariants(proxy: ProxyServer, users: Users): Promise<void> {
  for (const u of users) {
    const view = await u.client.onchainAccount();
    const id = (await u.client.me()).telegramId;
    const held = await db.query<{ s: string | null }>(
      `SELECT sum(a.balance)::text AS s FROM jobs j JOIN accounts a ON a.id = 'hold:' || j.id::text
       WHERE j.user_id = $1 AND j.pays_onchain`,
      [id],
    );
    const account = view.account!;
    const unclaimed = BigInt(view.voucheredNano) - BigInt(account.claimed);
    // Nothing claimed beyond what the user signed.
    expect(unclaimed).toBeGreaterThanOrEqual(0n);
    // The chain and the ledger level: what the contract holds for the user, less what they signed for and
    // the vault has not claimed yet, is what the ledger says they have (spendable plus held for running jobs).
    expect(BigInt(account.available) - unclaimed).toBe(
      BigInt(view.mirrorNano) + BigInt(held.rows[0].s ?? '0'),
    );
  }
  expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
  const vault = await proxy.ctx.onchain!.vaultData();
  const balance = await proxy.ctx.ton.sandbox!.balanceOf(proxy.ctx.onchain!.vaultAddress);
  // The vault holds at least what it owes: what users' vouchers brought in and the stake, less what it paid.
  expect(balance).toBeGreaterThanOrEqual(
    vault.totalClaimed + vault.stake - vault.totalPaid - vault.totalFees,
  );
}
