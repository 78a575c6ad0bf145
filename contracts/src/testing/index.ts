// A Cocoon vault in @ton/sandbox with real wallets and real Ed25519 keys, for the contract tests and the
// gas bench. The user's spend keys are made by `newUser` and stay with the returned user object.
import { randomBytes } from 'node:crypto';
import type { Address } from '@ton/core';
import { toNano } from '@ton/core';
import { type KeyPair, keyPairFromSeed } from '@ton/crypto';
import {
  Blockchain,
  type BlockchainTransaction,
  type SandboxContract,
  type SendMessageResult,
  type TreasuryContract,
} from '@ton/sandbox';
import { compileAll } from '../compile';
import { signEarningsVoucher, signSpendVoucher, signWithdrawalVoucher } from '../vouchers';
import type { RigAccount } from '../wrappers/RigAccount';
import type { UserAccount } from '../wrappers/UserAccount';
import { Vault } from '../wrappers/Vault';

export const START_TIME = 1_800_000_000;

export const newKeyPair = (): KeyPair => keyPairFromSeed(randomBytes(32));

export interface TestUser {
  wallet: SandboxContract<TreasuryContract>;
  account: SandboxContract<UserAccount>;
  spendKeys: KeyPair;
  /** Signs a spend voucher for this user's account with its own spend key. */
  sign(amount: bigint, seq: bigint, keys?: KeyPair): Buffer;
}

export interface TestRig {
  wallet: SandboxContract<TreasuryContract>;
  account: SandboxContract<RigAccount>;
}

export async function createCocoon(opts: { closeDelay?: number; feeBps?: number; vaultTopUp?: bigint } = {}) {
  const blockchain = await Blockchain.create();
  // A fixed clock: no storage fees accrue between transactions unless a test moves time on, so balances
  // move by exactly what the contracts send.
  blockchain.now = START_TIME;
  const codes = await compileAll();
  const operator = await blockchain.treasury('operator');
  const feeWallet = await blockchain.treasury('fee-wallet');
  const operatorKeys = newKeyPair();
  const vault = blockchain.openContract(
    Vault.createFromConfig(
      {
        operatorKey: operatorKeys.publicKey,
        operator: operator.address,
        feeWallet: feeWallet.address,
        feeBps: opts.feeBps ?? 1000,
        closeDelay: opts.closeDelay ?? 86_400,
        userCode: codes.userAccount,
        rigCode: codes.rigAccount,
      },
      codes.vault,
    ),
  );
  const deploy = await vault.sendDeploy(operator.getSender(), opts.vaultTopUp ?? toNano('1'));

  // What only the operator (the proxy) can do: sign earnings and co-sign withdrawals with its key.
  const operatorSigns = {
    earnings: (rigAccount: Address, amount: bigint, seq: bigint, keys: KeyPair = operatorKeys) =>
      signEarningsVoucher({ vault: vault.address, rigAccount, amount, seq }, keys.secretKey),
    withdrawal: (
      account: Address,
      amount: bigint,
      claimed: bigint,
      nonce: number,
      keys: KeyPair = operatorKeys,
    ) => signWithdrawalVoucher({ vault: vault.address, account, amount, claimed, nonce }, keys.secretKey),
  };

  async function newUser(name: string, deposit: bigint, key: { allowance?: bigint; period?: number } = {}) {
    const wallet = await blockchain.treasury(name);
    const account = blockchain.openContract(vault.userAccount(wallet.address));
    const spendKeys = newKeyPair();
    const deployResult = await account.sendDeploy(wallet.getSender(), deposit);
    const keyResult = await account.sendSetSpendKey(wallet.getSender(), {
      key: spendKeys.publicKey,
      allowance: key.allowance,
      period: key.period,
    });
    const user: TestUser = {
      wallet,
      account,
      spendKeys,
      sign: (amount, seq, keys = spendKeys) =>
        signSpendVoucher({ vault: vault.address, account: account.address, amount, seq }, keys.secretKey),
    };
    return { user, deployResult, keyResult };
  }

  async function newRig(name: string): Promise<TestRig> {
    const wallet = await blockchain.treasury(name);
    return { wallet, account: blockchain.openContract(vault.rigAccount(wallet.address)) };
  }

  return {
    blockchain,
    codes,
    operator,
    feeWallet,
    operatorKeys,
    vault,
    deploy,
    operatorSigns,
    newUser,
    newRig,
  };
}

export type Cocoon = Awaited<ReturnType<typeof createCocoon>>;

/** The transactions of `result` on `address`, in order. */
export function txsOn(result: SendMessageResult, address: Address): BlockchainTransaction[] {
  return result.transactions.filter((t) => t.inMessage?.info.dest?.toString() === address.toString());
}

/** The compute phase's exit code of the first transaction on `address` (undefined: none or skipped). */
export function exitCodeOn(result: SendMessageResult, address: Address): number | undefined {
  const t = txsOn(result, address)[0];
  if (t?.description.type !== 'generic') return undefined;
  const c = t.description.computePhase;
  return c.type === 'vm' ? c.exitCode : undefined;
}

/** The value of the internal messages sent from `from` to `to` in `result`. */
export function valueSent(result: SendMessageResult, from: Address, to: Address): bigint {
  let total = 0n;
  for (const t of result.transactions) {
    for (const m of t.outMessages.values()) {
      if (m.info.type !== 'internal') continue;
      if (m.info.src.equals(from) && m.info.dest.equals(to)) total += m.info.value.coins;
    }
  }
  return total;
}

/** Every fee the transactions of `result` paid (gas, storage, forwarding), in nanoTON. */
export function feesOf(result: SendMessageResult): bigint {
  return result.transactions.reduce((sum, t) => sum + t.totalFees.coins, 0n);
}
