// `npm run exit -- <status|close|withdraw>`: get your money out of your on-chain account without the proxy,
// with nothing but your wallet's 24 words, a TON HTTP API endpoint (toncenter v2) and the vault's address.
// The account's address is asked of the vault (get_user_account_address of your wallet); `close` and
// `withdraw` are the text comments any wallet can send (docs/on-chain-accounts.md, "Messages"). The logic
// takes an ExitChain, so tests run it on @ton/sandbox (exit.test.ts) and the CLI on TonClient.
import { statSync } from 'node:fs';
import { ExitRefused, parseExitArgs, USAGE, UsageError } from './args';
import { openWallet, tonClientChain } from './chain';
import { accountStatus, closeAccount, formatStatus, withdrawAccount } from './commands';

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

const argv = process.argv.slice(2);
checkFileMode(argv);
main(argv).catch((err) => {
  const known = err instanceof UsageError || err instanceof ExitRefused;
  console.error(`exit: ${known ? err.message : (err as Error).stack}`);
  process.exit(known ? 2 : 1);
});
