// The on-chain accounts' costs (contracts/): what each step costs in TON in @ton/sandbox with the real
// contracts and wallets, and what a job costs when claims are batched, against Cocoon's stated ~0.01 TON
// per commit. Plus the time to sign and verify a voucher, against one Ed25519 sign+verify of 32 bytes.
//   npx tsx -e "import('@cocoon/bench').then(b => b.benchOnchain()).then(console.table)"
// Costs are what the sender's wallet is poorer by, net of what it gets (gas, forwarding and what stays on
// the contracts as reserves and gas leftovers); the note gives the network fees alone (sum of the
// transactions' total fees).
import { randomBytes } from 'node:crypto';
import {
  ed25519Sign,
  ed25519Verify,
  type SpendVoucher,
  signSpendVoucher,
  spendVoucherCell,
  verifySpendVoucher,
} from '@cocoon/contracts';
import { createCocoon, feesOf, newKeyPair } from '@cocoon/contracts/testing';
import { ed25519 } from '@noble/curves/ed25519.js';
import { fromNano, toNano } from '@ton/core';
import type { SendMessageResult } from '@ton/sandbox';
import type { BenchResult } from './result';

/** Cocoon's stated cost of one on-chain commit, in TON. */
export const COCOON_COMMIT_TON = 0.01;
/** Jobs per claim at the default batching threshold. */
export const JOBS_PER_CLAIM = 20;
const CLAIMS = 10;

const ton = (nano: bigint) => Number(fromNano(nano));
const round = (x: number, d = 5) => Math.round(x * 10 ** d) / 10 ** d;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

type Cocoon = Awaited<ReturnType<typeof createCocoon>>;
type Address = Parameters<Cocoon['blockchain']['getContract']>[0];

const balanceOf = async (c: Cocoon, a: Address) => (await c.blockchain.getContract(a)).balance;

function row(name: string, costNano: bigint, fees: bigint, note = ''): BenchResult {
  return {
    name,
    value: round(ton(costNano)),
    unit: 'TON',
    note: `network fees ${round(ton(fees))} TON${note ? `; ${note}` : ''}`,
  };
}

export async function benchOnchain(): Promise<BenchResult[]> {
  const c = await createCocoon({ closeDelay: 3600, feeBps: 1000 });
  const results: BenchResult[] = [];
  const user = await newUser(c, results);
  results.push(...(await claims(c, user)));
  results.push(...(await payouts(c)));
  results.push(...(await feeWithdrawalAndExit(c, user)));
  results.push(...signing(c, user));
  return results;
}

/** Deploy + first deposit, and the first spend key; their costs go into `results`. */
async function newUser(c: Cocoon, results: BenchResult[]) {
  const balance = (a: Address) => balanceOf(c, a);
  const deposit = toNano('10');
  const userWallet = await c.blockchain.treasury('bench-user');
  const account = c.blockchain.openContract(c.vault.userAccount(userWallet.address));
  const spendKeys = newKeyPair();
  const w0 = await balance(userWallet.address);
  const deployResult = await account.sendDeploy(userWallet.getSender(), deposit);
  const w1 = await balance(userWallet.address);
  const d = await account.getAccountData();
  results.push(
    row(
      'deploy + deposit (user account)',
      w0 - w1 - d.deposited,
      feesOf(deployResult),
      'includes the 0.05 TON storage reserve and the 0.01 TON deposit fee that stay on the account',
    ),
  );
  const keyResult = await account.sendSetSpendKey(userWallet.getSender(), { key: spendKeys.publicKey });
  results.push(
    row(
      'set_spend_key',
      w1 - (await balance(userWallet.address)),
      feesOf(keyResult),
      'the surplus of the 0.02 TON sent comes back',
    ),
  );
  const user = {
    wallet: userWallet,
    account,
    spendKeys,
    sign: (amount: bigint, seq: bigint) =>
      signSpendVoucher(
        { vault: c.vault.address, account: account.address, amount, seq },
        spendKeys.secretKey,
      ),
  };

  return user;
}
type User = Awaited<ReturnType<typeof newUser>>;

/** The claimer (the operator's wallet) presents CLAIMS vouchers one after another. */
async function claims(c: Cocoon, user: User): Promise<BenchResult[]> {
  const balance = (a: Address) => balanceOf(c, a);
  const results: BenchResult[] = [];
  const claimCosts: bigint[] = [];
  let claimFees = 0n;
  for (let i = 1; i <= CLAIMS; i++) {
    const amount = toNano('0.1') * BigInt(i);
    const before = await balance(c.operator.address);
    const r = await c.vault.sendClaim(c.operator.getSender(), {
      owner: user.wallet.address,
      amount,
      seq: BigInt(i),
      signature: user.sign(amount, BigInt(i)),
    });
    claimFees += feesOf(r);
    claimCosts.push(before - (await balance(c.operator.address)));
  }
  const claimCost = claimCosts.reduce((a, b) => a + b, 0n) / BigInt(CLAIMS);
  results.push(
    row(
      'claim (per claim)',
      claimCost,
      claimFees / BigInt(CLAIMS),
      'claimer pays; what is left of the do_claim gas stays in the vault',
    ),
  );
  const perJob = ton(claimCost) / JOBS_PER_CLAIM;
  results.push({
    name: `claim cost per job (one claim per ${JOBS_PER_CLAIM} jobs)`,
    value: round(perJob, 6),
    unit: 'TON',
    baseline: COCOON_COMMIT_TON,
    ratio: round(perJob / COCOON_COMMIT_TON, 3),
    note: "baseline: Cocoon's stated ~0.01 TON per commit",
  });

  return results;
}

/** Earnings payout: first (deploys the rig account) and a later one. */
async function payouts(c: Cocoon): Promise<BenchResult[]> {
  const balance = (a: Address) => balanceOf(c, a);
  const results: BenchResult[] = [];
  const rig = await c.newRig('bench-rig');
  const payout = async (amount: bigint, delta: bigint, seq: bigint) => {
    const before = await balance(rig.wallet.address);
    const r: SendMessageResult = await rig.account.sendClaimEarnings(rig.wallet.getSender(), {
      amount,
      seq,
      signature: c.operatorSigns.earnings(rig.account.address, amount, seq),
    });
    const gained = (await balance(rig.wallet.address)) - before;
    return { r, cost: delta - gained };
  };
  const p1 = await payout(toNano('0.2'), toNano('0.2'), 1n);
  results.push(
    row(
      'earnings payout (first, deploys the rig account)',
      p1.cost,
      feesOf(p1.r),
      'includes the 0.01 TON rig reserve',
    ),
  );
  const p2 = await payout(toNano('0.4'), toNano('0.2'), 2n);
  results.push(row('earnings payout (later)', p2.cost, feesOf(p2.r)));

  return results;
}

/** Fee withdrawal by the operator; the user's exit: close, wait, withdraw. */
async function feeWithdrawalAndExit(c: Cocoon, user: User): Promise<BenchResult[]> {
  const balance = (a: Address) => balanceOf(c, a);
  const results: BenchResult[] = [];
  // Fee withdrawal by the operator.
  const feeBefore = await balance(c.feeWallet.address);
  const opBefore = await balance(c.operator.address);
  const f = await c.vault.sendWithdrawFees(c.operator.getSender(), toNano('0.05'));
  const feeCost =
    opBefore -
    (await balance(c.operator.address)) -
    ((await balance(c.feeWallet.address)) - feeBefore - toNano('0.05'));
  results.push(row('withdraw_fees', feeCost, feesOf(f)));

  // Exit: close, wait, withdraw.
  const { available } = await user.account.getAccountData();
  const e0 = await balance(user.wallet.address);
  const close = await user.account.sendClose(user.wallet.getSender());
  c.blockchain.now = (c.blockchain.now ?? 0) + 3600;
  const withdraw = await user.account.sendWithdraw(user.wallet.getSender());
  const exitCost = available - ((await balance(user.wallet.address)) - e0);
  results.push(row('exit (close + withdraw after the delay)', exitCost, feesOf(close) + feesOf(withdraw)));

  return results;
}

function time(n: number, f: () => unknown): number {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    f();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

/** Signing: a spend voucher (build the cell, hash, sign) and its check, against Ed25519 of 32 bytes. */
function signing(c: Cocoon, user: User): BenchResult[] {
  const results: BenchResult[] = [];
  const keys = user.spendKeys;
  const voucher: SpendVoucher = {
    vault: c.vault.address,
    account: user.account.address,
    amount: 123n,
    seq: 9n,
  };
  const msg = randomBytes(32);
  const baseMs = time(300, () => ed25519Verify(msg, ed25519Sign(msg, keys.secretKey), keys.publicKey));
  const seed = keys.secretKey.subarray(0, 32);
  const pureJsMs = time(50, () => {
    const h = spendVoucherCell(voucher).hash();
    return ed25519.verify(ed25519.sign(h, seed), h, keys.publicKey);
  });
  const voucherMs = time(300, () =>
    verifySpendVoucher(voucher, signSpendVoucher(voucher, keys.secretKey), keys.publicKey),
  );
  results.push({
    name: 'sign + verify a spend voucher',
    value: round(voucherMs, 4),
    unit: 'ms',
    baseline: round(baseMs, 4),
    ratio: round(voucherMs / baseMs, 2),
    note: 'node:crypto; baseline: one Ed25519 sign + verify of a 32-byte message, same path',
  });
  results.push({
    name: 'sign + verify a spend voucher (pure JS, the browser path)',
    value: round(pureJsMs, 3),
    unit: 'ms',
    baseline: round(baseMs, 4),
    ratio: round(pureJsMs / baseMs, 1),
    note: '@noble/curves, as the Mini App signs (no node:crypto in the browser)',
  });
  return results;
}
