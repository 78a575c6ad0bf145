// Trial credit can't be cashed out: not directly, and not laundered through a rig ("A's trial credit pays
// B's rig at a high ask, B withdraws"). Real proxy, real sealed jobs on a protocol-real test worker, real
// wallets and withdrawals on the sandbox chain.
import { ApiError, type CocoonClient } from '@cocoon/shared';
import { beforeEach, describe, expect, it } from 'vitest';
import { userClient } from '../testing/harness';
import { depositVia, devWallet, proofBody } from '../testing/sandbox-wallets';
import { useTestBed } from '../testing/test-bed';
import { startTestWorker } from '../testing/test-worker';
import { ledgerTotals } from './ledger';
import { holdTransfers, releaseTransfers, settleTransfers } from './trial-credit';

const TON = 1_000_000_000n;
const TRIAL = 500_000_000n;
const HIGH_ASK = 1n * TON; // per 1,000 tokens: a few jobs drain the trial credit
const bed = useTestBed();
beforeEach(async () => {
  await bed.start();
  await bed.proxy.ctx.ton!.sender.stop();
});

async function rigFor(owner: CocoonClient, ask: bigint) {
  const { rig, token } = await owner.registerRig('rig');
  const w = startTestWorker({ url: bed.proxy.url, token });
  bed.track(w);
  await w.rigId;
  await owner.setAsk(rig.id, 'test-echo', ask);
  return rig.id;
}

async function bindWallet(c: CocoonClient) {
  const w = await devWallet(bed.proxy);
  const res = await c.request<{ wallet: string }>('POST', '/v1/me/wallet', await proofBody(bed.proxy, c, w));
  expect(res.wallet).toBe(w.address);
  return w;
}

async function withdraw(c: CocoonClient, amountNano: bigint, key: string) {
  return c.request('POST', '/v1/me/withdrawals', { amountNano: amountNano.toString(), idempotencyKey: key });
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => new Error('expected a refusal'),
    (e) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('trial credit', () => {
  it("is refused at withdrawal, and a rig it paid earns trial credit that B can't withdraw either", async () => {
    const alice = userClient(bed.proxy, 8001);
    const bob = userClient(bed.proxy, 8002);
    await rigFor(bob, HIGH_ASK);
    await bindWallet(alice);
    await bindWallet(bob);

    // A: all of it is trial credit; none can leave.
    expect(await alice.me()).toMatchObject({
      balanceNano: `${TRIAL}`,
      trialNano: `${TRIAL}`,
      withdrawableNano: '0',
    });
    const direct = await refusal(withdraw(alice, 400_000_000n, 'a-1'));
    expect(direct.status).toBe(402);
    expect(direct.message).toMatch(/trial credit pays for jobs only/);

    // A's trial credit pays B's rig at a high ask, job after job, until it runs out.
    for (let i = 0; i < 20; i++) {
      const res = await alice
        .runJob({
          model: 'test-echo',
          body: { kind: 'generate', prompt: `job ${i} with a few words`, maxTokens: 40 },
        })
        .catch((err: ApiError) => err);
      if (res instanceof ApiError) {
        expect(res.status).toBe(402); // the trial credit is spent
        break;
      }
    }
    const earned = BigInt(
      (
        await bed.db.query<{ s: string }>(
          "SELECT coalesce(sum(rig_nano), 0)::text AS s FROM jobs WHERE state = 'done'",
        )
      ).rows[0].s,
    );
    expect(earned).toBeGreaterThan(100_000_000n); // more than the minimum withdrawal

    // B earned it as trial credit: spendable on jobs, not withdrawable.
    const b = await bob.me();
    expect(BigInt(b.trialNano)).toBe(TRIAL + earned);
    expect(b.withdrawableNano).toBe('0');
    const laundered = await refusal(withdraw(bob, 100_000_000n, 'b-1'));
    expect(laundered.status).toBe(402);
    expect((await bed.db.query('SELECT 1 FROM ton_withdrawals')).rows).toHaveLength(0);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it('pays first; once it is spent a deposit pays, and what that pays the rig is withdrawable', async () => {
    const alice = userClient(bed.proxy, 8011);
    const bob = userClient(bed.proxy, 8012);
    await rigFor(bob, HIGH_ASK);
    const w = await bindWallet(alice);
    await depositVia(bed.proxy, w, 5n * TON, (await alice.me()).depositMemo);
    await bed.proxy.ctx.ton!.pokeWatcher();
    expect(await alice.me()).toMatchObject({ trialNano: `${TRIAL}`, withdrawableNano: `${5n * TON}` });

    let paid = 0n;
    while (BigInt((await alice.me()).trialNano) > 0n) {
      const res = await alice.runJob({
        model: 'test-echo',
        body: { kind: 'generate', prompt: 'one two three', maxTokens: 40 },
      });
      paid += res.costNano;
    }
    const a = await alice.me();
    expect(BigInt(a.withdrawableNano)).toBe(5n * TON - (paid - TRIAL));
    const b = await bob.me();
    // Bob's rig earned trial credit for the part Alice paid from trial, withdrawable money for the rest.
    expect(BigInt(b.trialNano) + BigInt(b.withdrawableNano)).toBeGreaterThan(TRIAL);
    expect(BigInt(b.withdrawableNano)).toBeGreaterThan(0n);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });
});

describe('trial credit transfers', () => {
  const sum = (ts: Array<{ amount: bigint }>) => ts.reduce((s, t) => s + t.amount, 0n);
  it('take trial first, give back where it came from, and pay the rig trial credit first', () => {
    const hold = holdTransfers('j', 'u', 1000n, { trial: 300n, stars: 0n });
    expect(hold.fromTrial).toBe(300n);
    expect(hold.transfers.map((t) => [t.from, t.amount])).toEqual([
      ['trial:u', 300n],
      ['stars:u', 0n],
      ['user:u', 700n],
    ]);
    expect(
      releaseTransfers('j', 'u', 1000n, { trial: 300n, stars: 0n }).map((t) => [t.to, t.amount]),
    ).toEqual([
      ['trial:u', 300n],
      ['stars:u', 0n],
      ['user:u', 700n],
    ]);
    const settle = settleTransfers({
      jobId: 'j',
      userId: 'u',
      ownerId: 'o',
      hold: 1000n,
      from: { trial: 300n, stars: 0n },
      rigNano: 400n,
      feeNano: 40n,
    });
    expect(settle.map((t) => [t.to, t.amount])).toEqual([
      ['trial:o', 300n],
      ['stars-held:o', 0n],
      ['user:o', 100n],
      ['system:fees', 40n],
      ['trial:u', 0n],
      ['stars:u', 0n],
      ['user:u', 560n],
    ]);
    expect(sum(settle)).toBe(1000n);
  });

  it('take Stars credit after trial and before cash; the rig earns held money for the Stars part', () => {
    const hold = holdTransfers('j', 'u', 1000n, { trial: 100n, stars: 500n });
    expect(hold.transfers.map((t) => [t.from, t.amount])).toEqual([
      ['trial:u', 100n],
      ['stars:u', 500n],
      ['user:u', 400n],
    ]);
    const from = { trial: hold.fromTrial, stars: hold.fromStars };
    expect(releaseTransfers('j', 'u', 1000n, from).map((t) => [t.to, t.amount])).toEqual([
      ['trial:u', 100n],
      ['stars:u', 500n],
      ['user:u', 400n],
    ]);
    // Charge 440 (rig 400, fee 40): trial pays 100, Stars 340; the rig gets 100 trial + 300 held.
    const settle = settleTransfers({
      jobId: 'j',
      userId: 'u',
      ownerId: 'o',
      hold: 1000n,
      from,
      rigNano: 400n,
      feeNano: 40n,
    });
    expect(settle.map((t) => [t.to, t.amount])).toEqual([
      ['trial:o', 100n],
      ['stars-held:o', 300n],
      ['user:o', 0n],
      ['system:fees', 40n],
      ['trial:u', 0n],
      ['stars:u', 160n],
      ['user:u', 400n],
    ]);
    expect(sum(settle)).toBe(1000n);
  });
});
