// `npm run exit -- <status|close|withdraw>`: get your money out of your on-chain account without the proxy,
// with nothing but your wallet's 24 words, a TON HTTP API endpoint (toncenter v2) and the vault's address.
// The account's address is asked of the vault (get_user_account_address of your wallet); `close` and
// `withdraw` are the text comments any wallet can send (docs/on-chain-accounts.md, "Messages"). The logic
// takes an ExitChain, so tests run it on @ton/sandbox (scripts/exit.test.ts) and the CLI on TonClient.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAYOUT_MIN_VALUE, UserAccount, userAccountMessages, Vault } from '@cocoon/contracts';
import { formatTon } from '@cocoon/shared';
import { parseFlags } from '@cocoon/shared/node';
import {
  Address,
  type Cell,
  type ContractProvider,
  internal,
  type MessageRelaxed,
  SendMode,
  type StateInit,
} from '@ton/core';
import { type KeyPair, mnemonicToPrivateKey, mnemonicValidate } from '@ton/crypto';
import { TonClient, WalletContractV4, WalletContractV5R1 } from '@ton/ton';
import { z } from 'zod';

/** What `close` and `withdraw` attach: enough for `withdraw`'s least value (the surplus comes back). */
export const EXIT_MESSAGE_VALUE = PAYOUT_MIN_VALUE;
/** About what the wallet's own transaction costs on top; a wallet holding less is refused before sending. */
export const WALLET_FEE_MARGIN = 10_000_000n;

export const TONCENTER: Record<Network, string> = {
  mainnet: 'https://toncenter.com/api/v2/jsonRPC',
  testnet: 'https://testnet.toncenter.com/api/v2/jsonRPC',
};

export const USAGE = `Usage: npm run exit -- <status|close|withdraw> --vault ADDR --mnemonic-file FILE
                        (--network testnet|mainnet | --endpoint URL) [--api-key KEY] [--wallet-version v4|v5r1] [--force]

Get your money out of your Cocoon on-chain account without the proxy. Your account is a contract of your own;
only your wallet can close it and withdraw what is unclaimed.

  status            your wallet and account addresses, deposited, claimed, withdrawn, available, and when a
                    withdrawal becomes possible
  close             starts the exit: sends your account the comment "close" (0.05 TON, the rest comes back)
  withdraw          after the close delay: sends the comment "withdraw" (0.05 TON); the account pays you
                    everything available. Refused here before the delay has passed unless --force.

  --vault ADDR      the operator's vault (env COCOON_VAULT; the Mini App's on-chain page shows it)
  --mnemonic-file FILE
                    a file holding your wallet's 24 words (env WALLET_MNEMONIC holds the words instead);
                    never put them on the command line
  --network N       testnet|mainnet (env TON_NETWORK): picks toncenter's endpoint
  --endpoint URL    a TON HTTP API v2 endpoint, e.g. https://testnet.toncenter.com/api/v2 (env TONCENTER_URL)
  --api-key KEY     the endpoint's API key (env TONCENTER_API_KEY; without one toncenter allows 1 request/s)
  --wallet-version V  v4|v5r1 (env WALLET_VERSION, default v4): the wallet contract your 24 words open
  --force           send "withdraw" even though the delay has not passed here (the account will refuse it)
  -h, --help        this text`;

const COMMANDS = ['status', 'close', 'withdraw'] as const;
export type ExitCommand = (typeof COMMANDS)[number];
export type Network = 'mainnet' | 'testnet';

const tonAddress = z
  .string({ error: 'is required' })
  .trim()
  .refine((s) => {
    try {
      Address.parse(s);
      return true;
    } catch {
      return false;
    }
  }, 'must be a TON address such as EQ… or 0:<64 hex digits>');

const httpUrl = z
  .string()
  .url('must be a URL such as https://testnet.toncenter.com/api/v2')
  .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL');

export const exitFlags = z
  .object({
    vault: tonAddress,
    mnemonicFile: z.string().min(1).optional(),
    network: z.enum(['mainnet', 'testnet'], { error: 'must be testnet or mainnet' }).optional(),
    endpoint: httpUrl.optional(),
    apiKey: z.string().trim().min(1).optional(),
    walletVersion: z.enum(['v4', 'v5r1'], { error: 'must be v4 or v5r1' }).default('v4'),
    force: z.boolean().default(false),
  })
  .refine((f) => f.network !== undefined || f.endpoint !== undefined, {
    path: ['network'],
    message: 'a TON endpoint is required: --network testnet|mainnet, or --endpoint URL',
  });

const FLAGS = {
  vault: { flag: 'vault', env: 'COCOON_VAULT' },
  mnemonicFile: { flag: 'mnemonic-file' },
  network: { flag: 'network', env: 'TON_NETWORK' },
  endpoint: { flag: 'endpoint', env: 'TONCENTER_URL' },
  apiKey: { flag: 'api-key', env: 'TONCENTER_API_KEY' },
  walletVersion: { flag: 'wallet-version', env: 'WALLET_VERSION' },
  force: { flag: 'force', boolean: true },
} as const;

/** 24 words separated by any whitespace. */
export const mnemonicWords = z
  .string()
  .transform((s) => s.trim().split(/\s+/).filter(Boolean))
  .refine((w) => w.length === 24, {
    error: (i) => `must be 24 words; found ${(i.input as string[]).length}`,
  });

export interface ExitArgs {
  command: ExitCommand;
  vault: Address;
  mnemonic: string[];
  network: Network;
  /** toncenter v2 JSON-RPC URL (…/api/v2/jsonRPC). */
  endpoint: string;
  apiKey?: string;
  walletVersion: 'v4' | 'v5r1';
  force: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** TonClient wants toncenter's JSON-RPC URL; accept the API's base too (…/api/v2). */
export function jsonRpcUrl(endpoint: string): string {
  const u = endpoint.replace(/\/+$/, '');
  return u.endsWith('/jsonRPC') ? u : `${u}/jsonRPC`;
}

/**
 * The command line and environment, checked. Returns 'help' for -h/--help; throws UsageError naming each bad
 * flag otherwise. The mnemonic comes from --mnemonic-file or WALLET_MNEMONIC, never from a flag's value.
 */
export function parseExitArgs(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  readFile: (file: string) => string = (f) => readFileSync(f, 'utf8'),
): ExitArgs | 'help' {
  const fail = (lines: string[]) => {
    throw new UsageError(`${lines.join('\n')}\n\n${USAGE}`);
  };
  if (argv.some((a) => a === '--mnemonic' || a.startsWith('--mnemonic='))) {
    fail([
      '--mnemonic: never put your 24 words on the command line (they stay in your shell history and the ' +
        'process list): write them to a file and pass --mnemonic-file FILE, or set WALLET_MNEMONIC',
    ]);
  }
  const [first, ...rest] = argv;
  if (first === undefined || first.startsWith('-')) {
    if (argv.includes('-h') || argv.includes('--help')) return 'help';
    fail(['a command is required: status, close or withdraw']);
  }
  const command = z.enum(COMMANDS).safeParse(first);
  if (!command.success) fail([`unknown command "${first}": the commands are status, close and withdraw`]);
  const parsed = parseFlags({ argv: rest, env, flags: FLAGS, schema: exitFlags });
  if (parsed.kind === 'help') return 'help';
  if (parsed.kind === 'error') return fail(parsed.lines);
  const f = parsed.config;

  let source: string;
  let label: string;
  if (f.mnemonicFile) {
    label = '--mnemonic-file';
    try {
      source = readFile(f.mnemonicFile);
    } catch (err) {
      return fail([`--mnemonic-file: can't read ${f.mnemonicFile}: ${(err as Error).message}`]);
    }
  } else if (env.WALLET_MNEMONIC?.trim()) {
    label = 'WALLET_MNEMONIC';
    source = env.WALLET_MNEMONIC;
  } else {
    return fail(['--mnemonic-file (or WALLET_MNEMONIC): is required: your wallet’s 24 words']);
  }
  const words = mnemonicWords.safeParse(source);
  if (!words.success) return fail([`${label}: ${words.error.issues[0].message}`]);

  const network: Network =
    f.network ?? (f.endpoint && /testnet/i.test(new URL(f.endpoint).hostname) ? 'testnet' : 'mainnet');
  return {
    command: command.data as ExitCommand,
    vault: Address.parse(f.vault),
    mnemonic: words.data,
    network,
    endpoint: jsonRpcUrl(f.endpoint ?? TONCENTER[network]),
    apiKey: f.apiKey,
    walletVersion: f.walletVersion,
    force: f.force,
  };
}

// ---- the chain ----

/**
 * What the exit needs of a chain: contract providers (get-methods, state, external messages) and the
 * chain's clock. TonClient and @ton/sandbox both hand out ContractProviders.
 */
export interface ExitChain {
  provider(address: Address, init?: StateInit | null): ContractProvider;
  /** Unix seconds, as the contracts' `now()` will see it. */
  now(): Promise<number>;
  /** How long to wait between polls for a sent message to land (0: it has landed when send returns). */
  pollMs: number;
  /** How long to wait for it at most. */
  waitMs: number;
}

/** A chain over TON HTTP API v2 (toncenter), retrying 429s: toncenter allows 1 request/s without a key. */
export function tonClientChain(opts: { endpoint: string; apiKey?: string }): ExitChain {
  const client = new TonClient({ endpoint: opts.endpoint, apiKey: opts.apiKey, timeout: 20_000 });
  const retrying = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const status = (err as { response?: { status?: number } }).response?.status;
        if (attempt >= 6 || !(status === 429 || (status !== undefined && status >= 500))) throw err;
        await sleep(1100 * attempt);
      }
    }
  };
  return {
    provider(address, init) {
      const p = client.provider(address, init);
      return {
        ...p,
        getState: () => retrying(() => p.getState()),
        get: (name, args) => retrying(() => p.get(name, args)),
        external: (message) => retrying(() => p.external(message)),
        internal: p.internal.bind(p),
        open: p.open.bind(p),
        getTransactions: p.getTransactions.bind(p),
      };
    },
    now: async () => Math.floor(Date.now() / 1000),
    pollMs: 3000,
    waitMs: 120_000,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the wallet ----

export interface ExitWallet {
  version: 'v4' | 'v5r1';
  address: Address;
  contract: WalletContractV4 | WalletContractV5R1;
  keys: KeyPair;
}

/** The wallet your 24 words open, as wallet apps derive it (workchain 0; v5r1 with the network's id). */
export async function openWallet(
  mnemonic: string[],
  version: 'v4' | 'v5r1' = 'v4',
  network: Network = 'mainnet',
): Promise<ExitWallet> {
  if (!(await mnemonicValidate(mnemonic)))
    throw new UsageError('the 24 words are not a valid TON wallet mnemonic (check each word and the order)');
  const keys = await mnemonicToPrivateKey(mnemonic);
  const contract =
    version === 'v4'
      ? WalletContractV4.create({ workchain: 0, publicKey: keys.publicKey })
      : WalletContractV5R1.create({
          publicKey: keys.publicKey,
          walletId: { networkGlobalId: network === 'testnet' ? -3 : -239 },
        });
  return { version, address: contract.address, contract, keys };
}

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

export class ExitRefused extends Error {
  override name = 'ExitRefused';
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

/** Sends `body` to `to` from the wallet, and waits until the wallet has taken it (its seqno moved on). */
export async function sendFromWallet(
  chain: ExitChain,
  wallet: ExitWallet,
  to: Address,
  value: bigint,
  body: Cell,
): Promise<void> {
  const balance = (await chain.provider(wallet.address).getState()).balance;
  if (balance < value + WALLET_FEE_MARGIN)
    throw new ExitRefused(
      `your wallet holds ${formatTon(balance)} TON; this needs ${formatTon(value)} TON plus about ` +
        `${formatTon(WALLET_FEE_MARGIN)} TON in fees`,
    );
  await walletTransfer(chain, wallet, [internal({ to, value, bounce: true, body })]);
}

/** Signs `messages` with the wallet's key and sends them (deploying the wallet if need be); waits for its seqno. */
export async function walletTransfer(chain: ExitChain, wallet: ExitWallet, messages: MessageRelaxed[]) {
  const p = chain.provider(wallet.address, wallet.contract.init);
  const active = (await p.getState()).state.type === 'active';
  const seqno = active ? await wallet.contract.getSeqno(p) : 0;
  const transfer = {
    seqno,
    secretKey: wallet.keys.secretKey,
    sendMode: SendMode.PAY_GAS_SEPARATELY | SendMode.IGNORE_ERRORS,
    messages,
    // Valid for two minutes of the chain's own clock (not this machine's).
    timeout: (await chain.now()) + 120,
  };
  if (wallet.contract instanceof WalletContractV4) await wallet.contract.sendTransfer(p, transfer);
  else await wallet.contract.sendTransfer(p, transfer);
  const moved = await waitFor(
    chain,
    'the wallet to send the message',
    async () => (await wallet.contract.getSeqno(p)) > seqno,
  );
  if (!moved) throw new ExitRefused('the wallet did not take the message (its seqno did not move)');
}

async function waitFor(chain: ExitChain, what: string, done: () => Promise<boolean>): Promise<boolean> {
  const until = Date.now() + chain.waitMs;
  for (;;) {
    try {
      if (await done()) return true;
    } catch {
      // Not there yet (an undeployed wallet has no seqno), or a flaky read: poll again.
    }
    if (chain.pollMs === 0 || Date.now() >= until) {
      if (chain.pollMs === 0) return false;
      throw new ExitRefused(`gave up waiting for ${what} after ${chain.waitMs / 1000} s: run status later`);
    }
    await sleep(chain.pollMs);
  }
}

export interface ExitResult {
  /** What happened, in words. */
  message: string;
  before: ExitStatus;
  after: ExitStatus;
}

/** `close`: starts the exit (the comment `close` from the owner's wallet). */
export async function closeAccount(
  chain: ExitChain,
  vault: Address,
  wallet: ExitWallet,
  opts: { force?: boolean } = {},
): Promise<ExitResult> {
  const before = await accountStatus(chain, vault, wallet);
  if (!before.deployed)
    throw new ExitRefused(
      `your account ${before.account.toString()} is not deployed: there is nothing to close`,
    );
  if (before.withdrawFrom !== null && !opts.force)
    throw new ExitRefused(
      `an exit is already running (close requested ${iso(before.closeRequestedAt)}); ` +
        (before.now >= before.withdrawFrom
          ? 'withdraw is possible now'
          : `withdraw from ${iso(before.withdrawFrom)}`),
    );
  await sendFromWallet(
    chain,
    wallet,
    before.account,
    EXIT_MESSAGE_VALUE,
    userAccountMessages.comment('close'),
  );
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
  const before = await accountStatus(chain, vault, wallet);
  if (!before.deployed)
    throw new ExitRefused(
      `your account ${before.account.toString()} is not deployed: there is nothing to withdraw`,
    );
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
  await sendFromWallet(
    chain,
    wallet,
    before.account,
    EXIT_MESSAGE_VALUE,
    userAccountMessages.comment('withdraw'),
  );
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

// ---- main ----

async function main(argv: string[]): Promise<void> {
  const args = parseExitArgs(argv);
  if (args === 'help') {
    console.log(USAGE);
    return;
  }
  const wallet = await openWallet(args.mnemonic, args.walletVersion, args.network);
  const chain = tonClientChain({ endpoint: args.endpoint, apiKey: args.apiKey });
  if (args.command === 'status') {
    console.log(formatStatus(await accountStatus(chain, args.vault, wallet), args.network));
    return;
  }
  const run = args.command === 'close' ? closeAccount : withdrawAccount;
  const result = await run(chain, args.vault, wallet, { force: args.force });
  console.log(result.message);
  console.log('');
  console.log(formatStatus(result.after, args.network));
}

/** Warns when the mnemonic file can be read by others. */
function checkFileMode(argv: string[]) {
  const i = argv.indexOf('--mnemonic-file');
  const file = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--mnemonic-file='))?.split('=')[1];
  if (!file) return;
  try {
    if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0)
      console.error(`exit: WARNING: ${file} can be read by other users: chmod 600 ${file}`);
  } catch {
    // parseExitArgs says why it can't be read.
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  checkFileMode(argv);
  main(argv).catch((err) => {
    const known = err instanceof UsageError || err instanceof ExitRefused;
    console.error(`exit: ${known ? err.message : (err as Error).stack}`);
    process.exit(known ? 2 : 1);
  });
}
