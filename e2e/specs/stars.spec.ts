// Journey: a Telegram user with no TON and no trial credit buys compute with Stars in the Mini App, in local
// mode: Wallet → "Buy with Stars" shows the packs at the operator's rate, a pack opens the Bot API emulator's
// payment sheet (standing in for Telegram's), paying it runs the real flow (the emulator asks the bot, the bot
// asks the proxy at pre-checkout, the emulator charges the user's emulated Stars, the bot reports the payment,
// the proxy confirms the charge with the emulator's getStarTransactions and credits it once), and the page
// shows the Stars credit apart. A Playground job is then paid from that credit, and both the purchase and the
// job are in the history (Wallet's ledger and Jobs).
import { formatTon, parseTon } from '@cocoon/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Network, startNetwork } from '../network';
import { Contexts, snap } from '../testing/browser';
import { summarizeInPlayground } from '../testing/playground';

const MODEL = 'summarize-extractive';
const ASK_NANO = parseTon('0.01'); // TON per 1,000 tokens
/** What one Star buys here: 250 ⭐ buy 1 TON of compute. */
const RATE_NANO = 4_000_000n;
const PACK = 250;
const PACK_NANO = BigInt(PACK) * RATE_NANO;

const owner = { id: 2_000_401, name: 'Otto' };
const buyer = { id: 2_000_501, name: 'Stella' };

let net: Network;
let contexts: Contexts;

beforeAll(async () => {
  net = await startNetwork({
    models: true,
    bot: true,
    proxyEnv: {
      // No trial credit: the job can only be paid from the Stars credit.
      TRIAL_CREDIT_NANO: '0',
      STARS_NANOTON_PER_STAR: RATE_NANO.toString(),
      STARS_PACKS: '50,250,1000',
    },
  });
  contexts = new Contexts(net.browser, 'stars');
});
afterAll(async () => {
  await net?.close();
});
afterEach(async (ctx) => {
  await contexts?.finish(ctx.task.name, ctx.task.result?.state === 'fail');
});

const nanoOf = (text: string | null) => parseTon((text ?? '').replace(/\s*TON\s*$/, '').trim());

describe('Stars in the Mini App', () => {
  it('buys Stars credit in the emulator payment sheet, pays a Playground job with it, and finds both in the history', async () => {
    // A rig to run the job: registered, its worker started, an ask set (through the API: the rig journey is
    // market.spec's).
    const ownerApi = net.user(owner.id, owner.name);
    const { rig, token } = await ownerApi.registerRig('stars-rig');
    expect(await net.startRig(net.url, token).rigId).toBe(rig.id);
    await ownerApi.setAsk(rig.id, MODEL, ASK_NANO);

    // The buyer is a Telegram user: the emulator (standing in for Telegram) knows them and their Stars.
    net.emulator!.createUser({ id: buyer.id, first_name: buyer.name });
    const api = net.user(buyer.id, buyer.name);
    const page = await contexts.open('buyer');
    await page.goto(net.appUrl(buyer, '/wallet'));

    // The rate and what each pack buys, before buying; nothing to spend yet.
    const rate = page.getByTestId('stars-rate');
    await expect
      .poll(() => rate.textContent(), { timeout: 20_000 })
      .toBe(`1 ⭐ buys ${formatTon(RATE_NANO)} TON of compute`);
    expect(await page.getByTestId(`stars-pack-${PACK}`).textContent()).toBe(
      `${PACK} ⭐${formatTon(PACK_NANO)} TON`,
    );
    await expect.poll(() => page.getByTestId('wallet-stars').textContent()).toBe('0 TON');
    expect((await api.me()).balanceNano).toBe('0');
    const emulatorStars = net.emulator!.stars.balance(buyer.id);

    // The pack opens the emulator's payment sheet (local mode's stand-in for Telegram's); pay it.
    await page.getByTestId(`stars-pack-${PACK}`).click();
    const sheet = page.getByTestId('emulator-payment-sheet');
    await sheet.waitFor({ state: 'visible', timeout: 20_000 });
    const pay = page.getByTestId('sheet-pay');
    await expect.poll(() => pay.textContent()).toBe(`Pay ${PACK} ⭐`);
    await snap(page, 'stars--payment-sheet');
    await pay.click();

    // Paid, then credited once the bot reported it and the proxy confirmed the charge.
    const status = page.getByTestId('stars-status');
    await expect
      .poll(() => status.getAttribute('data-state'), { timeout: 40_000, interval: 500 })
      .toBe('credited');
    expect(await status.textContent()).toBe(`Paid: ${formatTon(PACK_NANO)} TON of Stars credit added.`);
    await sheet.waitFor({ state: 'hidden' });
    await expect
      .poll(async () => nanoOf(await page.getByTestId('wallet-stars').textContent()), { timeout: 20_000 })
      .toBe(PACK_NANO);
    const me = await api.me();
    expect([me.starsNano, me.balanceNano, me.withdrawableNano]).toEqual([PACK_NANO.toString(), '0', '0']);
    expect(net.emulator!.stars.balance(buyer.id)).toBe(emulatorStars - PACK);
    const [purchase] = (await api.starsPurchases()).purchases;
    expect(purchase).toMatchObject({
      stars: PACK,
      nano: PACK_NANO.toString(),
      state: 'paid',
      refundable: true,
    });
    // The purchases list has it, with its Refund button (wholly unspent, within the window).
    const row = page.getByTestId('stars-purchase');
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    expect(await row.getByTestId('stars-refund').count()).toBe(1);
    await snap(page, 'stars--credited');

    // A Playground job, paid from the Stars credit.
    const receipt = await summarizeInPlayground(page, net.appUrl(buyer, '/play'), MODEL, [
      'Ann: Where do we meet for the review?',
      'Bo: The small room is free on Thursday at 10.',
      'Ann: Decision: the review is in the small room on Thursday at 10, I will send the invite.',
    ]);
    const costTon = /^Cost ([\d.]+) TON/.exec(receipt)?.[1];
    expect(costTon, 'the receipt line').toBeDefined();
    const cost = parseTon(costTon!);
    expect(cost).toBeGreaterThan(0n);
    const [job] = (await api.myJobs()).jobs;
    expect(job).toMatchObject({ state: 'done', model: MODEL, rigId: rig.id, costNano: cost.toString() });
    // Paid from the Stars credit: nothing else to pay it from.
    const after = await api.me();
    expect([after.starsNano, after.balanceNano]).toEqual([(PACK_NANO - cost).toString(), '0']);
    // Some of its credit is spent now: no longer refundable.
    const [spent] = (await api.starsPurchases()).purchases;
    expect(spent).toMatchObject({ spentNano: cost.toString(), refundable: false });

    // Both in the history: the purchase and the job's charge in the Wallet's ledger, the job under Jobs.
    const entries = (await api.ledger()).entries;
    expect(entries.filter((e) => e.kind === 'stars-purchase').map((e) => e.amountNano)).toEqual([
      PACK_NANO.toString(),
    ]);
    expect(entries.some((e) => e.amountNano.startsWith('-'))).toBe(true);
    await page.goto(net.appUrl(buyer, '/wallet'));
    const ledger = page.getByTestId('ledger');
    await expect.poll(() => ledger.textContent(), { timeout: 20_000 }).toContain('stars-purchase');
    expect(await ledger.textContent()).toContain(`+${formatTon(PACK_NANO)} TON`);
    await expect
      .poll(async () => nanoOf(await page.getByTestId('wallet-stars').textContent()))
      .toBe(PACK_NANO - cost);
    await expect
      .poll(() => page.getByTestId('stars-purchase').getByTestId('stars-not-refundable').count())
      .toBe(1);
    await page.goto(net.appUrl(buyer, '/jobs'));
    const jobRow = page.getByTestId('job-row');
    await expect.poll(() => jobRow.count(), { timeout: 20_000 }).toBe(1);
    expect(await jobRow.getByTestId('job-cost').textContent()).toBe(`${formatTon(cost)} TON`);
    await snap(page, 'stars--jobs');
  });
});
