import { UserAccount, userAccountMessages, Vault } from '@cocoon/contracts';
import { formatTon } from '@cocoon/shared';
import type { Address } from '@ton/core';
import { EXIT_MESSAGE_VALUE, ExitRefused, type Network } from './args';
import { type ExitChain, type ExitWallet, sendFromWallet, waitFor } from './chain';

// ---- the commands ----

export interface ExitStatus {
  wallet: Address;
  walletBalance: bigint;
  vault: Address;
  account: Address;
  deployed: boolean;
  closeDelay: number;
  deposited: bigint;
  claimed: bigint;
  withdrawn: bigint;
  available: bigint;
  /** Unix seconds; 0: no exit running. */
  closeRequestedAt: number;
  /** Unix seconds from which `withdraw` is accepted; null with no exit running. */
  withdrawFrom: number | null;
  now: number;
}

/** The account of `wallet` under `vault`, as the vault derives it, and what it holds. */
export async function accountStatus(
  chain: ExitChain,
  vault: Address,
  wallet: ExitWallet,
): Promise<ExitStatus> {
  const v = Vault.createFromAddress(vault);
  const vp = chain.provider(vault);
  const vaultState = await vp.getState();
  if (vaultState.state.type !== 'active')
    throw new ExitRefused(`no vault is deployed at ${vault.toString()}: check --vault and the network`);
  const vaultData = await v.getVaultData(vp);
  const account = await v.getUserAccountAddress(vp, wallet.address);
  const walletBalance = (await chain.provider(wallet.address).getState()).balance;
  const ap = chain.provider(account);
  const deployed = (await ap.getState()).state.type === 'active';
  const now = await chain.now();
  const base = { wallet: wallet.address, walletBalance, vault, account, deployed, now };
  if (!deployed) {
    return {
      ...base,
      closeDelay: vaultData.closeDelay,
      deposited: 0n,
      claimed: 0n,
      withdrawn: 0n,
      available: 0n,
      closeRequestedAt: 0,
      withdrawFrom: null,
    };
  }
  const d = await UserAccount.createFromAddress(account).getAccountData(ap);
  return {
    ...base,
    closeDelay: d.closeDelay,
    deposited: d.deposited,
    claimed: d.claimed,
    withdrawn: d.withdrawn,
    available: d.available,
    closeRequestedAt: d.closeRequestedAt,
    withdrawFrom: d.closeRequestedAt === 0 ? null : d.closeRequestedAt + d.closeDelay,
  };
}

const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min`;
  return `${s} s`;
}

/** `status`'s text, one `label  value` line each. */
export function formatStatus(s: ExitStatus, network: Network = 'mainnet'): string {
  const addr = (a: Address, bounceable = true) =>
    a.toString({ bounceable, testOnly: network === 'testnet', urlSafe: true });
  const ton = (n: bigint) => `${formatTon(n)} TON`;
  const lines: Array<[string, string]> = [
    ['wallet', `${addr(s.wallet, false)} (holds ${ton(s.walletBalance)})`],
    ['vault', addr(s.vault)],
    ['account', `${addr(s.account)}${s.deployed ? '' : ' (not deployed: nothing deposited)'}`],
  ];
  if (s.deployed) {
    lines.push(
      ['deposited', ton(s.deposited)],
      ['claimed', `${ton(s.claimed)} (by vouchers your spend key signed)`],
      ['withdrawn', ton(s.withdrawn)],
      ['available', ton(s.available)],
    );
  }
  lines.push(['close delay', formatDuration(s.closeDelay)]);
  if (s.deployed) {
    if (s.withdrawFrom === null) {
      lines.push(['exit', 'not started: `close` starts it']);
    } else {
      lines.push(['close requested', iso(s.closeRequestedAt)]);
      lines.push([
        'withdraw',
        s.now >= s.withdrawFrom
          ? `possible now (since ${iso(s.withdrawFrom)}): \`withdraw\` pays you ${ton(s.available)}`
          : `possible from ${iso(s.withdrawFrom)} (in ${formatDuration(s.withdrawFrom - s.now)})`,
      ]);
    }
  }
  return lines.map(([k, v]) => `${k.padEnd(16)}${v}`).join('\n');
}

export interface ExitResult {
  /** What happened, in words. */
  message: string;
  before: ExitStatus;
  after: ExitStatus;
}

/** The account's status; refused when it is not deployed (there is nothing to `what`). */
async function deployedStatus(chain: ExitChain, vault: Address, wallet: ExitWallet, what: string) {
  const status = await accountStatus(chain, vault, wallet);
  if (!status.deployed)
    throw new ExitRefused(
      `your account ${status.account.toString()} is not deployed: there is nothing to ${what}`,
    );
  return status;
}

/** Sends the account one of the text comments it takes, with EXIT_MESSAGE_VALUE (the surplus comes back). */
function sendComment(chain: ExitChain, wallet: ExitWallet, account: Address, text: 'close' | 'withdraw') {
  return sendFromWallet(chain, wallet, account, EXIT_MESSAGE_VALUE, userAccountMessages.comment(text));
}

/** `close`: starts the exit (the comment `close` from the owner's wallet). */
export async function closeAccount(
  chain: ExitChain,
  vault: Address,
  wallet: ExitWallet,
  opts: { force?: boolean } = {},
): Promise<ExitResult> {
  const before = await deployedStatus(chain, vault, wallet, 'close');
  if (before.withdrawFrom !== null && !opts.force)
    throw new ExitRefused(
      `an exit is already running (close requested ${iso(before.closeRequestedAt)}); ` +
        (before.now >= before.withdrawFrom
          ? 'withdraw is possible now'
          : `withdraw from ${iso(before.withdrawFrom)}`),
    );
  await sendComment(chain, wallet, before.account, 'close');
  let after = before;
  await waitFor(chain, 'the account to record the close', async () => {
    after = await accountStatus(chain, vault, wallet);
    return after.closeRequestedAt !== 0;
  });
  if (after.withdrawFrom === null)
    throw new ExitRefused('the account did not record the close: check your wallet’s transactions');
  return {
    message: `exit started; withdraw is possible from ${iso(after.withdrawFrom)} (in ${formatDuration(
      after.withdrawFrom - after.now,
    )}); until then the operator may still claim the last voucher you signed`,
    before,
    after,
  };
}

/** `withdraw`: after the close delay, the comment `withdraw`; the account pays `available` to the wallet. */
export async function withdrawAccount(
  chain: ExitChain,
  vault: Address,
  wallet: ExitWallet,
  opts: { force?: boolean } = {},
): Promise<ExitResult> {
  const before = await deployedStatus(chain, vault, wallet, 'withdraw');
  if (!opts.force) {
    if (before.withdrawFrom === null)
      throw new ExitRefused('no exit is running: run `close` first, then `withdraw` after the close delay');
    if (before.now < before.withdrawFrom)
      throw new ExitRefused(
        `the close delay has not passed: withdraw is possible from ${iso(before.withdrawFrom)} ` +
          `(in ${formatDuration(before.withdrawFrom - before.now)}); the account would refuse it now ` +
          '(--force sends it anyway)',
      );
  }
  await sendComment(chain, wallet, before.account, 'withdraw');
  let after = before;
  const changed = await waitFor(chain, 'the account to pay out', async () => {
    after = await accountStatus(chain, vault, wallet);
    return after.withdrawn > before.withdrawn || after.closeRequestedAt === 0;
  }).catch(() => false);
  if (!changed)
    throw new ExitRefused(
      'the account did not pay out (it refuses `withdraw` with no exit running or before the close delay; ' +
        'the 0.05 TON came back less fees): run status',
    );
  return {
    message: `withdrawn ${formatTon(after.withdrawn - before.withdrawn)} TON to your wallet`,
    before,
    after,
  };
}
