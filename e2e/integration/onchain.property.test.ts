// On-chain accounts under random use (fast-check, bounded): deposits, jobs signed for, claims at random
// thresholds, audit refunds, rig payouts, rig owners switching wallets (and taking up each other's released
// ones), RigAccount claims of every earnings voucher ever signed (stale ones replayed), and exits, in any
// order, on the proxy's sandbox chain with the real contracts. After every step: the chain and the ledger
// agree for every user to the nanoTON, the ledger sums to zero, nothing was claimed beyond what a user signed,
// the vault holds at least what it owes, and it has paid rig owners at most what the ledger moved to their
// payouts (exactly that, once every voucher is claimed).
import { randomBytes } from 'node:crypto';
import { userAccountMessages } from '@cocoon/contracts/client';
import {
  balanceOf,
  type Db,
  ledgerTotals,
  type ProxyServer,
  postTx,
  refundUnvouched,
  SYSTEM,
  userAccount,
} from '@cocoon/proxy';
import {
  type DevWallet,
  devWallet,
  OP_VALUE,
  onchainUser,
  openTestDb,
  proofBody,
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
  | { kind: 'payout'; owner: number; share: number }
  | { kind: 'switch'; owner: number; to: number }
  | { kind: 'collect' }
  | { kind: 'exit'; user: number };

const user = fc.integer({ min: 0, max: 1 });
const owner = fc.integer({ min: 0, max: 1 });
const poolWallet = fc.integer({ min: 0, max: 2 });
/**
 * Issue 26's attack, run first: paid out and claimed from one wallet, switched, paid out and claimed again;
 * then the released wallet is bound by the other owner, who is paid through it.
 */
const ATTACK: Step[] = [
  { kind: 'payout', owner: 1, share: 50 },
  { kind: 'collect' },
  { kind: 'switch', owner: 1, to: 2 },
  { kind: 'payout', owner: 1, share: 10 },
  { kind: 'collect' },
  { kind: 'switch', owner: 0, to: 1 },
  { kind: 'payout', owner: 0, share: 10 },
  { kind: 'collect' },
];

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), user, tenths: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('job' as const), user, words: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('job' as const), user, words: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('claim' as const), user }),
  fc.record({ kind: fc.constant('refund' as const) }),
  fc.record({ kind: fc.constant('payout' as const), owner, share: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ kind: fc.constant('payout' as const), owner, share: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ kind: fc.constant('switch' as const), owner, to: poolWallet }),
  fc.record({ kind: fc.constant('collect' as const) }),
  fc.record({ kind: fc.constant('exit' as const), user }),
);

describe('on-chain accounts, property', () => {
  it('any sequence keeps chain and ledger level, the ledger at zero, claims within vouchers, the vault solvent and paying out at most what the ledger moved', async () => {
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
          const world: World = {
            rigId: rig.id,
            users: [
              await onchainUser(proxy, 1101, TON, randomBytes(32)),
              await onchainUser(proxy, 1102, TON, randomBytes(32)),
            ],
            ...(await rigOwners(proxy)),
            vouchers: [],
          };
          for (const s of steps) {
            moved += await apply(proxy, s, world);
            await checkInvariants(proxy, world.users);
          }
          // Once every earnings voucher is claimed, the vault paid exactly what the ledger moved.
          await collect(proxy, world);
          const paid = await payouts(proxy);
          expect(paid.vault).toBe(paid.ledger);
        } finally {
          await Promise.all(workers.map((w) => w.close()));
          await proxy.close();
        }
      }),
      { numRuns: 7, seed: 20261130, endOnFailure: true, examples: [[ATTACK]] },
    );
    expect(runs).toBe(7);
    // The sequences did move money (so the invariants were tested on something).
    expect(moved).toBeGreaterThan(10);
  });
});

type Users = Array<Awaited<ReturnType<typeof onchainUser>>>;
type Owner = { id: string; client: ReturnType<typeof userClient>; wallet: number };
/** Every earnings voucher the proxy ever showed, with the pool wallet whose RigAccount it names. */
type Voucher = { wallet: number; rigAccount: string; payload: string; stateInit: string };
type World = { rigId: string; users: Users; owners: Owner[]; pool: DevWallet[]; vouchers: Voucher[] };

/**
 * Two rig owners (9001 runs the rig; both have custodial money) bound to the first two of three sandbox
 * wallets; the third is free. Wallets move between them by the steps.
 */
async function rigOwners(proxy: ProxyServer): Promise<Pick<World, 'owners' | 'pool'>> {
  const pool = [await devWallet(proxy), await devWallet(proxy), await devWallet(proxy)];
  const owners: Owner[] = [];
  for (const [i, id] of ['9001', '9002'].entries()) {
    const client = userClient(proxy, Number(id));
    await client.request('POST', '/v1/me/wallet', await proofBody(proxy, client, pool[i]));
    owners.push({ id, client, wallet: i });
  }
  // Custodial money of their own, movable to a payout from the first step.
  for (const { id } of owners)
    await postTx(db, {
      kind: 'deposit',
      uniqueKey: `property-credit:${id}`,
      transfers: [{ from: SYSTEM.deposits, to: userAccount(id), amount: TON }],
    });
  return { owners, pool };
}

/** What the vault paid rig owners, and what the ledger moved to their on-chain payouts. */
async function payouts(proxy: ProxyServer): Promise<{ vault: bigint; ledger: bigint }> {
  const vault = (await proxy.ctx.onchain!.vaultData()).totalPaid;
  return { vault, ledger: await balanceOf(db, SYSTEM.onchainPayouts) };
}

/**
 * Each pool wallet presents every voucher ever shown for its RigAccount, oldest first (replays included), as
 * someone holding all the wallets would.
 */
async function collect(proxy: ProxyServer, world: World): Promise<number> {
  for (const v of world.vouchers) {
    await walletSends(proxy, world.pool[v.wallet], [
      { address: v.rigAccount, amount: (TON / 10n).toString(), payload: v.payload, stateInit: v.stateInit },
    ]);
  }
  return world.vouchers.length;
}

async function payout(world: World, s: { owner: number; share: number }): Promise<number> {
  const o = world.owners[s.owner];
  const amount = (BigInt((await o.client.me()).withdrawableNano) * BigInt(s.share)) / 100n;
  if (amount <= 0n) return 0;
  const view = await o.client.onchainPayout(amount);
  world.vouchers.push({
    wallet: o.wallet,
    rigAccount: view.rigAccount!,
    payload: view.payout!.payload,
    stateInit: view.payout!.stateInit,
  });
  return 1;
}

/** The owner binds pool wallet `to` with the old wallet's proof; one the other owner holds is refused. */
async function switchWallet(proxy: ProxyServer, world: World, s: { owner: number; to: number }) {
  const o = world.owners[s.owner];
  const taken = world.owners.some((x) => x !== o && x.wallet === s.to);
  const r = await o.client
    .request('POST', '/v1/me/wallet', {
      ...(await proofBody(proxy, o.client, world.pool[s.to])),
      previousWalletProof: await proofBody(proxy, o.client, world.pool[o.wallet]),
    })
    .catch((err) => err);
  expect(r instanceof Error).toBe(taken);
  if (taken) return 0;
  o.wallet = s.to;
  return 1;
}

async function apply(proxy: ProxyServer, s: Step, world: World): Promise<number> {
  const chain = proxy.ctx.ton.sandbox!;
  const onchain = proxy.ctx.onchain!;
  const users = world.users;
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
      const owner = await db.query<{ owner_id: string }>('SELECT owner_id FROM rigs WHERE id = $1', [
        world.rigId,
      ]);
      const r = await db.tx((q) =>
        refundUnvouched(q, world.rigId, owner.rows[0].owner_id, 0n, `p${Date.now()}`),
      );
      await onchain.payRefunds();
      return r.jobs;
    }
    case 'payout':
      return payout(world, s);
    case 'switch':
      return switchWallet(proxy, world, s);
    case 'collect':
      return collect(proxy, world);
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
  // The platform's fees never go below zero (refunds beyond them are the operator's booked loss).
  expect(await balanceOf(db, SYSTEM.fees)).toBeGreaterThanOrEqual(0n);
  // The vault never paid rig owners more than the ledger moved to their on-chain payouts.
  const paid = await payouts(proxy);
  expect(paid.vault).toBeLessThanOrEqual(paid.ledger);
}
