// The exit CLI's command line: usage, flags and environment, checked.
import { readFileSync } from 'node:fs';
import { PAYOUT_MIN_VALUE } from '@cocoon/contracts';
import { parseFlags } from '@cocoon/shared/node';
import { Address } from '@ton/core';
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

/** The chain or the account refuses what was asked (the CLI exits 2, as for a usage error). */
export class ExitRefused extends Error {
  override name = 'ExitRefused';
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
