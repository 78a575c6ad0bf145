// Journey 2: a wallet holder opens the Wallet page, connects the sandbox wallet through the real TON Connect
// modal, the wallet is bound to the account by ton_proof, deposits 5 TON, and sees the balance rise by
// exactly 5 TON (in the page, in the API and in the ledger).
import { parseTon } from '@cocoon/shared/pricing';
import { Address } from '@ton/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Network, startNetwork } from '../network';
import { Contexts, TON_CONNECT_MIN_DESKTOP } from '../support/browser';
import { connectSandboxWallet } from '../support/ton-connect';

const TON = 1_000_000_000n;
let net: Network;
let contexts: Contexts;

beforeAll(async () => {
  net = await startNetwork();
  contexts = new Contexts(net.browser, 'wallet');
});
afterAll(async () => {
  await net?.close();
});
afterEach(async (ctx) => {
  await contexts?.finish(ctx.task.name, ctx.task.result?.state === 'fail');
});

/** "5.5 TON" → 5_500_000_000n */
const nanoOf = (text: string | null) => parseTon((text ?? '').replace(/\s*TON\s*$/, '').trim());

describe('wallet holder', () => {
  it('connects the sandbox wallet with TON Connect, binds it by ton_proof and deposits 5 TON', async () => {
    const holder = { id: 2_000_101, name: 'Wanda' };
    // 460 px, not 390: TON Connect UI's phone-width modal can't connect injected wallets at all (see browser.ts).
    const page = await contexts.open('holder', TON_CONNECT_MIN_DESKTOP);
    await page.goto(net.appUrl(holder, '/wallet'));

    const balance = page.getByTestId('wallet-balance');
    await expect.poll(() => balance.textContent(), { timeout: 20_000 }).toMatch(/TON$/);
    const before = nanoOf(await balance.textContent());
    const api = net.user(holder.id, holder.name);
    expect(BigInt((await api.me()).balanceNano)).toBe(before);
    await expect
      .poll(() => page.getByTestId('deposit-memo').textContent())
      .toBe((await api.me()).depositMemo);

    // The real TON Connect UI modal: the injected sandbox wallet is listed; picking it connects with ton_proof.
    await connectSandboxWallet(page);

    // Bound via ton_proof: the page shows the bound wallet, and the proxy has it on the account.
    const bound = page.getByTestId('bound-wallet');
    await bound.waitFor({ state: 'visible', timeout: 30_000 });
    const me = await api.me();
    expect(me.wallet).toBeTruthy();
    expect(await bound.getAttribute('title')).toBe(me.wallet);
    const walletId = await page.evaluate(
      () => (JSON.parse(localStorage.getItem('cocoon.sandboxWallet') ?? '{}') as { id?: string }).id ?? null,
    );
    expect(walletId).toBeTruthy();
    expect(Address.parse(me.wallet!).equals(Address.parse(walletId!))).toBe(true);
    const onChainBefore = await net.chain.balanceOf(walletId!);

    // Deposit 5 TON through TON Connect's sendTransaction (signed by the sandbox wallet, sent on chain).
    await page.getByTestId('deposit-amount').fill('5');
    const submit = page.getByTestId('deposit-submit');
    await expect.poll(() => submit.textContent()).toContain('Deposit 5 TON');
    await submit.click();
    await page.getByTestId('deposit-sent').waitFor({ state: 'visible', timeout: 30_000 });

    // The page's balance rises by exactly 5 TON once the chain watcher credits the transfer.
    await expect
      .poll(async () => nanoOf(await balance.textContent()), { timeout: 40_000, interval: 500 })
      .toBe(before + 5n * TON);
    expect(BigInt((await api.me()).balanceNano)).toBe(before + 5n * TON);
    const deposits = (await api.ledger()).entries.filter((e) => e.kind === 'deposit');
    expect(deposits.map((e) => e.amountNano)).toEqual([(5n * TON).toString()]);
    // The TON really left the wallet on chain: 5 TON plus the wallet's own network fee.
    const spent = onChainBefore - (await net.chain.balanceOf(walletId!));
    expect(spent).toBeGreaterThan(5n * TON);
    expect(spent).toBeLessThan(5n * TON + TON / 10n);
    // The ledger in the page lists the deposit.
    await page.reload();
    await expect
      .poll(() => page.getByTestId('ledger').textContent(), { timeout: 20_000 })
      .toContain('+5 TON');
  });
});
