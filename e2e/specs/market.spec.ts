// The market end to end, in the order people meet it (each test builds on the one before, on one network):
// 1. a GPU owner registers a rig in the Mini App, starts its worker with the command the page shows, sees it
//    online and sets an ask, which the rig card and the Market page show;
// 3. a buyer tops up 1 TON from a sandbox wallet on the Wallet page (TON Connect, then a real transfer with
//    her deposit memo, credited by the proxy's chain watcher), then summarizes a pasted conversation in the
//    Playground; the cost shows under Jobs and equals the settled cost;
// 4. in a group chat on the Bot API emulator, the sender tops up 1 TON from her own sandbox wallet (a transfer
//    to the service wallet with her deposit memo as comment), and /summarize answers with a summary she pays;
// 5. the owner's earnings equal the settled costs less the fee; the owner binds a sandbox wallet, withdraws
//    everything withdrawable, and the withdrawal is confirmed on chain.
// Trial credit is never withdrawable, and pays for jobs first; a rig paid from a buyer's trial credit earns
// trial credit for that part. So every user here starts with a small trial credit (TRIAL_NANO, less than one
// job's rig share): each buyer's job spends all of it and the rest of the cost from the deposit, and the
// owner's earnings split exactly: TRIAL_NANO per job as trial credit (jobs only), the rest withdrawable.

import { depositVia, devWallet } from '@cocoon/proxy/testing';
import { type CocoonClient, chargeFor, formatTon, parseTon } from '@cocoon/shared';
import type { WorkerHandle } from '@cocoon/worker';
import { Address } from '@ton/core';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Network, startNetwork } from '../network';
import { Contexts, snap } from '../testing/browser';
import { connectSandboxWallet } from '../testing/ton-connect';

const MODEL = 'summarize-extractive';
const ASK_TON = '0.5'; // TON per 1,000 tokens: big enough that a few jobs earn more than the minimum withdrawal
const ASK_NANO = parseTon(ASK_TON);
const FEE_BPS = 1000;
const WITHDRAWAL_FEE_NANO = 10_000_000n;
/** Every new user's trial credit: below one job's rig share, so each job is paid partly by a deposit. */
const TRIAL_NANO = 20_000_000n;
/** What each buyer deposits before buying. */
const DEPOSIT_NANO = 1_000_000_000n;
const BOT_FOOTER = /— ([\d.]+) TON · rig ([0-9a-f]{8})$/;

const owner = { id: 2_000_201, name: 'Gus' };
const buyer = { id: 2_000_301, name: 'Pia' };

let net: Network;
let contexts: Contexts;
/** What the earlier journeys leave for the later ones. */
const state: { rigId?: string; worker?: WorkerHandle; settledJobIds: string[] } = { settledJobIds: [] };

beforeAll(async () => {
  net = await startNetwork({
    models: true,
    bot: true,
    proxyEnv: {
      FEE_BPS: String(FEE_BPS),
      TRIAL_CREDIT_NANO: TRIAL_NANO.toString(),
      WITHDRAWAL_FEE_NANO: WITHDRAWAL_FEE_NANO.toString(),
      // The withdrawable earnings of two small jobs are below the default 0.1 TON minimum.
      MIN_WITHDRAWAL_NANO: '10000000',
    },
  });
  contexts = new Contexts(net.browser, 'market');
});
afterAll(async () => {
  await net?.close();
});
afterEach(async (ctx) => {
  await contexts?.finish(ctx.task.name, ctx.task.result?.state === 'fail');
});

const nanoOf = (text: string | null) => parseTon((text ?? '').replace(/\s*TON\s*$/, '').trim());

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms);
    }),
  ]);
}

async function go(page: Page, user: { id: number; name: string }, route: string): Promise<void> {
  await page.goto(net.appUrl(user, route));
}

/** A user's spendable money, apart: [withdrawable, trial credit]. */
async function split(api: CocoonClient): Promise<[bigint, bigint]> {
  const me = await api.me();
  expect(BigInt(me.balanceNano)).toBe(BigInt(me.withdrawableNano) + BigInt(me.trialNano));
  return [BigInt(me.withdrawableNano), BigInt(me.trialNano)];
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * How much of a job's rig share the owner earned as trial credit: the buyer's trial credit pays the charge
 * first, and the rig's share before the fee.
 */
const rigShareFromTrial = (charge: { rigNano: bigint; totalNano: bigint }, buyerTrial: bigint) =>
  min(min(buyerTrial, charge.totalNano), charge.rigNano);

describe('the Cocoon market, end to end', () => {
  it('1. a GPU owner registers a rig, starts its worker with the shown command, and sets an ask', async () => {
    const page = await contexts.open('owner');
    await go(page, owner, '/rigs');
    await page.getByTestId('rig-name').fill('basement-4090');
    await page.getByTestId('register-rig').click();

    // The token and the worker command, shown once.
    const command = (await page.getByTestId('worker-command').textContent())?.trim() ?? '';
    // The token in the environment, not on the command line (where `ps` shows it).
    const m = /^COCOON_RIG_TOKEN=(\S+) npm run worker -- --proxy (\S+)$/.exec(command);
    expect(m, `worker command: ${command}`).not.toBeNull();
    const [, token, proxyUrl] = m!;
    expect(proxyUrl).toBe(net.url);
    expect(token).toBe((await page.getByTestId('rig-token').textContent())?.trim());
    await page.getByTestId('token-done').click();
    await expect.poll(() => page.getByTestId('worker-command').count()).toBe(0);

    // The rig, offline until its worker connects.
    const { rigs } = await net.user(owner.id, owner.name).rigs();
    expect(rigs).toHaveLength(1);
    const rigId = rigs[0].id;
    state.rigId = rigId;
    const card = page.getByTestId(`rig-${rigId}`);
    await expect.poll(() => card.getByTestId('rig-status').textContent()).toBe('offline');

    // Start the worker with exactly what the page showed. startRig() calls startWorker(), the code path of
    // `COCOON_RIG_TOKEN=TOKEN npm run worker -- --proxy URL` (worker/src/cli.ts), with the models loaded once
    // per file.
    state.worker = net.startRig(proxyUrl, token);
    expect(await within(state.worker.rigId, 60_000, 'the worker connecting')).toBe(rigId);

    // Online in the Mini App (the rigs list refreshes by itself), serving the models on the CPU.
    await expect
      .poll(() => card.getByTestId('rig-status').textContent(), { timeout: 30_000, interval: 500 })
      .toBe('online');
    await expect.poll(() => card.getByTestId('rig-device').textContent()).toBe('CPU');

    // Set the ask for the summarizer.
    const ask = card.getByTestId(`ask-${MODEL}`);
    await ask.getByTestId('ask-input').fill(ASK_TON);
    await ask.getByTestId('ask-save').click();
    await expect
      .poll(async () => {
        const r = (await net.user(owner.id).rigs()).rigs[0];
        return r.models.find((x) => x.id === MODEL)?.priceNanoPer1k;
      })
      .toBe(ASK_NANO.toString());
    // The rig card shows it after a reload too (it comes from the proxy, not from the form's state).
    await page.reload();
    await expect
      .poll(() => card.getByTestId(`ask-${MODEL}`).getByTestId('ask-input').inputValue())
      .toBe(ASK_TON);

    // And the public Market page lists the ask, one rig with a free slot.
    await go(page, owner, '/market');
    const ladder = page.getByTestId(`market-model-${MODEL}`).getByTestId('ask-ladder');
    await expect
      .poll(() => ladder.locator('tbody tr').first().locator('td').allTextContents(), { timeout: 20_000 })
      .toEqual([ASK_TON, '1', '1', '1 in probation']);
  });

  it('3. a buyer deposits 1 TON, the Playground summarizes a pasted conversation; Jobs shows the settled cost', async () => {
    expect(state.rigId, 'journey 1 left a rig online').toBeDefined();
    const api = net.user(buyer.id, buyer.name);
    const page = await contexts.open('buyer');

    // Top up first: connect the sandbox wallet on the Wallet page and deposit 1 TON (a real transfer to the
    // service wallet with the buyer's memo, credited once the proxy's chain watcher sees it).
    await go(page, buyer, '/wallet');
    await expect
      .poll(() => page.getByTestId('wallet-balance').textContent(), { timeout: 20_000 })
      .toMatch(/TON$/);
    expect(await split(api)).toEqual([0n, TRIAL_NANO]);
    await connectSandboxWallet(page);
    await page.getByTestId('bound-wallet').waitFor({ state: 'visible', timeout: 30_000 });
    await page.getByTestId('deposit-amount').fill(formatTon(DEPOSIT_NANO));
    await page.getByTestId('deposit-submit').click();
    await page.getByTestId('deposit-sent').waitFor({ state: 'visible', timeout: 30_000 });
    await expect
      .poll(async () => nanoOf(await page.getByTestId('wallet-withdrawable').textContent()), {
        timeout: 40_000,
        interval: 500,
      })
      .toBe(DEPOSIT_NANO);
    expect(await split(api)).toEqual([DEPOSIT_NANO, TRIAL_NANO]);

    await go(page, buyer, '/play');
    await expect
      .poll(() => page.getByTestId('playground-model').inputValue(), { timeout: 20_000 })
      .toBe(MODEL);
    const before = BigInt((await api.me()).balanceNano);

    const conversation = [
      'Ann: We need to pick a venue for the team dinner next week.',
      'Bo: ok',
      'Cy: Luigi has a private room for twelve people and takes bookings online.',
      'Ann: Decision: the team dinner is at Luigi on Friday at 7pm, I will book it today.',
      'Bo: Great, I will tell the others and collect the dietary needs by Wednesday.',
    ];
    await page.getByTestId('playground-input').fill(conversation.join('\n'));
    await page.getByTestId('playground-max-tokens').fill('128');
    await page.getByTestId('playground-run').click();

    const receipt = page.getByTestId('playground-receipt');
    await receipt.waitFor({ state: 'visible', timeout: 60_000 });
    // The summary, laid out as the bot lays it out: a header, then one line per unit, each "• speaker: text"
    // quoting the conversation (extractive: every word is from it), the decision among them.
    await expect
      .poll(() => page.getByTestId('playground-summary-header').textContent())
      .toMatch(/^Summary of the last 5 messages/);
    const lines = (await page.getByTestId('playground-summary-line').allTextContents()).map((l) =>
      l.replace(/^• /, '').trim(),
    );
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(conversation.join('\n')).toContain(line.replace(/…$/, ''));
    expect(lines.join('\n')).toMatch(/Luigi on Friday at 7pm/);

    const r = /^Cost ([\d.]+) TON · (\d+)\+(\d+) tokens · rig ([0-9a-f]{8})$/.exec(
      (await receipt.textContent())?.trim() ?? '',
    );
    expect(r, 'the receipt line').not.toBeNull();
    const [, costTon, promptTokens, completionTokens, rigShort] = r!;
    expect(rigShort).toBe(state.rigId!.slice(0, 8));

    // The job, settled: the proxy's cost is tokens × ask + fee, and it is what the page showed.
    const [job] = (await api.myJobs()).jobs;
    expect(job).toMatchObject({ state: 'done', model: MODEL, rigId: state.rigId, kind: 'summarize' });
    expect([job.promptTokens, job.completionTokens]).toEqual([
      Number(promptTokens),
      Number(completionTokens),
    ]);
    const charge = chargeFor(job.promptTokens! + job.completionTokens!, ASK_NANO, FEE_BPS);
    expect(job.costNano).toBe(charge.totalNano.toString());
    expect(parseTon(costTon)).toBe(charge.totalNano);
    expect(BigInt((await api.me()).balanceNano)).toBe(before - charge.totalNano);
    // Paid from the trial credit first (all of it: the job costs more), the rest from the deposit.
    expect(charge.totalNano).toBeGreaterThan(TRIAL_NANO);
    expect(await split(api)).toEqual([DEPOSIT_NANO - (charge.totalNano - TRIAL_NANO), 0n]);
    state.settledJobIds.push(job.id);

    await snap(page, 'market--3-playground-result');

    // Under Jobs: one row, done, with that cost.
    await go(page, buyer, '/jobs');
    const row = page.getByTestId('job-row');
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    expect(await row.getByTestId('job-cost').textContent()).toBe(`${formatTon(charge.totalNano)} TON`);
    expect(await row.textContent()).toContain('done');
    expect(await row.textContent()).toContain('basement-4090');
  });

  it('4. /summarize in a group chat answers with a summary paid by the sender', async () => {
    expect(state.rigId, 'journey 1 left a rig online').toBeDefined();
    const emu = net.emulator!;
    const alice = emu.createUser({ first_name: 'Alice' });
    const bob = emu.createUser({ first_name: 'Bob' });
    const carol = emu.createUser({ first_name: 'Carol' });
    const chat = emu.createGroup({ title: 'Launch crew', creator: alice.id, members: [bob.id, carol.id] });
    emu.addBotToChat(chat.id);
    const said = [
      [bob.id, 'The launch moved to Thursday because the payment provider needs one more review.'],
      [carol.id, 'I will update the landing page and the press kit with the new date tonight.'],
      [alice.id, 'Support should prepare answers about refunds before Thursday morning.'],
      [bob.id, 'Agreed, and the beta testers get their invites on Wednesday evening.'],
    ] as const;
    for (const [from, text] of said) emu.userSends(chat.id, from, text);

    // The bot's service key acts for them (it quotes, submits and reads balances); their jobs are read as
    // they would read them, in the Mini App.
    const alicePays = net.service(alice.id, alice.first_name);
    const bobApi = net.service(bob.id, bob.first_name);
    const aliceApp = net.user(alice.id, alice.first_name);
    const bobApp = net.user(bob.id, bob.first_name);

    // Alice tops up 1 TON: her sandbox wallet sends it to the service wallet with her deposit memo as the
    // comment, and the proxy's chain watcher credits it to her account.
    const aliceWallet = await devWallet(net.proxy);
    await depositVia(net.proxy, aliceWallet, DEPOSIT_NANO, (await alicePays.me()).depositMemo);
    await expect
      .poll(() => split(alicePays), { timeout: 40_000, interval: 500 })
      .toEqual([DEPOSIT_NANO, TRIAL_NANO]);
    const [aliceBefore, bobBefore] = await Promise.all([alicePays.me(), bobApi.me()]);

    const cmd = emu.userSends(chat.id, alice.id, '/summarize');
    const reply = await emu.waitForBotMessage(chat.id, (msg) => BOT_FOOTER.test(msg.text ?? ''), 60_000, {
      after: cmd.message_id,
    });
    const [summary, footer] = (reply.text ?? '').split(/\n\n(?=— )/);
    const chatText = said.map(([, t]) => t).join(' ');
    const [header, ...lines] = summary.split('\n').filter((l) => l.trim());
    expect(header).toMatch(/^Summary of the last 4 messages, last /);
    expect(lines.length).toBeGreaterThan(0);
    // Extractive: every line of the summary is text of the group's messages (with a bullet, the author and a
    // link to the message; a long one cut with an ellipsis).
    for (const line of lines) {
      const sentence = line
        .replace(/^[\s•\-*]*(?:[\p{L} ]{1,40}:\s)?/u, '')
        .replace(/\s*↗$/u, '')
        .replace(/\s*…$/u, '')
        .trim();
      expect(chatText).toContain(sentence);
    }
    const [, footerTon, footerRig] = BOT_FOOTER.exec(`\n${footer}`.trim())!;
    expect(footerRig).toBe(state.rigId!.slice(0, 8));

    // The sender paid exactly the job's settled cost; nobody else paid anything.
    const [job] = (await aliceApp.myJobs()).jobs;
    expect(job).toMatchObject({ state: 'done', model: MODEL, kind: 'summarize', rigId: state.rigId });
    const charge = chargeFor(job.promptTokens! + job.completionTokens!, ASK_NANO, FEE_BPS);
    expect(job.costNano).toBe(charge.totalNano.toString());
    expect(parseTon(footerTon)).toBe(charge.totalNano);
    await expect
      .poll(async () => BigInt((await alicePays.me()).balanceNano))
      .toBe(BigInt(aliceBefore.balanceNano) - charge.totalNano);
    expect((await alicePays.me()).heldNano).toBe('0');
    // Her trial credit paid first (all of it), her deposit the rest.
    expect(charge.totalNano).toBeGreaterThan(TRIAL_NANO);
    expect(await split(alicePays)).toEqual([DEPOSIT_NANO - (charge.totalNano - TRIAL_NANO), 0n]);
    expect((await bobApi.me()).balanceNano).toBe(bobBefore.balanceNano);
    expect((await bobApp.myJobs()).jobs).toHaveLength(0);
    state.settledJobIds.push(job.id);
  });

  it('5. the owner sees earnings = settled costs less the fee, and withdraws the withdrawable part to the bound wallet', async () => {
    expect(state.settledJobIds).toHaveLength(2);
    const api = net.user(owner.id, owner.name);

    // Earnings: for each settled job, what the buyer paid less the platform fee.
    const jobs = await net.db.query<{ cost: string; fee: string; tokens: number }>(
      `SELECT cost_nano::text AS cost, fee_nano::text AS fee, prompt_tokens + completion_tokens AS tokens
       FROM jobs WHERE state = 'done' AND rig_id = $1`,
      [state.rigId],
    );
    expect(jobs.rows).toHaveLength(2);
    // Each buyer's trial credit (TRIAL_NANO, all of it) paid first; the rig's share of that part reached the
    // owner as trial credit, and the rest of the rig's share, paid from the buyers' deposits, is withdrawable.
    let earnings = 0n;
    let earnedAsTrial = 0n;
    for (const j of jobs.rows) {
      const charge = chargeFor(j.tokens, ASK_NANO, FEE_BPS);
      expect([BigInt(j.cost), BigInt(j.fee)]).toEqual([charge.totalNano, charge.feeNano]);
      earnings += BigInt(j.cost) - BigInt(j.fee);
      earnedAsTrial += rigShareFromTrial(charge, TRIAL_NANO);
    }
    expect(earnedAsTrial).toBe(2n * TRIAL_NANO); // each rig share is above TRIAL_NANO
    const fromDeposits = earnings - earnedAsTrial;
    const rig = (await api.rigs()).rigs[0];
    expect(rig.earningsNano).toBe(earnings.toString());
    expect(rig.jobsDone).toBe(2);
    // The owner's withdrawable money is exactly the earnings that came from deposited money; the earnings
    // paid from trial credit joined the owner's own trial credit, which can't leave.
    const me = await api.me();
    expect(BigInt(me.withdrawableNano)).toBe(fromDeposits);
    expect(BigInt(me.trialNano)).toBe(TRIAL_NANO + earnedAsTrial);
    const balanceBefore = BigInt(me.balanceNano);
    // Everything withdrawable goes out: the amount plus the flat fee, at least the minimum set above.
    const amount = fromDeposits - WITHDRAWAL_FEE_NANO;
    expect(amount).toBeGreaterThanOrEqual(10_000_000n);

    // The rig card shows the same earnings.
    const page = await contexts.open('owner');
    await go(page, owner, '/rigs');
    const card = page.getByTestId(`rig-${state.rigId}`);
    await expect
      .poll(() => card.getByTestId('rig-earnings').textContent(), { timeout: 20_000 })
      .toBe(`${formatTon(earnings)} TON`);
    expect(await card.getByTestId('rig-jobs').textContent()).toBe('2');
    // Its standing and record: in probation (every job audited), latency and uptime, and its last 30 days with
    // the fill and the ask estimator (both jobs were offered to it and run by it).
    expect(await card.getByTestId('rig-standing').textContent()).toMatch(/Probation: its next 18 jobs/);
    expect(await card.getByTestId('rig-latency').textContent()).toMatch(/s \/ .* s$/);
    expect(await card.getByTestId('rig-uptime').textContent()).toMatch(/%$/);
    await card.getByTestId('rig-history-open').click();
    await expect
      .poll(() => card.getByTestId('rig-history').textContent(), { timeout: 20_000 })
      .toContain(
        `2 jobs · ${jobs.rows.reduce((n, j) => n + j.tokens, 0)} tokens · ${formatTon(earnings)} TON earned`,
      );
    expect(await card.getByTestId('rig-fill').textContent()).toContain('ran 2 of the 2 jobs it was offered');
    const estimate = await card.getByTestId('rig-ask-estimate').locator('tbody tr').allTextContents();
    // Its lowest ask (another model's default) is far below the ask that won both jobs: each estimate wins both.
    expect(estimate).toHaveLength(5);
    expect(estimate.every((row) => row.endsWith('2'))).toBe(true);

    // Bind a sandbox wallet (TON Connect + ton_proof) on the Wallet page.
    await go(page, owner, '/wallet');
    await expect
      .poll(() => page.getByTestId('wallet-balance').textContent(), { timeout: 20_000 })
      .toMatch(/TON$/);
    // The page shows the two apart: withdrawable (from deposits) and trial credit (jobs only).
    expect(nanoOf(await page.getByTestId('wallet-withdrawable').textContent())).toBe(fromDeposits);
    expect(nanoOf(await page.getByTestId('wallet-trial').textContent())).toBe(TRIAL_NANO + earnedAsTrial);
    await connectSandboxWallet(page);
    await page.getByTestId('bound-wallet').waitFor({ state: 'visible', timeout: 30_000 });
    const wallet = (await api.me()).wallet!;
    const walletAddress = Address.parse(wallet);
    const onChainBefore = await net.chain.balanceOf(wallet);

    // The page offers exactly the withdrawable earnings less the fee; one more nanoTON is refused.
    const hint = page.getByTestId('withdraw-hint');
    await page.getByTestId('withdraw-amount').fill(formatTon(amount + 1n));
    await expect.poll(() => hint.textContent()).toMatch(/^More than you can withdraw/);
    expect(await page.getByTestId('withdraw-submit').isDisabled()).toBe(true);
    await page.getByTestId('withdraw-amount').fill(formatTon(amount));
    await expect.poll(() => hint.textContent()).toMatch(/^To /);
    expect(await hint.textContent()).toContain(`up to ${formatTon(amount)} TON`);
    await page.getByTestId('withdraw-submit').click();
    await page.getByTestId('withdraw-queued').waitFor({ state: 'visible' });

    // pending → sent → confirmed, as the Withdrawals list shows it.
    const withdrawals = page.getByTestId('withdrawals');
    await expect
      .poll(() => withdrawals.locator('li').first().textContent(), { timeout: 45_000, interval: 1_000 })
      .toContain('confirmed');
    expect(await withdrawals.locator('li').first().textContent()).toContain(`${formatTon(amount)} TON`);
    const [w] = (
      await net.db.query<{ status: string; amount: string }>(
        'SELECT status, amount_nano::text AS amount FROM ton_withdrawals',
      )
    ).rows;
    expect(w).toEqual({ status: 'confirmed', amount: amount.toString() });

    // On chain: the wallet received exactly the amount from the service wallet; its balance rose by it, less
    // only the network fee its own receiving transaction paid.
    const received = net.chain.rawTransactions(wallet).filter((tx) => {
      const info = tx.inMessage?.info;
      return info?.type === 'internal' && info.src.equals(Address.parse(net.chain.serviceAddress()));
    });
    expect(received).toHaveLength(1);
    const info = received[0].inMessage!.info;
    expect(info.type === 'internal' && info.value.coins).toBe(amount);
    expect(info.type === 'internal' && info.dest.equals(walletAddress)).toBe(true);
    const onChainAfter = await net.chain.balanceOf(wallet);
    expect(onChainAfter - onChainBefore).toBe(amount - received[0].totalFees.coins);

    // The account paid the amount and the withdrawal fee: nothing withdrawable is left, and the trial credit
    // (its own and what it earned from trial credit) stays, for jobs only; the page's balance says so.
    const after = balanceBefore - amount - WITHDRAWAL_FEE_NANO;
    expect(BigInt((await api.me()).balanceNano)).toBe(after);
    expect(await split(api)).toEqual([0n, TRIAL_NANO + earnedAsTrial]);
    await page.reload();
    await expect
      .poll(async () => nanoOf(await page.getByTestId('wallet-balance').textContent()), { timeout: 20_000 })
      .toBe(after);
  });
});
