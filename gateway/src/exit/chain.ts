import { formatTon } from '@cocoon/shared';
import {
  type Address,
  type Cell,
  type ContractProvider,
  internal,
  type MessageRelaxed,
  SendMode,
  type StateInit,
} from '@ton/core';
import { type KeyPair, mnemonicToPrivateKey, mnemonicValidate } from '@ton/crypto';
import { TonClient, WalletContractV4, WalletContractV5R1 } from '@ton/ton';
import { ExitRefused, type Network, UsageError, WALLET_FEE_MARGIN } from './args';

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

export async function waitFor(
  chain: ExitChain,
  what: string,
  done: () => Promise<boolean>,
): Promise<boolean> {
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
