// On-chain accounts end to end on the proxy's in-process sandbox chain, with real contracts and real
// signatures: a wallet holder deploys their account with a first deposit and authorizes a spend key from
// their wallet (the sandbox wallet, as TON Connect would send it), jobs are paid from it and each is signed
// for by the client's spend key, the proxy claims the vouchers, a rig owner is paid through their RigAccount,
// and the user exits alone after the close delay. Balances are read from the contracts' get-methods, and at
// each step the chain and the ledger agree to the nanoTON.

import { randomBytes } from 'node:crypto';
import { depositCredit, userAccountMessages } from '@cocoon/contracts/client';
import { type Db, ledgerTotals, type ProxyServer, refundUnvouched } from '@cocoon/proxy';
import {
  type DevWallet,
  onchainUser as openOnchain,
  openTestDb,
  resetDb,
  walletSends as sendFrom,
  startTestProxy,
  startTestWorker,
  type TestWorker,
  userClient,
  userWithWallet,
} from '@cocoon/proxy/testing';
import { CONTRACT, memoryVoucherStore } from '@cocoon/shared';
import { keyPairFromSeed } from '@ton/crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const TON = 1_000_000_000n;
const CLOSE_DELAY_S = 3600;
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
    ONCHAIN_CLOSE_DELAY_S: String(CLOSE_DELAY_S),
    // Claim every voucher at once here, to see each land.
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

const sandbox = () => proxy.ctx.ton.sandbox!;

const walletSends = (w: DevWallet, messages: Parameters<typeof sendFrom>[2]) => sendFrom(proxy, w, messages);
const withWallet = (telegramId: number, extra: Parameters<typeof userClient>[3] = {}) =>
  userWithWallet(proxy, telegramId, extra);

const comment = (t: string) => userAccountMessages.comment(t).toBoc().toString('base64');

async function echoRig(ownerId: number) {
  const owner = userClient(proxy, ownerId);
  const { rig, token } = await owner.registerRig('rig');
  const worker = startTestWorker({ url: proxy.url, token });
  workers.push(worker);
  await worker.rigId;
  await owner.setAsk(rig.id, 'test-echo', 5_000_000n);
}

/** A user whose jobs are paid from an account contract with `deposit` in it and the spend key of `seed`. */
async function onchainUser(telegramId: number, deposit: bigint, seed = randomBytes(32), signs = true) {
  const user = await openOnchain(proxy, telegramId, deposit, seed, signs);
  return { ...user, me: await user.client.me() };
}

/** What the contract says, what the ledger says, and whether they agree (available = mirror + held + unclaimed). */
async function books(client: ReturnType<typeof userClient>, userId: string) {
  const view = await client.onchainAccount();
  const held = await db.query<{ s: string | null }>(
    `SELECT sum(a.balance)::text AS s FROM jobs j JOIN accounts a ON a.id = 'hold:' || j.id::text
     WHERE j.user_id = $1 AND j.pays_onchain`,
    [userId],
  );
  const chainAvailable = BigInt(view.account!.available);
  const unclaimed = BigInt(view.voucheredNano) - BigInt(view.account!.claimed);
  const ledgerSide = BigInt(view.mirrorNano) + BigInt(held.rows[0].s ?? '0');
  return { view, chainAvailable, unclaimed, ledgerSide, agree: chainAvailable - unclaimed === ledgerSide };
}

describe('on-chain accounts', () => {
  it('deposit, spend key, jobs signed for, claims, a rig payout and an exit: chain and ledger agree throughout', async () => {
    // A rig, owned by someone with a bound wallet (they are paid on chain at the end).
    const owner = await withWallet(2002);
    const { rig, token } = await owner.client.registerRig('rig');
    const worker = startTestWorker({ url: proxy.url, token });
    workers.push(worker);
    await worker.rigId;
    await owner.client.setAsk(rig.id, 'test-echo', 5_000_000n);

    // The user's spend key is made here and never given to the proxy: only its public half goes on chain.
    const seed = randomBytes(32);
    const spend = keyPairFromSeed(seed);
    const store = memoryVoucherStore();
    const { client, wallet } = await withWallet(1001, { spendKey: { seed, store } });
    const me = await client.me();
    const before = await client.onchainAccount();
    expect(before).toMatchObject({ registered: false, account: { deployed: false } });

    // Deploy with a first deposit, then authorize the spend key, from the wallet.
    await walletSends(wallet, [
      {
        address: before.account!.address,
        amount: (3n * TON).toString(),
        stateInit: before.account!.stateInit,
        payload: before.account!.depositPayload,
      },
    ]);
    await walletSends(wallet, [
      {
        address: before.account!.address,
        amount: (5n * TON) / 100n + '',
        payload: userAccountMessages
          .setSpendKey({ key: spend.publicKey, allowance: 0n, period: 0 })
          .toBoc()
          .toString('base64'),
      },
    ]);
    const registered = await client.registerOnchain();
    expect(registered.registered).toBe(true);
    expect(registered.account!.spendKey).toBe(spend.publicKey.toString('hex'));
    expect(BigInt(registered.account!.deposited)).toBe(depositCredit(3n * TON, false));
    expect(BigInt(registered.mirrorNano)).toBe(depositCredit(3n * TON, false));
    // Its balance says so (the bot's /balance reads it); a custodial user has none.
    expect((await client.me()).onchainNano).toBe(registered.mirrorNano);
    expect((await owner.client.me()).onchainNano).toBeNull();

    // Two jobs, each paid from the account and signed for by the client; each voucher is claimed on chain.
    let spent = 0n;
    for (const prompt of ['hello chain', 'and again']) {
      const done = await client.runJob({
        model: 'test-echo',
        body: { kind: 'generate', prompt, maxTokens: 20 },
      });
      spent += done.costNano;
      const b = await books(client, me.telegramId);
      expect(BigInt(b.view.voucheredNano)).toBe(spent);
      expect(BigInt(b.view.account!.claimed)).toBe(spent);
      expect(b.agree).toBe(true);
    }
    expect(await store.get()).toEqual({ amountNano: spent, seq: 2n });
    const vault = await proxy.ctx.onchain!.vault.getVaultData(vaultProvider());
    expect(vault.totalClaimed).toBe(spent);

    // The rig owner moves their earnings to an on-chain payout and their RigAccount collects it.
    const earned = BigInt((await owner.client.me()).withdrawableNano);
    expect(earned).toBeGreaterThan(0n);
    const payout = (await owner.client.onchainPayout(earned)).payout!;
    expect(BigInt(payout.amountNano)).toBe(earned);
    const ownerBefore = await sandbox().balanceOf(owner.wallet.address);
    const rigAccount = (await owner.client.onchainAccount()).rigAccount!;
    await walletSends(owner.wallet, [
      {
        address: rigAccount,
        amount: (TON / 10n).toString(),
        payload: payout.payload,
        stateInit: payout.stateInit,
      },
    ]);
    const ownerGot = (await sandbox().balanceOf(owner.wallet.address)) - ownerBefore;
    // Paid the earnings, less what the claim message cost the owner's wallet (gas and the rig reserve).
    expect(ownerGot).toBeGreaterThan(earned - TON / 10n);
    expect(ownerGot).toBeLessThanOrEqual(earned);
    expect((await proxy.ctx.onchain!.vault.getVaultData(vaultProvider())).totalPaid).toBe(earned);

    // The user exits alone: "close", the delay, "withdraw": they get exactly what is unclaimed.
    await walletSends(wallet, [
      { address: before.account!.address, amount: '50000000', payload: comment('close') },
    ]);
    await walletSends(wallet, [
      { address: before.account!.address, amount: '50000000', payload: comment('withdraw') },
    ]);
    expect(BigInt((await client.onchainAccount()).account!.withdrawn)).toBe(0n); // too early: refused
    sandbox().blockchain.now = Math.floor(Date.now() / 1000) + CLOSE_DELAY_S + 60;
    const available = BigInt((await client.onchainAccount()).account!.available);
    expect(available).toBe(depositCredit(3n * TON, false) - spent);
    const walletBefore = await sandbox().balanceOf(wallet.address);
    await walletSends(wallet, [
      { address: before.account!.address, amount: '50000000', payload: comment('withdraw') },
    ]);
    const gotBack = (await sandbox().balanceOf(wallet.address)) - walletBefore;
    expect(gotBack).toBeGreaterThan(available - 50_000_000n);
    const after = await books(client, me.telegramId);
    expect(BigInt(after.view.account!.withdrawn)).toBe(available);
    expect(after.view.mirrorNano).toBe('0');
    expect(after.agree).toBe(true);
    expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
  });
  it('during the close delay the operator claims the last voucher signed, and the user gets the rest', async () => {
    await proxy.close();
    proxy = await startTestProxy(db, {
      ONCHAIN_ACCOUNTS: 'true',
      ONCHAIN_CLOSE_DELAY_S: String(CLOSE_DELAY_S),
      // Never reached here: only the exit makes the proxy claim.
      ONCHAIN_CLAIM_THRESHOLD_NANO: String(100n * TON),
      TRIAL_CREDIT_NANO: '0',
    });
    await echoRig(2003);
    const { client, wallet, address } = await onchainUser(1003, 2n * TON);
    const done = await client.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'x y z', maxTokens: 20 },
    });
    let view = await client.onchainAccount();
    expect(BigInt(view.voucheredNano)).toBe(done.costNano);
    expect(view.account!.claimed).toBe('0');

    await walletSends(wallet, [{ address, amount: '50000000', payload: comment('close') }]);
    await proxy.ctx.onchain!.sweep();
    view = await client.onchainAccount();
    expect(BigInt(view.account!.claimed)).toBe(done.costNano);
    sandbox().blockchain.now = Math.floor(Date.now() / 1000) + CLOSE_DELAY_S + 60;
    await walletSends(wallet, [{ address, amount: '50000000', payload: comment('withdraw') }]);
    view = await client.onchainAccount();
    expect(BigInt(view.account!.withdrawn)).toBe(depositCredit(2n * TON, false) - done.costNano);
    expect(view.mirrorNano).toBe('0');
    expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
  });

  it('refuses a voucher that is not the next one, not the spend key’s, or missing; the client refuses to sign more than a job cost', async () => {
    await echoRig(2004);
    const seed = randomBytes(32);
    const { client } = await onchainUser(1004, 2n * TON, seed, false);
    // This client signs nothing by itself: the test signs, well or badly.
    const done = await client.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'a b', maxTokens: 10 },
    });
    const view = await client.onchainAccount();
    expect(view.voucherDue).toEqual({ jobId: done.jobId, amountNano: done.costNano.toString() });
    // The next job waits for this one's voucher.
    await expect(
      client.runJob({ model: 'test-echo', body: { kind: 'generate', prompt: 'c', maxTokens: 10 } }),
    ).rejects.toMatchObject({ status: 409, code: 'voucher_due' });

    const config = await client.onchainConfig();
    const sign = async (amount: bigint, seq: bigint, key = seed) => {
      const { signSpendVoucher } = await import('@cocoon/contracts/client');
      const { Address } = await import('@ton/core');
      const signature = signSpendVoucher(
        { vault: Address.parse(config.vault!), account: Address.parse(view.account!.address), amount, seq },
        keyPairFromSeed(key).secretKey,
      );
      return { amountNano: amount.toString(), seq: seq.toString(), signature: signature.toString('base64') };
    };
    const post = (body: Awaited<ReturnType<typeof sign>>) =>
      client.call(CONTRACT.signJob, { params: { id: done.jobId }, body });
    await expect(post(await sign(done.costNano + 1n, 1n))).rejects.toMatchObject({ code: 'wrong_voucher' });
    await expect(post(await sign(done.costNano, 2n))).rejects.toMatchObject({ code: 'wrong_voucher' });
    await expect(post(await sign(done.costNano, 1n, randomBytes(32)))).rejects.toMatchObject({
      code: 'bad_signature',
    });
    await post(await sign(done.costNano, 1n));
    await expect(post(await sign(done.costNano, 1n))).rejects.toMatchObject({ code: 'already_vouchered' });

    // A proxy that asks the client to sign more than the job cost is refused by the client.
    const inflating: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).endsWith('/v1/me/onchain') || init?.method === 'POST') return res;
      const body = await res.json();
      if (body.voucherDue) body.voucherDue.amountNano = (BigInt(body.voucherDue.amountNano) + 1n).toString();
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    };
    const lied = userClient(proxy, 1004, undefined, { spendKey: { seed }, fetch: inflating });
    await expect(
      lied.runJob({ model: 'test-echo', body: { kind: 'generate', prompt: 'd e', maxTokens: 10 } }),
    ).rejects.toMatchObject({ code: 'voucher_refused' });
  });
  it('commits the ledger hash to the vault, and a proxy refuses a database older than the last commit', async () => {
    await echoRig(2005);
    const { client } = await onchainUser(1005, 2n * TON);
    await client.runJob({ model: 'test-echo', body: { kind: 'generate', prompt: 'p q', maxTokens: 10 } });
    expect(await proxy.ctx.onchain!.commitLedger()).toBe(true);
    expect(await proxy.ctx.onchain!.commitLedger()).toBe(false); // nothing changed since
    expect((await proxy.ctx.onchain!.vaultData()).commitSeq).toBe(1n);
    // A database restored from before that commit: the same chain, one commit fewer here.
    await db.query('DELETE FROM ledger_commits');
    await expect(proxy.ctx.onchain!.checkNotRolledBack()).rejects.toThrow(
      /older than the ledger committed on chain: the vault has commit 1, this database only 0/,
    );
  });
  it('a job refunded by an audit is paid back into the account contract; claimed never decreases', async () => {
    await echoRig(2006);
    const { client } = await onchainUser(1006, 2n * TON);
    const me = await client.me();
    const done = await client.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'r s t', maxTokens: 10 },
    });
    const before = await books(client, me.telegramId);
    const job = await db.query<{ rig_id: string; owner_id: string }>(
      'SELECT j.rig_id, r.owner_id FROM jobs j JOIN rigs r ON r.id = j.rig_id WHERE j.id = $1',
      [done.jobId],
    );
    // An audit proved the rig wrong: its unvouched jobs go back to their users.
    await db.tx((q) => refundUnvouched(q, job.rows[0].rig_id, job.rows[0].owner_id, 0n, 'test'));
    expect(await proxy.ctx.onchain!.payRefunds()).toBe(1);
    const after = await books(client, me.telegramId);
    expect(BigInt(after.view.account!.deposited) - BigInt(before.view.account!.deposited)).toBe(
      done.costNano,
    );
    expect(after.view.account!.claimed).toBe(before.view.account!.claimed);
    expect(BigInt(after.view.mirrorNano) - BigInt(before.view.mirrorNano)).toBe(done.costNano);
    expect(after.agree).toBe(true);
    expect(await proxy.ctx.onchain!.payRefunds()).toBe(0); // paid once
    expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
  });
});

function vaultProvider() {
  const chain = proxy.ctx.ton.sandbox!;
  return chain.blockchain.provider(proxy.ctx.onchain!.vault.address);
}
