// Test helpers for on-chain accounts on the proxy's sandbox chain: a sandbox wallet sends TON Connect
// messages (as the Mini App's bridge does), and a user opens an account contract: the first deposit deploys
// it, set_spend_key authorizes the test's spend key, and registering makes it pay the user's jobs.
import { userAccountMessages } from '@cocoon/contracts/client';
import { keyPairFromSeed } from '@ton/crypto';
import type { ProxyServer } from '../app';
import { userClient } from './harness';
import { anonClient, type DevWallet, devWallet, proofBody } from './sandbox-wallets';

/** What a spend-key message, a comment or `close`/`withdraw` carry: 0.05 TON pays their gas. */
export const OP_VALUE = '50000000';

export async function walletSends(
  proxy: ProxyServer,
  w: DevWallet,
  messages: Array<{ address: string; amount: string; payload?: string; stateInit?: string }>,
): Promise<void> {
  await anonClient(proxy).request('POST', `/dev/sandbox-wallet/${encodeURIComponent(w.id)}/send`, {
    messages,
  });
}

/** A user with a sandbox wallet bound by ton_proof. */
export async function userWithWallet(
  proxy: ProxyServer,
  telegramId: number,
  extra: Parameters<typeof userClient>[3] = {},
) {
  const client = userClient(proxy, telegramId, undefined, extra);
  const wallet = await devWallet(proxy);
  await client.request('POST', '/v1/me/wallet', await proofBody(proxy, client, wallet));
  return { client, wallet };
}

/**
 * A user whose jobs are paid from an account contract holding `deposit` (less its first-deposit reserve and
 * fee), with the spend key of `seed`. `signs`: the returned client signs each job's voucher itself.
 */
export async function onchainUser(
  proxy: ProxyServer,
  telegramId: number,
  deposit: bigint,
  seed: Uint8Array,
  signs = true,
) {
  const { client, wallet } = await userWithWallet(proxy, telegramId, signs ? { spendKey: { seed } } : {});
  const view = await client.onchainAccount();
  const address = view.account!.address;
  await walletSends(proxy, wallet, [
    {
      address,
      amount: deposit.toString(),
      stateInit: view.account!.stateInit,
      payload: view.account!.depositPayload,
    },
  ]);
  const key = userAccountMessages.setSpendKey({
    key: keyPairFromSeed(Buffer.from(seed)).publicKey,
    allowance: 0n,
    period: 0,
  });
  await walletSends(proxy, wallet, [{ address, amount: OP_VALUE, payload: key.toBoc().toString('base64') }]);
  await client.registerOnchain();
  return { client, wallet, address };
}
