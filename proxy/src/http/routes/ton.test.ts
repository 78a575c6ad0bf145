// TON payments end to end over HTTP, on a real in-process chain (@ton/sandbox: real V4 wallet
// contracts, real Ed25519 signatures, real fees): deposits, ton_proof binding, withdrawals, reconciliation.
import { ApiError, type CocoonClient, createCocoonClient } from '@cocoon/shared';
import { Address } from '@ton/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProxyServer } from '../../app';
import {
  createDepositWatcher,
  createMemoryCursorStore,
  type SandboxChain,
  walletTransactionsSince,
} from '../../chain';
import { holdSenderLease } from '../../custodial/repository';
import type { CustodialTonService } from '../../custodial/service';
import {
  CHAIN_FEES,
  createDbProofPayloadStore,
  createDbWithdrawalQueue,
  requestWithdrawal,
} from '../../custodial/store';
import type { Db } from '../../db';
import { balanceOf, ledgerTotals, SYSTEM } from '../../ledger/ledger';
import {
  openTestDb,
  resetDb,
  spendableNano,
  startTestProxy,
  userAuth,
  userClient,
} from '../../testing/harness';
import {
  anonClient,
  type DevWallet,
  depositVia as depositFrom,
  devWallet as newDevWallet,
  proofBody as proofBodyFor,
} from '../../testing/sandbox-wallets';
import { signTonProof } from '../../wallet/ton-proof';

const TON = 1_000_000_000n;
const TRIAL = 500_000_000n;
const FEE = 10_000_000n; // WITHDRAWAL_FEE_NANO default
let db: Db;
let proxy: ProxyServer;
let ton: CustodialTonService;
let chain: SandboxChain;

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await resetDb(db);
  proxy = await startTestProxy(db);
  ton = proxy.ctx.ton!;
  chain = ton.chain as SandboxChain;
  // Tests drive the loops by hand (routes still poke them); no timers racing the assertions.
  await ton.watcher.stop();
  await ton.sender.stop();
});
afterEach(async () => {
  await proxy?.close();
});

async function expectApiError(p: Promise<unknown>, status: number, code?: string): Promise<ApiError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  expect(err.status).toBe(status);
  if (code) expect(err.code).toBe(code);
  return err;
}

const anon = () => anonClient(proxy);
const devWallet = () => newDevWallet(proxy);
const proofBody = (c: CocoonClient, w: DevWallet, domain?: string) => proofBodyFor(proxy, c, w, domain);
const depositVia = (w: DevWallet, amount: bigint, comment: string) => depositFrom(proxy, w, amount, comment);

async function bindNewWallet(c: CocoonClient): Promise<DevWallet> {
  const w = await devWallet();
  const res = await c.request<{ wallet: string }>('POST', '/v1/me/wallet', await proofBody(c, w));
  expect(res.wallet).toBe(w.address);
  return w;
}

async function expectLedgerBalanced() {
  expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
}

describe('TON config and health', () => {
  it('reports the real chain and the payment settings', async () => {
    const c = userClient(proxy, 1);
    expect((await c.request<{ chain: string }>('GET', '/healthz')).chain).toBe('sandbox');
    expect(await c.request('GET', '/v1/ton/config')).toEqual({
      network: 'sandbox',
      serviceAddress: chain.serviceAddress(),
      minWithdrawalNano: '100000000',
      withdrawalFeeNano: FEE.toString(),
      withdrawalProofAboveNano: (10n * TON).toString(),
      walletChangeDelayS: 86_400,
    });
    expect(chain.serviceAddress()).toMatch(/^UQ/);
  });
});

describe('deposits', () => {
  it('credits a memo deposit exactly once, also after the watcher restarts from scratch', async () => {
    const c = userClient(proxy, 1001);
    const { depositMemo } = await c.me();
    const w = await chain.createUserWallet({ fundNano: 50n * TON });
    // Case and spaces in the comment don't matter.
    await w.sendTransfer({
      to: chain.serviceAddress(),
      amountNano: 3n * TON,
      comment: ` ${depositMemo.toUpperCase()} `,
    });
    await ton.watcher.tick();
    expect(BigInt((await c.me()).balanceNano)).toBe(TRIAL + 3n * TON);

    await ton.watcher.tick();
    // A restart with its cursor lost re-reads the whole history…
    await db.query('DELETE FROM ton_watcher_cursor');
    await ton.watcher.tick();
    // …and so does a second watcher (another process) with a fresh in-memory cursor.
    const other = createDepositWatcher({ chain, sink: ton.sink, cursorStore: createMemoryCursorStore(null) });
    expect((await other.tick()).seen).toBeGreaterThanOrEqual(2);
    expect(BigInt((await c.me()).balanceNano)).toBe(TRIAL + 3n * TON);

    const { entries } = await c.ledger();
    const deposits = entries.filter((e) => e.kind === 'deposit');
    expect(deposits).toHaveLength(1);
    expect(deposits[0].amountNano).toBe((3n * TON).toString());
    await expectLedgerBalanced();
  });

  it('credits at once when the dev sandbox wallet sends through the proxy (TON Connect path)', async () => {
    const c = userClient(proxy, 1002);
    const { depositMemo } = await c.me();
    const w = await devWallet();
    expect(BigInt(w.balanceNano)).toBe(100n * TON);
    expect(w.publicKey).toMatch(/^[0-9a-f]{64}$/);
    // Same id again: the same wallet back, not a new one.
    expect((await anon().request<DevWallet>('POST', '/dev/sandbox-wallet', { id: w.id })).address).toBe(
      w.address,
    );
    await depositVia(w, 2n * TON, depositMemo);
    expect(BigInt((await c.me()).balanceNano)).toBe(TRIAL + 2n * TON);
    await expectLedgerBalanced();
  });

  it('puts deposits with an unknown or missing memo in system:unclaimed, listed for the admin only', async () => {
    const w = await devWallet();
    await ton.watcher.tick(); // reads past the sandbox's own funding of the service wallet first
    const before = await balanceOf(db, SYSTEM.unclaimed);
    await depositVia(w, 1n * TON, 'cocoon-zzzzzzzzzz');
    await depositVia(w, 2n * TON, 'hello there');
    expect((await balanceOf(db, SYSTEM.unclaimed)) - before).toBe(3n * TON);

    const admin = createCocoonClient({
      baseUrl: proxy.url,
      auth: { kind: 'admin', key: proxy.ctx.config.ADMIN_KEY! },
    });
    const list = await admin.request<{
      totalNano: string;
      deposits: { from: string; amountNano: string; comment: string }[];
    }>('GET', '/v1/admin/unclaimed');
    const mine = list.deposits.filter((d) => d.from === w.address);
    expect(mine.map((d) => [d.amountNano, d.comment]).sort()).toEqual([
      [(1n * TON).toString(), 'cocoon-zzzzzzzzzz'],
      [(2n * TON).toString(), 'hello there'],
    ]);
    await expectApiError(userClient(proxy, 5).request('GET', '/v1/admin/unclaimed'), 401);
    // The bot's service key is not the admin credential.
    const bot = createCocoonClient({
      baseUrl: proxy.url,
      auth: { kind: 'service', key: proxy.ctx.config.SERVICE_KEY, telegramId: 1 },
    });
    await expectApiError(bot.request('GET', '/v1/admin/unclaimed'), 401);
    await expectLedgerBalanced();
  });
});

describe('wallet binding with ton_proof', () => {
  it('binds a wallet with a real proof and refuses forged ones with distinct reasons', async () => {
    const c = userClient(proxy, 2001);
    const w = await devWallet();

    // Wrong key: signed by another wallet's key for this wallet's address.
    const intruder = await chain.createUserWallet();
    const good = await proofBody(c, w);
    const forged = {
      ...good,
      proof: signTonProof({
        secretKey: intruder.secretKey,
        address: w.address,
        domain: 'localhost',
        payload: (good.proof as { payload: string }).payload,
        stateInit: w.stateInit,
      }),
    };
    const messages = new Set<string>();
    const refuse = async (body: unknown, code: string) => {
      const err = await expectApiError(c.request('POST', '/v1/me/wallet', body), 400, code);
      messages.add(err.message);
    };
    await refuse(forged, 'ton_proof_bad_signature');
    // Wrong domain.
    await refuse(await proofBody(c, w, 'evil.example'), 'ton_proof_domain_not_allowed');
    // Expired payload (issued by the proxy, but its time is up).
    const stale = 'ab'.repeat(32);
    await createDbProofPayloadStore(db, '2001').issue(stale, Math.floor(Date.now() / 1000) - 10);
    const staleProof = await anon().request('POST', `/dev/sandbox-wallet/${w.id}/ton-proof`, {
      domain: 'localhost',
      payload: stale,
    });
    await refuse({ ...good, proof: staleProof }, 'ton_proof_payload_expired');
    // A payload the proxy never issued.
    const unknownProof = await anon().request('POST', `/dev/sandbox-wallet/${w.id}/ton-proof`, {
      domain: 'localhost',
      payload: 'cd'.repeat(32),
    });
    await refuse({ ...good, proof: unknownProof }, 'ton_proof_payload_unknown');

    // The genuine proof still works (a forged one can't burn its payload)…
    expect((await c.request<{ wallet: string }>('POST', '/v1/me/wallet', good)).wallet).toBe(w.address);
    expect((await c.me()).wallet).toBe(w.address);
    // …once.
    await refuse(good, 'ton_proof_payload_used');
    expect(messages.size).toBe(5);

    // The same wallet can't be bound to a second user.
    const d = userClient(proxy, 2002);
    await expectApiError(d.request('POST', '/v1/me/wallet', await proofBody(d, w)), 409, 'wallet_taken');
    expect((await d.me()).wallet).toBeNull();
  });
});

describe('withdrawals', () => {
  it('refuses a user with no bound wallet, and amounts under the minimum', async () => {
    const c = userClient(proxy, 3001);
    const err = await expectApiError(
      c.request('POST', '/v1/me/withdrawals', { amountNano: '200000000', idempotencyKey: 'k1' }),
      409,
      'wallet_not_bound',
    );
    expect(err.message).toMatch(/bound/);
    await bindNewWallet(c);
    await expectApiError(
      c.request('POST', '/v1/me/withdrawals', { amountNano: '99999999', idempotencyKey: 'k2' }),
      400,
      'below_minimum',
    );
    expect(BigInt((await c.me()).balanceNano)).toBe(TRIAL);
  });

  it('20 concurrent withdrawals never overdraw one balance; a key is paid once; a failure refunds', async () => {
    const c = userClient(proxy, 3002);
    const { depositMemo } = await c.me();
    const w = await bindNewWallet(c);
    await depositVia(w, 7n * TON, depositMemo);
    // Trial credit pays for jobs only: only the deposit can be withdrawn.
    const withdrawable = 7n * TON;
    const balance = TRIAL + withdrawable;
    const amount = 1n * TON;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        c.request<{ id: string; status: string }>('POST', '/v1/me/withdrawals', {
          amountNano: amount.toString(),
          idempotencyKey: `k-${i}`,
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    const expected = Number(withdrawable / (amount + FEE));
    expect(ok).toHaveLength(expected);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ status: 402 });
    expect(BigInt((await c.me()).balanceNano)).toBe(balance - BigInt(expected) * (amount + FEE));

    // Retrying a key that succeeded gives the same withdrawal back and debits nothing.
    const first = (ok[0] as PromiseFulfilledResult<{ id: string }>).value;
    const keyOfFirst = (await c.request<{ withdrawals: { id: string }[] }>('GET', '/v1/me/withdrawals'))
      .withdrawals.length;
    expect(keyOfFirst).toBe(expected);
    const idx = results.indexOf(ok[0]);
    const again = await c.request<{ id: string }>('POST', '/v1/me/withdrawals', {
      amountNano: amount.toString(),
      idempotencyKey: `k-${idx}`,
    });
    expect(again.id).toBe(first.id);
    expect(BigInt((await c.me()).balanceNano)).toBe(balance - BigInt(expected) * (amount + FEE));
    await expectLedgerBalanced();

    // A withdrawal that fails gives back amount and fee, once. (Queued without poking the sender.)
    const left = BigInt((await c.me()).balanceNano);
    const { withdrawal } = await requestWithdrawal(db, {
      userId: '3002',
      amountNano: 200_000_000n,
      feeNano: FEE,
      minNano: 100_000_000n,
      idempotencyKey: 'to-fail',
    });
    expect(BigInt((await c.me()).balanceNano)).toBe(left - 200_000_000n - FEE);
    await createDbWithdrawalQueue(db).markFailed(withdrawal.id, 'test failure');
    await expect(createDbWithdrawalQueue(db).markFailed(withdrawal.id, 'again')).rejects.toThrow();
    expect(BigInt((await c.me()).balanceNano)).toBe(left);
    const refunds = (await c.ledger()).entries.filter((e) => e.kind === 'withdrawal_refund');
    expect(refunds.map((e) => e.amountNano)).toEqual([(200_000_000n + FEE).toString()]);
    await expectLedgerBalanced();
  });

  it('pays the bound wallet on chain and goes pending → sent → confirmed', async () => {
    const c = userClient(proxy, 3003);
    const { depositMemo } = await c.me();
    const w = await bindNewWallet(c);
    await depositVia(w, 5n * TON, depositMemo);
    const queued = await c.request<{ id: string; status: string; toAddress: string; feeNano: string }>(
      'POST',
      '/v1/me/withdrawals',
      { amountNano: (2n * TON).toString(), idempotencyKey: 'pay-1' },
    );
    expect(queued).toMatchObject({ toAddress: w.address, feeNano: FEE.toString() });
    // The route poked the sender; one more tick resolves whatever is still in flight.
    await ton.sender.tick();
    await ton.sender.tick();
    const [view] = (
      await c.request<{ withdrawals: { id: string; status: string; txHash: string }[] }>(
        'GET',
        '/v1/me/withdrawals',
      )
    ).withdrawals;
    expect(view).toMatchObject({ id: queued.id, status: 'confirmed' });
    expect(view.txHash).toMatch(/^[0-9a-f]{64}$/);

    // The user's wallet received exactly the amount, from the service wallet.
    const received = chain
      .rawTransactions(w.address)
      .map((tx) => tx.inMessage?.info)
      .find((i) => i?.type === 'internal' && i.src.equals(Address.parse(chain.serviceAddress())));
    expect(received?.type === 'internal' && received.value.coins).toBe(2n * TON);

    const kinds = (await c.ledger()).entries.map((e) => e.kind);
    expect(kinds).toContain('withdrawal');
    expect(BigInt((await c.me()).balanceNano)).toBe(TRIAL + 5n * TON - 2n * TON - FEE);
    await expectLedgerBalanced();
  });

  it('one proxy process at a time holds the withdrawal sender lease', async () => {
    expect(await holdSenderLease(db, 'proxy-a')).toBe(true);
    expect(await holdSenderLease(db, 'proxy-b')).toBe(false);
    expect(await holdSenderLease(db, 'proxy-a')).toBe(true);
    // The holder goes quiet past the lease: another process takes over.
    await db.query(
      "UPDATE ton_watcher_cursor SET updated_at = now() - interval '1 hour' WHERE id = 'withdrawal-sender-lease'",
    );
    expect(await holdSenderLease(db, 'proxy-b')).toBe(true);
    expect(await holdSenderLease(db, 'proxy-a')).toBe(false);
    // A queue without the lease sees no work.
    expect(await createDbWithdrawalQueue(db, { leaseHolder: 'proxy-a' }).listSent()).toEqual([]);
  });

  it("the service wallet's on-chain balance reconciles with the ledger to the nanoTON", async () => {
    await ton.watcher.tick(); // reads past the service wallet's own funding (see below)
    const users = [userClient(proxy, 4001), userClient(proxy, 4002)];
    const wallets: DevWallet[] = [];
    for (const c of users) {
      const w = await bindNewWallet(c);
      wallets.push(w);
      await depositVia(w, 4n * TON, (await c.me()).depositMemo);
    }
    await depositVia(wallets[0], 1n * TON, 'no memo here');
    let n = 0;
    for (const c of users) {
      for (const amount of [1n * TON, 300_000_000n]) {
        await c.request('POST', '/v1/me/withdrawals', {
          amountNano: amount.toString(),
          idempotencyKey: `r-${n++}`,
        });
        await ton.sender.tick();
      }
    }
    await depositVia(wallets[1], 2n * TON, (await users[1].me()).depositMemo);
    for (let i = 0; i < 10; i++) {
      const open = await db.query("SELECT 1 FROM ton_withdrawals WHERE status <> 'confirmed'");
      if (!open.rows.length) break;
      await ton.sender.tick();
    }
    expect((await db.query("SELECT 1 FROM ton_withdrawals WHERE status <> 'confirmed'")).rows).toHaveLength(
      0,
    );

    const { transactions, complete } = await walletTransactionsSince(chain, -1n);
    expect(complete).toBe(true);
    // Fees the chain took for receiving transfers (deposits and the initial funding), from the
    // wallet's balance rather than from the credited value; the ledger doesn't book them.
    const inboundGas = transactions
      .filter((t) => t.inKind === 'internal')
      .reduce((s, t) => s + t.feesPaidNano, 0n);
    const withdrawalFees = transactions
      .filter((t) => t.inKind === 'external')
      .reduce((s, t) => s + t.feesPaidNano, 0n);
    expect(withdrawalFees).toBeGreaterThan(0n);
    expect(await balanceOf(db, CHAIN_FEES)).toBe(withdrawalFees);

    // Every deposit that came in is in system:deposits (negative); what went out is in system:withdrawals
    // and system:chain_fees. The sandbox's initial 1,000 TON funding of the service wallet is no deposit:
    // the ledger doesn't book it, so it is the constant offset between the wallet and the ledger.
    const deposits = await balanceOf(db, SYSTEM.deposits);
    const withdrawals = await balanceOf(db, SYSTEM.withdrawals);
    const funding = 1_000n * TON;
    expect(-deposits).toBe(4n * TON + 4n * TON + 1n * TON + 2n * TON);
    expect(withdrawals).toBe(2n * (1n * TON + 300_000_000n));
    expect(await chain.getBalance()).toBe(funding - (deposits + withdrawals + withdrawalFees) - inboundGas);

    // Users' money is covered: the wallet holds at least user balances + unclaimed, less the trial
    // credits (granted by the platform, never deposited on chain).
    let owed = (await balanceOf(db, SYSTEM.unclaimed)) + (await balanceOf(db, SYSTEM.trial));
    for (const c of users) owed += BigInt((await c.me()).balanceNano);
    expect(await chain.getBalance()).toBeGreaterThanOrEqual(owed);
    expect(await spendableNano(db, '4001')).toBe(TRIAL + 4n * TON - 1_300_000_000n - 2n * FEE);
    await expectLedgerBalanced();
  });
});

describe('a stolen session cannot redirect withdrawals', () => {
  type WalletView = { wallet: string | null; pendingWallet: string | null; pendingWalletAt: string | null };

  it('a wallet change without the old wallet’s proof waits; withdrawals wait meanwhile; it can be cancelled', async () => {
    const c = userClient(proxy, 5001);
    const { depositMemo } = await c.me();
    const old = await bindNewWallet(c);
    await depositVia(old, 3n * TON, depositMemo);
    await ton.watcher.tick();

    // Someone holding the user's initData binds their own wallet: accepted, but only after the delay.
    const thief = await devWallet();
    const res = await proxy.app.inject({
      method: 'POST',
      url: '/v1/me/wallet',
      headers: { authorization: `tma ${(userAuth(proxy, 5001) as { initData: string }).initData}` },
      payload: await proofBody(c, thief),
    });
    expect(res.statusCode).toBe(202);
    const pending = res.json() as WalletView;
    expect(pending).toMatchObject({ wallet: old.address, pendingWallet: thief.address });
    expect(Date.parse(pending.pendingWalletAt!) - Date.now()).toBeGreaterThan(86_000_000);
    expect(await c.request<WalletView>('GET', '/v1/me/wallet')).toEqual(pending);
    await expectApiError(
      c.request('POST', '/v1/me/withdrawals', { amountNano: `${TON}`, idempotencyKey: 'w-1' }),
      409,
      'wallet_change_pending',
    );

    // The owner sees it and cancels it; withdrawals go to the old wallet again.
    expect(await c.request<WalletView>('DELETE', '/v1/me/wallet/pending')).toEqual({
      wallet: old.address,
      pendingWallet: null,
      pendingWalletAt: null,
    });
    const w = await c.request<{ toAddress: string }>('POST', '/v1/me/withdrawals', {
      amountNano: `${TON}`,
      idempotencyKey: 'w-2',
    });
    expect(w.toAddress).toBe(old.address);
  });

  it('takes effect at once with a proof from the old wallet, or once the delay has passed', async () => {
    const c = userClient(proxy, 5002);
    const old = await bindNewWallet(c);
    const next = await devWallet();
    const both = { ...(await proofBody(c, next)), previousWalletProof: await proofBody(c, old) };
    expect(await c.request<WalletView>('POST', '/v1/me/wallet', both)).toMatchObject({
      wallet: next.address,
      pendingWallet: null,
    });

    // A proof from some other wallet is not the old wallet's.
    const other = await devWallet();
    const third = await devWallet();
    const wrong = { ...(await proofBody(c, third)), previousWalletProof: await proofBody(c, other) };
    expect(await c.request<WalletView>('POST', '/v1/me/wallet', wrong)).toMatchObject({
      wallet: next.address,
      pendingWallet: third.address,
    });
    // Its time comes (moved into the past here): the change applies on the next read.
    await db.query("UPDATE users SET pending_wallet_at = now() - interval '1 second' WHERE id = '5002'");
    expect(await c.request<WalletView>('GET', '/v1/me/wallet')).toEqual({
      wallet: third.address,
      pendingWallet: null,
      pendingWalletAt: null,
    });
  });

  it('a withdrawal above the limit needs a fresh proof from the bound wallet', async () => {
    const c = userClient(proxy, 5003);
    const { depositMemo } = await c.me();
    const w = await bindNewWallet(c);
    await depositVia(w, 30n * TON, depositMemo);
    await ton.watcher.tick();
    const big = { amountNano: `${20n * TON}`, idempotencyKey: 'big-1' };
    const err = await expectApiError(
      c.request('POST', '/v1/me/withdrawals', big),
      403,
      'fresh_proof_required',
    );
    expect(err.message).toMatch(/reconnect your wallet/);
    const other = await devWallet();
    await expectApiError(
      c.request('POST', '/v1/me/withdrawals', { ...big, tonProof: await proofBody(c, other) }),
      403,
      'wrong_wallet',
    );
    const ok = await c.request<{ amountNano: string }>('POST', '/v1/me/withdrawals', {
      ...big,
      tonProof: await proofBody(c, w),
    });
    expect(ok.amountNano).toBe(`${20n * TON}`);
    // The same request again (a retry) is answered with the same withdrawal, not a second one.
    expect(
      (await c.request<{ withdrawals: unknown[] }>('GET', '/v1/me/withdrawals')).withdrawals,
    ).toHaveLength(1);
    // Below the limit no proof is asked.
    await c.request('POST', '/v1/me/withdrawals', { amountNano: `${TON}`, idempotencyKey: 'small-1' });
  });

  it("the request's Origin and Host are not proof domains, even in local mode", async () => {
    const c = userClient(proxy, 5006);
    const w = await devWallet();
    const res = await proxy.app.inject({
      method: 'POST',
      url: '/v1/me/wallet',
      headers: {
        authorization: `tma ${(userAuth(proxy, 5006) as { initData: string }).initData}`,
        origin: 'https://evil.example',
        host: 'evil.example',
      },
      payload: await proofBody(c, w, 'evil.example'),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('ton_proof_domain_not_allowed');
    // The proxy's own address is one (npm start serves the Mini App there).
    const own = new URL(proxy.url).host;
    expect((await c.request<WalletView>('POST', '/v1/me/wallet', await proofBody(c, w, own))).wallet).toBe(
      w.address,
    );
  });

  it('a ton_proof payload issued to one user does not work for another', async () => {
    const a = userClient(proxy, 5004);
    const b = userClient(proxy, 5005);
    const w = await devWallet();
    const forA = await proofBody(a, w);
    await expectApiError(b.request('POST', '/v1/me/wallet', forA), 400, 'ton_proof_payload_unknown');
    expect((await a.request<WalletView>('POST', '/v1/me/wallet', forA)).wallet).toBe(w.address);
  });
});
