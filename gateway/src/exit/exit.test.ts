// The exit CLI's functions on @ton/sandbox: a real vault and a real user account, a real V4 wallet opened from
// 24 words, a voucher signed by the user's spend key and claimed; then status, a refused early withdraw,
// close, the delay, and a withdraw that pays exactly what is available.
import { depositCredit, signSpendVoucher, userAccountMessages } from '@cocoon/contracts';
import { createCocoon, newKeyPair } from '@cocoon/contracts/testing';
import { type ContractProvider, external, internal, toNano } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import type { Blockchain } from '@ton/sandbox';
import { describe, expect, it } from 'vitest';
import {
  accountStatus,
  closeAccount,
  type ExitChain,
  type ExitWallet,
  formatStatus,
  openWallet,
  parseExitArgs,
  TONCENTER,
  UsageError,
  walletTransfer,
  withdrawAccount,
} from './index';

const TON = 1_000_000_000n;
const CLOSE_DELAY = 3600;

/** The exit's chain on the sandbox: messages land when sent, and the clock is the sandbox's. */
function sandboxChain(blockchain: Blockchain): ExitChain {
  return {
    provider: (address, init) => {
      const p = blockchain.provider(address, init);
      // The provider only queues an external message; send it through the chain at once.
      const sendAtOnce: Pick<ContractProvider, 'external'> = {
        async external(body) {
          const active = (await p.getState()).state.type === 'active';
          await blockchain.sendMessage(
            external({ to: address, init: active ? undefined : (init ?? undefined), body }),
          );
        },
      };
      return Object.assign(Object.create(p), sendAtOnce);
    },
    now: async () => blockchain.now ?? Math.floor(Date.now() / 1000),
    pollMs: 0,
    waitMs: 0,
  };
}

const seqnoOf = (blockchain: Blockchain, w: ExitWallet) =>
  w.contract.getSeqno(blockchain.provider(w.address));

describe('exit without the proxy (sandbox)', () => {
  it('status shows the numbers; withdraw before the delay is refused; close, the delay, withdraw pays exactly available', async () => {
    const c = await createCocoon({ closeDelay: CLOSE_DELAY });
    const chain = sandboxChain(c.blockchain);
    const wallet = await openWallet(await mnemonicNew(24), 'v4');
    const funder = await c.blockchain.treasury('funder');
    await funder.send({ to: wallet.address, value: 20n * TON, bounce: false });

    // Before any deposit: the vault names the account, which is not deployed.
    const empty = await accountStatus(chain, c.vault.address, wallet);
    const derived = c.vault.userAccount(wallet.address);
    expect(empty.account.equals(derived.address)).toBe(true);
    expect(empty).toMatchObject({ deployed: false, available: 0n, closeDelay: CLOSE_DELAY });
    await expect(withdrawAccount(chain, c.vault.address, wallet)).rejects.toThrow(/not deployed/);

    // Deploy with 10 TON, authorize a spend key, and the vault claims a signed voucher of 1.5 TON.
    await walletTransfer(chain, wallet, [
      internal({
        to: derived.address,
        value: 10n * TON,
        init: derived.init,
        body: userAccountMessages.deposit(),
      }),
    ]);
    const spend = newKeyPair();
    await walletTransfer(chain, wallet, [
      internal({
        to: derived.address,
        value: toNano('0.05'),
        body: userAccountMessages.setSpendKey({ key: spend.publicKey, allowance: 0n, period: 0 }),
      }),
    ]);
    const claimed = (3n * TON) / 2n;
    const signature = signSpendVoucher(
      { vault: c.vault.address, account: derived.address, amount: claimed, seq: 1n },
      spend.secretKey,
    );
    await c.vault.sendClaim(c.operator.getSender(), {
      owner: wallet.address,
      amount: claimed,
      seq: 1n,
      signature,
    });

    const deposited = depositCredit(10n * TON, false);
    const status = await accountStatus(chain, c.vault.address, wallet);
    expect(status).toMatchObject({
      deployed: true,
      deposited,
      claimed,
      withdrawn: 0n,
      available: deposited - claimed,
      closeRequestedAt: 0,
      withdrawFrom: null,
    });
    const text = formatStatus(status, 'testnet');
    expect(text).toMatch(/^deposited\s+9\.94 TON$/m);
    expect(text).toMatch(/^claimed\s+1\.5 TON/m);
    expect(text).toMatch(/^available\s+8\.44 TON$/m);
    expect(text).toMatch(/^close delay\s+1 h 0 min$/m);
    expect(text).toMatch(/^exit\s+not started/m);
    expect(text).toContain(status.account.toString({ testOnly: true, urlSafe: true, bounceable: true }));

    // Withdraw with no exit running, then close, then withdraw before the delay: refused here, nothing sent.
    await expect(withdrawAccount(chain, c.vault.address, wallet)).rejects.toThrow(
      /no exit is running: run `close` first/,
    );
    const closed = await closeAccount(chain, c.vault.address, wallet);
    expect(closed.after.closeRequestedAt).toBe(c.blockchain.now);
    expect(closed.after.withdrawFrom).toBe(c.blockchain.now! + CLOSE_DELAY);
    expect(closed.message).toMatch(/exit started; withdraw is possible from .* \(in 1 h 0 min\)/);
    await expect(closeAccount(chain, c.vault.address, wallet)).rejects.toThrow(/an exit is already running/);

    c.blockchain.now = c.blockchain.now! + CLOSE_DELAY - 60;
    const seqno = await seqnoOf(c.blockchain, wallet);
    await expect(withdrawAccount(chain, c.vault.address, wallet)).rejects.toThrow(
      /the close delay has not passed: withdraw is possible from .* \(in 1 min\)/,
    );
    expect(formatStatus(await accountStatus(chain, c.vault.address, wallet))).toMatch(
      /^withdraw\s+possible from .* \(in 1 min\)$/m,
    );
    // --force sends it anyway; the account refuses it and nothing moves.
    await expect(withdrawAccount(chain, c.vault.address, wallet, { force: true })).rejects.toThrow(
      /the account did not pay out/,
    );
    expect(await seqnoOf(c.blockchain, wallet)).toBe(seqno + 1);
    expect((await accountStatus(chain, c.vault.address, wallet)).withdrawn).toBe(0n);

    // After the delay: withdraw pays exactly `available`; the account's balance falls by that plus the storage
    // fee of the hour the clock moved on (a few nanoTON, taken from the reserve).
    c.blockchain.now = c.blockchain.now! + 61;
    const available = deposited - claimed;
    const accountBefore = (await c.blockchain.getContract(derived.address)).balance;
    const walletBefore = (await c.blockchain.getContract(wallet.address)).balance;
    const done = await withdrawAccount(chain, c.vault.address, wallet);
    expect(done.message).toBe('withdrawn 8.44 TON to your wallet');
    expect(done.after).toMatchObject({ withdrawn: available, available: 0n, closeRequestedAt: 0 });
    const fell = accountBefore - (await c.blockchain.getContract(derived.address)).balance;
    expect(fell).toBeGreaterThanOrEqual(available);
    expect(fell - available).toBeLessThan(1_000n);
    const walletGot = (await c.blockchain.getContract(wallet.address)).balance - walletBefore;
    // The payout plus what came back of the 0.05 TON, less the wallet's and the account's fees.
    expect(walletGot).toBeGreaterThan(available - toNano('0.05'));
    expect(walletGot).toBeLessThanOrEqual(available);
  });

  it('refuses to send from a wallet that cannot pay for the message', async () => {
    const c = await createCocoon({ closeDelay: CLOSE_DELAY });
    const chain = sandboxChain(c.blockchain);
    const owner = await c.blockchain.treasury('rich');
    // The account is someone's; this wallet is empty, so even its status shows no account of its own.
    const wallet = await openWallet(await mnemonicNew(24), 'v5r1', 'testnet');
    await owner.send({ to: wallet.address, value: toNano('0.03'), bounce: false });
    const derived = c.vault.userAccount(wallet.address);
    await owner.send({
      to: derived.address,
      value: 2n * TON,
      init: derived.init,
      body: userAccountMessages.deposit(),
    });
    // The account belongs to the wallet (derived from its address) though someone else deposited.
    expect((await accountStatus(chain, c.vault.address, wallet)).deposited).toBe(
      depositCredit(2n * TON, false),
    );
    await expect(closeAccount(chain, c.vault.address, wallet)).rejects.toThrow(
      /your wallet holds 0\.03 TON; this needs 0\.05 TON plus about 0\.01 TON in fees/,
    );
  });
});

describe('exit arguments', () => {
  const WORDS = Array.from({ length: 24 }, (_, i) => `w${i}`).join(' ');
  const VAULT = `0:${'ab'.repeat(32)}`;
  const files: Record<string, string> = { '/k/words': `${WORDS}\n`, '/k/short': 'a b c' };
  const read = (f: string) => {
    if (!(f in files)) throw new Error(`ENOENT: no such file or directory, open '${f}'`);
    return files[f];
  };
  const parse = (argv: string[], env: Record<string, string> = {}) => parseExitArgs(argv, env, read);
  const usage = (argv: string[], env: Record<string, string> = {}) => {
    try {
      parse(argv, env);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message.split('\n\n')[0];
    }
    throw new Error('no UsageError');
  };

  it('parses a command with its flags, and the environment', () => {
    const a = parse(['status', '--vault', VAULT, '--mnemonic-file', '/k/words', '--network', 'testnet']);
    expect(a).toMatchObject({
      command: 'status',
      mnemonic: WORDS.split(' '),
      network: 'testnet',
      endpoint: TONCENTER.testnet,
      walletVersion: 'v4',
      force: false,
    });
    expect(a !== 'help' && a.vault.toRawString()).toBe(VAULT);
    const b = parse(
      [
        'withdraw',
        '--force',
        '--endpoint',
        'https://testnet.toncenter.com/api/v2/',
        '--wallet-version',
        'v5r1',
      ],
      {
        COCOON_VAULT: VAULT,
        WALLET_MNEMONIC: WORDS,
        TONCENTER_API_KEY: 'k123',
      },
    );
    expect(b).toMatchObject({
      command: 'withdraw',
      force: true,
      network: 'testnet',
      endpoint: 'https://testnet.toncenter.com/api/v2/jsonRPC',
      apiKey: 'k123',
      walletVersion: 'v5r1',
    });
    expect(parse(['--help'])).toBe('help');
    expect(parse(['close', '-h'])).toBe('help');
  });

  it('says precisely what is wrong', () => {
    const ok = ['--vault', VAULT, '--mnemonic-file', '/k/words', '--network', 'mainnet'];
    expect(usage([])).toBe('a command is required: status, close or withdraw');
    expect(usage(['exit', ...ok])).toBe(
      'unknown command "exit": the commands are status, close and withdraw',
    );
    expect(usage(['close', '--mnemonic', WORDS])).toMatch(
      /^--mnemonic: never put your 24 words on the command line/,
    );
    expect(usage(['close', `--mnemonic=${WORDS}`])).toMatch(/^--mnemonic: never put/);
    expect(usage(['status', '--mnemonic-file', '/k/words', '--network', 'mainnet'])).toBe(
      '--vault (or COCOON_VAULT): is required',
    );
    expect(usage(['status', ...ok, '--vault', 'nope'])).toBe(
      '--vault (or COCOON_VAULT): must be a TON address such as EQ… or 0:<64 hex digits>',
    );
    expect(usage(['status', '--vault', VAULT, '--mnemonic-file', '/k/words'])).toMatch(
      /^--network \(or TON_NETWORK\): a TON endpoint is required: --network testnet\|mainnet, or --endpoint URL$/,
    );
    expect(usage(['status', ...ok, '--network', 'devnet'])).toBe(
      '--network (or TON_NETWORK): must be testnet or mainnet',
    );
    expect(usage(['status', ...ok, '--endpoint', 'toncenter'])).toMatch(
      /^--endpoint \(or TONCENTER_URL\): must be a URL/,
    );
    expect(usage(['status', ...ok, '--wallet-version', 'v3'])).toBe(
      '--wallet-version (or WALLET_VERSION): must be v4 or v5r1',
    );
    expect(usage(['status', '--vault', VAULT, '--network', 'mainnet'])).toBe(
      '--mnemonic-file (or WALLET_MNEMONIC): is required: your wallet’s 24 words',
    );
    expect(usage(['status', '--vault', VAULT, '--network', 'mainnet', '--mnemonic-file', '/k/short'])).toBe(
      '--mnemonic-file: must be 24 words; found 3',
    );
    expect(usage(['status', '--vault', VAULT, '--network', 'mainnet'], { WALLET_MNEMONIC: 'one two' })).toBe(
      'WALLET_MNEMONIC: must be 24 words; found 2',
    );
    expect(usage(['status', '--vault', VAULT, '--network', 'mainnet', '--mnemonic-file', '/k/none'])).toBe(
      "--mnemonic-file: can't read /k/none: ENOENT: no such file or directory, open '/k/none'",
    );
    expect(usage(['status', ...ok, 'extra'])).toMatch(/Unexpected argument 'extra'/);
  });

  it('refuses 24 words that are not a TON mnemonic', async () => {
    await expect(openWallet(WORDS.split(' '))).rejects.toThrow(/not a valid TON wallet mnemonic/);
  });
});
