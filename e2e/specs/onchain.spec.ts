// Journey: an on-chain account from the Mini App (docs/on-chain-accounts.md). A wallet holder connects the
// sandbox wallet (TON Connect, bound by ton_proof), opens an on-chain account from the Wallet page (the Mini
// App makes a spend key on the device, the wallet deploys the account with a 2 TON deposit and authorizes the
// key in one transaction), runs a Playground job that is paid from the account and whose voucher the page's
// client signs with that key, sees what was signed for on the Wallet page, and starts the exit (`close`):
// the page says when `withdraw` becomes possible. Another device of the same user can't sign, and says so.
// The balances are read from the contract through the proxy's API as well as from the page.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { depositCredit } from '@cocoon/contracts/client';
import { formatTon } from '@cocoon/shared';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Network, startNetwork } from '../network';
import { Contexts, snap } from '../testing/browser';
import { summarizeInPlayground } from '../testing/playground';
import { connectWithSandboxButton } from '../testing/ton-connect';

const TON = 1_000_000_000n;
const MODEL = 'summarize-extractive';
const CLOSE_DELAY_S = 3600;
const holder = { id: 2_000_401, name: 'Olga' };
const owner = { id: 2_000_402, name: 'Rik' };

let net: Network;
let contexts: Contexts;

beforeAll(async () => {
  net = await startNetwork({
    models: true,
    proxyEnv: {
      // No trial credit: the job is paid from the on-chain account.
      TRIAL_CREDIT_NANO: '0',
      ONCHAIN_ACCOUNTS: 'true',
      ONCHAIN_CLOSE_DELAY_S: String(CLOSE_DELAY_S),
    },
  });
  contexts = new Contexts(net.browser, 'onchain');
  // A rig to run the job, registered and started through the API (the market spec covers that in the page).
  const api = net.user(owner.id, owner.name);
  const { rig, token } = await api.registerRig('onchain-rig');
  await net.startRig(net.url, token).rigId;
  await api.setAsk(rig.id, MODEL, 5_000_000n);
});
afterAll(async () => {
  await net?.close();
});
afterEach(async (ctx) => {
  await contexts?.finish(ctx.task.name, ctx.task.result?.state === 'fail');
});

/** The Ed25519 public key of a 32-byte seed (hex), by Node's own crypto. */
function publicKeyOf(seedHex: string): string {
  const pkcs8 = Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    Buffer.from(seedHex, 'hex'),
  ]);
  const spki = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({
    format: 'der',
    type: 'spki',
  });
  return spki.subarray(-32).toString('hex');
}
const tonOf = (nano: bigint | string) => `${formatTon(BigInt(nano))} TON`;

async function storedSeed(page: Page): Promise<string | null> {
  return page.evaluate((id) => localStorage.getItem(`cocoon.spendKey.${id}`), holder.id);
}

describe('on-chain account from the Mini App', () => {
  it('opens an account, a Playground job is signed for by this device, and the exit starts', async () => {
    const api = net.user(holder.id, holder.name);
    const page = await contexts.open('holder');
    await page.goto(net.appUrl(holder, '/wallet'));

    // Before a wallet: a custodial balance only, and the on-chain section asks for a wallet.
    await expect
      .poll(() => page.getByTestId('balance-kind-custodial').textContent(), { timeout: 20_000 })
      .toContain('held by the Cocoon operator');
    await page.getByTestId('onchain-needs-wallet').waitFor({ state: 'visible', timeout: 20_000 });

    await connectWithSandboxButton(page);
    await page.getByTestId('bound-wallet').waitFor({ state: 'visible', timeout: 30_000 });

    // Open the account with 2 TON: deposit (deploying it) and set_spend_key in one wallet transaction.
    const open = page.getByTestId('onchain-open');
    await open.waitFor({ state: 'visible', timeout: 20_000 });
    await open.getByTestId('onchain-amount').fill('2');
    const submit = page.getByTestId('onchain-open-submit');
    await expect.poll(() => submit.textContent()).toBe('Open on-chain account with 2 TON');
    await submit.click();
    await page.getByTestId('onchain-account').waitFor({ state: 'visible', timeout: 40_000 });
    await snap(page, 'onchain--opened');

    // The key on chain is this device's: its seed never left the page, its public half is the account's.
    const seedHex = await storedSeed(page);
    expect(seedHex).toMatch(/^[0-9a-f]{64}$/);
    const publicKey = publicKeyOf(seedHex!);
    const opened = await api.onchainAccount();
    expect(opened).toMatchObject({ registered: true, account: { deployed: true, spendKey: publicKey } });
    const credited = depositCredit(2n * TON, false);
    expect(BigInt(opened.account!.deposited)).toBe(credited);
    expect(BigInt(opened.mirrorNano)).toBe(credited);
    expect(await page.getByTestId('onchain-device-signs').isVisible()).toBe(true);
    await expect
      .poll(() => page.getByTestId('onchain-mirror').textContent(), { timeout: 20_000 })
      .toBe(tonOf(credited));

    // A Playground job, paid from the account; the page's client signs its voucher with the spend key.
    await summarizeInPlayground(page, net.appUrl(holder, '/play'), MODEL, [
      'Ann: Where do we meet for the review?',
      'Bo: The review is in room 4 on Monday at ten, bring the budget numbers.',
      'Cy: I will book room 4 today and send the invite.',
    ]);
    const [job] = (await api.myJobs()).jobs;
    expect(job.state).toBe('done');
    const cost = BigInt(job.costNano!);
    expect(cost).toBeGreaterThan(0n);
    await expect
      .poll(async () => (await api.onchainAccount()).voucheredNano, { timeout: 20_000 })
      .toBe(cost.toString());
    const signed = await api.onchainAccount();
    expect(signed).toMatchObject({ voucherSeq: '1', voucherDue: null });
    expect(BigInt(signed.mirrorNano)).toBe(credited - cost);
    // What this device remembers signing, as the next voucher is checked against it.
    expect(
      await page.evaluate(
        (id) => JSON.parse(localStorage.getItem(`cocoon.voucher.${id}`) ?? 'null'),
        holder.id,
      ),
    ).toEqual({ amountNano: cost.toString(), seq: '1' });

    // The Wallet page shows what was signed for.
    await page.goto(net.appUrl(holder, '/wallet'));
    await expect
      .poll(() => page.getByTestId('onchain-account-vouchered').textContent(), { timeout: 20_000 })
      .toBe(tonOf(cost));
    expect(await page.getByTestId('onchain-vouchered').textContent()).toBe(tonOf(cost));

    // The exit: `close` from the wallet; `withdraw` waits for the close delay, and the page says until when.
    // TON Connect restores the wallet's connection after the reload.
    await expect
      .poll(() => page.locator('#ton-connect-button').textContent(), { timeout: 20_000 })
      .not.toMatch(/Connect/i);
    await page.getByTestId('onchain-close').click();
    const at = page.getByTestId('onchain-withdraw-at');
    await at.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await at.textContent()).toMatch(/^Withdraw possible at /);
    const closing = (await api.onchainAccount()).account!;
    expect(closing.closeRequestedAt).not.toBeNull();
    expect(await at.getAttribute('data-at')).toBe(
      new Date(Date.parse(closing.closeRequestedAt!) + CLOSE_DELAY_S * 1000).toISOString(),
    );
    expect(await page.getByTestId('onchain-withdraw').isDisabled()).toBe(true);
    expect(await page.getByTestId('onchain-close').isDisabled()).toBe(true);
    expect(await page.getByTestId('onchain-exit-instructions').textContent()).toContain(closing.address);
    await snap(page, 'onchain--closing');

    // Another device of the same user holds no spend key: it says so, and offers to authorize one.
    const other = await contexts.open('other-device');
    await other.goto(net.appUrl(holder, '/wallet'));
    await other.getByTestId('onchain-no-key').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await other.getByTestId('onchain-no-key').textContent()).toContain('This device can’t sign');
    expect(await other.getByTestId('onchain-new-key').isVisible()).toBe(true);
  });
});
