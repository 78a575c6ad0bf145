// What every on-chain account flow works with: the proxy's database, chain and operator key, the vault and
// its code, and the contract addresses and state they derive. The flows (sync, claims, payouts, refunds,
// ledger-commit) are functions of this context; service.ts builds it once and exposes them as one service.
import {
  type AccountData,
  type CocoonCodes,
  RigAccount,
  UserAccount,
  type Vault,
  type VaultConfig,
} from '@cocoon/contracts';
import type { Logger } from '@cocoon/shared/node';
import { Address, type ContractProvider, type TupleReader } from '@ton/core';
import type { KeyPair } from '@ton/crypto';
import type { ChainAdapter } from '../chain';
import type { Config } from '../config';
import type { Db } from '../db';
import { HttpError } from '../errors';

export interface OnchainContext {
  readonly db: Db;
  readonly config: Config;
  readonly chain: ChainAdapter;
  readonly log: Logger;
  readonly operator: KeyPair;
  readonly codes: CocoonCodes;
  readonly vault: Vault;
  readonly vaultConfig: VaultConfig;
}

export interface OnchainRow {
  user_id: string;
  wallet: string;
  address: string;
  spend_key: string;
  deposited: string;
  withdrawn: string;
  claimed: string;
  close_requested_at: Date | null;
  vouchered: string;
  voucher_seq: string;
  voucher_signature: string | null;
  claiming_seq: string | null;
  claiming_at: Date | null;
}

/** A get-method runner in the shape the contract wrappers read from. */
export function providerFor(chain: ChainAdapter, address: Address): ContractProvider {
  return {
    async get(name: string) {
      const stack = await chain.runGetMethod(address.toString(), name);
      if (!stack) throw new HttpError(409, 'not_deployed', `${address.toString()} is not deployed`);
      return { stack: stack as TupleReader };
    },
  } as unknown as ContractProvider;
}

export function vaultAddress(ctx: OnchainContext): string {
  return ctx.vault.address.toString();
}

export function userAccountFor(ctx: OnchainContext, wallet: string): UserAccount {
  return UserAccount.createFromConfig(
    {
      vault: ctx.vault.address,
      owner: Address.parse(wallet),
      closeDelay: ctx.vaultConfig.closeDelay,
      operatorKey: ctx.vaultConfig.operatorKey,
    },
    ctx.codes.userAccount,
  );
}

export function rigAccountFor(ctx: OnchainContext, wallet: string): RigAccount {
  return RigAccount.createFromConfig(
    { vault: ctx.vault.address, owner: Address.parse(wallet) },
    ctx.codes.rigAccount,
  );
}

/** The account's state on chain, or null when it is not deployed. */
export async function readAccount(ctx: OnchainContext, address: Address): Promise<AccountData | null> {
  if (!(await ctx.chain.runGetMethod(address.toString(), 'get_account_data'))) return null;
  return UserAccount.createFromAddress(address).getAccountData(providerFor(ctx.chain, address));
}

/** The vault's data, read from the chain. */
export async function vaultData(ctx: OnchainContext) {
  return ctx.vault.getVaultData(providerFor(ctx.chain, ctx.vault.address));
}

export function keyHex(key: bigint): string {
  return key.toString(16).padStart(64, '0');
}
