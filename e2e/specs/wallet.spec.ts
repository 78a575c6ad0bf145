// Journey 2: a wallet holder opens the Wallet page in a phone-sized window (390×844, as in Telegram), connects
// the sandbox wallet through TON Connect (the local-mode sandbox button: TON Connect UI's phone modal offers
// only universal links / QR), the wallet is bound to the account by ton_proof, deposits 5 TON, and sees the
// balance rise by exactly 5 TON (in the page, in the API and in the ledger). Its trial credit and its
// withdrawable money are shown apart: a new user has trial credit only, and the deposit is withdrawable. In a
// desktop window the real modal connects it in one pick. A withdrawal above the fresh-proof threshold is
// confirmed by reconnecting the bound wallet (a new ton_proof), without re-binding or changing the wallet.
import { parseTon } from '@cocoon/shared';
import { Address } from '@ton/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Network, startNetwork } from '../network';
import { Contexts, DESKTOP, snap } from '../testing/browser';
import { connectFromModal, connectWithSandboxButton } from '../testing/ton-connect';

const TON = 1_000_000_000n;
/** Above this a withdrawal needs a fresh ton_proof (set low so a 5 TON deposit can exercise it). */
const PROOF_ABOVE_NANO = 2n * TON;
let net: Network;
let contexts: Contexts;

beforeAll(async () => {
  net = await startNetwork({ proxyEnv: { WITHDRAWAL_PROOF_ABOVE_NANO: PROOF_ABOVE_NANO.toString() } });
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
    // A phone-sized window (390×844), as in Telegram.
    const page = await contexts.open('holder');
    await page.goto(net.appUrl(holder, '/wallet'));

    const balance = page.getByTestId('wallet-balance');
    await expect.poll(() => balance.textContent(), { timeout: 20_000 }).toMatch(/TON$/);
    const before = nanoOf(await balance.textContent());
    const api = net.user(holder.id, holder.name);
    expect(BigInt((await api.me()).balanceNano)).toBe(before);
    // A new user: all of it is trial credit (jobs only), nothing is withdrawable; the page shows them apart.
    const fresh = await api.me();
    expect(before).toBeGreaterThan(0n);
    expect([BigInt(fresh.trialNano), BigInt(fresh.withdrawableNano)]).toEqual([before, 0n]);
    const withdrawable = page.getByTestId('wallet-withdrawable');
    const trial = page.getByTestId('wallet-trial');
    expect(nanoOf(await withdrawable.textContent())).toBe(0n);
    expect(nanoOf(await trial.textContent())).toBe(before);
    await expect
      .poll(() => page.getByTestId('deposit-memo').textContent())
      .toBe((await api.me()).depositMemo);

    // TON Connect UI's phone modal connects by universal link / QR only, so the real modal doesn't list it
    // here; the local-mode "Connect sandbox wallet" button connects it through TON Connect's JS bridge with
    // the same ton_proof request.
    await page.locator('#ton-connect-button button').first().click();
    const modal = page.locator('[data-tc-wallets-modal-container="true"]');
    await modal.waitFor({ state: 'visible' });
    await snap(page, 'wallet--phone-ton-connect-modal');
    expect(await modal.getByText('Sandbox wallet').count()).toBe(0);
    await page.keyboard.press('Escape');
    await modal.waitFor({ state: 'hidden' });
    // "Connect wallet to deposit" points at the sandbox button rather than that modal.
    await page.getByTestId('deposit-submit').click();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')))
      .toBe('sandbox-connect-button');
    expect(await modal.isVisible()).toBe(false);
    await connectWithSandboxButton(page);
    // TON Connect UI's own button now shows the connected account.
    await expect.poll(() => page.locator('#ton-connect-button').textContent()).not.toMatch(/Connect/i);

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
    // The deposit is the user's own money: withdrawable. The trial credit stays apart.
    await expect
      .poll(async () => nanoOf(await withdrawable.textContent()), { timeout: 20_000 })
      .toBe(5n * TON);
    expect(nanoOf(await trial.textContent())).toBe(before);
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

  it('connects the sandbox wallet from the real TON Connect modal in a desktop window, in one pick', async () => {
    const holder = { id: 2_000_102, name: 'Dmitri' };
    const page = await contexts.open('desktop', DESKTOP);
    await page.goto(net.appUrl(holder, '/wallet'));
    await expect
      .poll(() => page.getByTestId('wallet-balance').textContent(), { timeout: 20_000 })
      .toMatch(/TON$/);
    // Picking "Sandbox wallet" connects through the JS bridge at once (no QR step), with ton_proof.
    await connectFromModal(page);
    const bound = page.getByTestId('bound-wallet');
    await bound.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await bound.getAttribute('title')).toBe((await net.user(holder.id, holder.name).me()).wallet);
  });

  it('withdraws above the threshold by reconnecting the bound wallet for a fresh ton_proof, without re-binding', async () => {
    const holder = { id: 2_000_103, name: 'Rosa' };
    const page = await contexts.open('large-withdrawal');
    await page.goto(net.appUrl(holder, '/wallet'));
    const api = net.user(holder.id, holder.name);
    await connectWithSandboxButton(page);
    const bound = page.getByTestId('bound-wallet');
    await bound.waitFor({ state: 'visible', timeout: 30_000 });
    const wallet = (await api.me()).wallet!;

    await page.getByTestId('deposit-amount').fill('5');
    await page.getByTestId('deposit-submit').click();
    await page.getByTestId('deposit-sent').waitFor({ state: 'visible', timeout: 30_000 });
    await expect
      .poll(async () => nanoOf(await page.getByTestId('wallet-withdrawable').textContent()), {
        timeout: 40_000,
        interval: 500,
      })
      .toBe(5n * TON);

    // Below the threshold: a plain withdraw button. Above it: reconnect the wallet to confirm.
    const submit = page.getByTestId('withdraw-submit');
    await page.getByTestId('withdraw-amount').fill('1');
    await expect.poll(() => submit.textContent()).toBe('Withdraw');
    await page.getByTestId('withdraw-amount').fill('3');
    await expect.poll(() => submit.textContent()).toBe('Reconnect wallet to confirm');
    expect(await page.getByTestId('withdraw-proof-note').textContent()).toContain(
      'Withdrawals above 2 TON need a fresh proof that you hold the wallet',
    );
    await snap(page, 'wallet--large-withdrawal');
    await submit.click();
    await page.getByTestId('withdraw-queued').waitFor({ state: 'visible', timeout: 30_000 });

    // The withdrawal went out with the fresh proof; the reconnection neither re-bound nor changed the wallet.
    const { withdrawals } = await net.user(holder.id, holder.name).withdrawals();
    expect(withdrawals.map((w) => w.amountNano)).toEqual([(3n * TON).toString()]);
    expect(await api.wallet()).toMatchObject({ wallet, pendingWallet: null });
    expect(await page.getByTestId('pending-wallet').count()).toBe(0);
    expect(await bound.getAttribute('title')).toBe(wallet);
    // The sandbox wallet is connected again (TON Connect UI's button shows the account).
    await expect.poll(() => page.locator('#ton-connect-button').textContent()).not.toMatch(/Connect/i);
  });
});
