// Attacks on the on-chain money paths (issue 26), on the proxy's sandbox chain with the real contracts:
// a rig owner switching wallets between earnings payouts must not be paid twice, a released wallet bound by
// another account neither inherits nor doubles the total, and an on-chain user can't have more than one job
// unpaid for at once.

import { randomBytes } from 'node:crypto';
import { userAccountMessages } from '@cocoon/contracts/client';
import { balanceOf, type Db, type ProxyServer, postTx, SYSTEM, userAccount } from '@cocoon/proxy';
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
  userWithWallet,
  walletSends,
} from '@cocoon/proxy/testing';
import type { CocoonClient } from '@cocoon/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const TON = 1_000_000_000n;
let db: Db;
let proxy: ProxyServer;
let workers: TestWorker[] = [];

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await resetDb(db);
  proxy = await startTestProxy(db, {
    ONCHAIN_ACCOUNTS: 'true',
    ONCHAIN_CLAIM_THRESHOLD_NANO: '1',
    TRIAL_CREDIT_NANO: '0',
    RIG_COOLDOWN_MS: '0',
  });
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
  await proxy?.close();
});

const vaultPaid = async () => (await proxy.ctx.onchain!.vaultData()).totalPaid;

/** Withdrawable money for `userId`, as earnings would be (a custodial credit). */
async function credit(userId: string, amount: bigint) {
  await postTx(db, {
    kind: 'deposit',
    uniqueKey: `test-credit:${userId}:${amount}`,
    transfers: [{ from: SYSTEM.deposits, to: userAccount(userId), amount }],
  });
}

/** Moves `amount` to the owner's on-chain payout and claims the voucher from the bound wallet's RigAccount. */
async function payoutAndClaim(client: CocoonClient, wallet: DevWallet, amount: bigint) {
  const view = await client.onchainPayout(amount);
  await walletSends(proxy, wallet, [
    {
      address: view.rigAccount!,
      amount: (TON / 10n).toString(),
      payload: view.payout!.payload,
      stateInit: view.payout!.stateInit,
    },
  ]);
  return view;
}

/** Binds `next` in place of `current`, with the old wallet's proof (takes effect at once). */
async function switchWallet(client: CocoonClient, current: DevWallet, next: DevWallet) {
  await client.request('POST', '/v1/me/wallet', {
    ...(await proofBody(proxy, client, next)),
    previousWalletProof: await proofBody(proxy, client, current),
  });
  expect((await client.onchainAccount()).wallet).toBeTruthy();
}

describe('on-chain earnings payouts under wallet switches', () => {
  it('a payout claimed from W1, then the wallet switched to W2: the vault pays only what the ledger moved', async () => {
    const { client, wallet: w1 } = await userWithWallet(proxy, 2002);
    await credit('2002', 3n * TON);
    await payoutAndClaim(client, w1, 2n * TON);
    expect(await vaultPaid()).toBe(2n * TON);

    const w2 = await devWallet(proxy);
    await switchWallet(client, w1, w2);
    const view = await payoutAndClaim(client, w2, TON / 10n);
    // W2's RigAccount starts at paid = 0: its voucher covers what was moved for W2 alone.
    expect(await vaultPaid()).toBe(2n * TON + TON / 10n);
    expect(BigInt(view.payout!.amountNano)).toBe(TON / 10n);
  });

  it('a released wallet bound by another account neither inherits nor doubles the total', async () => {
    const a = await userWithWallet(proxy, 2003);
    await credit('2003', 3n * TON);
    await payoutAndClaim(a.client, a.wallet, 2n * TON);
    // A moves on to another wallet; W1 is free, and B binds it.
    await switchWallet(a.client, a.wallet, await devWallet(proxy));
    const b = await userWithWalletOf(2004, a.wallet);
    await credit('2004', TON);
    await payoutAndClaim(b.client, a.wallet, TON / 2n);
    // W1's RigAccount was paid 2 TON for A: B's 0.5 TON is paid once, on top, and nothing more.
    expect(await vaultPaid()).toBe(2n * TON + TON / 2n);
  });
});

/** Account `telegramId` binding an existing sandbox wallet. */
async function userWithWalletOf(telegramId: number, wallet: DevWallet) {
  const client = userClient(proxy, telegramId);
  await client.request('POST', '/v1/me/wallet', await proofBody(proxy, client, wallet));
  return { client, wallet };
}

describe('on-chain earnings payouts from before the totals were kept per wallet', () => {
  it("a wallet whose earlier vouchers the database doesn't know continues from its RigAccount's count", async () => {
    const { client, wallet } = await userWithWallet(proxy, 2005);
    await credit('2005', 3n * TON);
    await payoutAndClaim(client, wallet, TON);
    // As for a wallet an owner used before migration 014: the chain paid it, this database has no row for it.
    await db.query('DELETE FROM rig_account_payouts');
    const view = await payoutAndClaim(client, wallet, TON / 2n);
    // The voucher continues from what the RigAccount was paid (a lower amount or seq would be refused).
    expect(view.payout).toMatchObject({ amountNano: String(TON + TON / 2n), seq: '2' });
    expect(await vaultPaid()).toBe(TON + TON / 2n);
  });
});

describe('on-chain exposure', () => {
  it('ten jobs submitted at once by an on-chain user who never signs: one runs, the rest are refused', async () => {
    const owner = userClient(proxy, 2010);
    const { rig, token } = await owner.registerRig('rig');
    // A slow rig with room for every job: without a bound they would all be queued or running at once.
    const worker = startTestWorker({ url: proxy.url, token, slots: 10, delayMs: 50 });
    workers.push(worker);
    await worker.rigId;
    await owner.setAsk(rig.id, 'test-echo', 5_000_000n);
    // This client signs no voucher: each job it gets is money the proxy may never be paid.
    const { client, wallet, address } = await onchainUser(proxy, 1010, 2n * TON, randomBytes(32), false);
    const runs = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        client.runJob({
          model: 'test-echo',
          body: { kind: 'generate', prompt: `job ${i} a b c d e f`, maxTokens: 20 },
        }),
      ),
    );
    const refused = runs.filter((r) => r.status === 'rejected').map((r) => r.reason);
    expect(runs.length - refused.length).toBe(1);
    for (const err of refused) {
      expect(err).toMatchObject({ status: 409 });
      expect(['onchain_job_open', 'voucher_due']).toContain(err.code);
    }
    // The user exits with everything the contract holds: the operator loses the one unsigned job, no more.
    const done = runs.find((r) => r.status === 'fulfilled')!.value;
    await exit(wallet, address, (await client.me()).telegramId);
    expect(await balanceOf(db, SYSTEM.onchainShortfall)).toBe(-done.costNano);
  });
});

/** `close`, the close delay, `withdraw`, from the user's wallet; then the ledger brought level. */
async function exit(wallet: DevWallet, address: string, userId: string) {
  const comment = (t: string) => userAccountMessages.comment(t).toBoc().toString('base64');
  await walletSends(proxy, wallet, [{ address, amount: OP_VALUE, payload: comment('close') }]);
  await proxy.ctx.onchain!.sweep();
  const chain = proxy.ctx.ton.sandbox!;
  chain.blockchain.now = Math.floor(Date.now() / 1000) + proxy.ctx.config.ONCHAIN_CLOSE_DELAY_S + 60;
  await walletSends(proxy, wallet, [{ address, amount: OP_VALUE, payload: comment('withdraw') }]);
  await proxy.ctx.onchain!.sync(userId);
}
