// On-chain accounts at the proxy (docs/on-chain-accounts.md). The operator's Vault holds what users' spend
// keys signed over; each wallet holder's UserAccount holds their deposits. The proxy keeps the ledger as the
// fast path and brings it level with the contracts:
// - a deposit or an exit seen on chain moves money into or out of the user's mirror (onchain:<user>);
// - each job paid from the mirror waits for the user's voucher (the spend key signs the cumulative amount);
// - vouchers are claimed in batches (above ONCHAIN_CLAIM_THRESHOLD_NANO, or at once when the user starts an
//   exit, so the last voucher lands within the close delay);
// - a rig owner moves earnings to an operator-signed earnings voucher their RigAccount presents to the vault.
// Nothing here can move a user's money without their spend key's signature: the contracts check it.
//
// One file per flow, each a function of the OnchainContext (context.ts): accounts.ts (register, sync),
// deposits.ts, exits.ts, claims.ts (vouchers and claims), payouts.ts, refunds.ts, ledger-commit.ts. This
// class builds the context once and is the one face the app and the routes call.
import {
  type AccountData,
  type CocoonCodes,
  compileAll,
  type RigAccount,
  type UserAccount,
  userAccountMessages,
  Vault,
  type VaultConfig,
  vaultMessages,
} from '@cocoon/contracts';
import type { Logger } from '@cocoon/shared/node';
import { Address } from '@ton/core';
import type { KeyPair } from '@ton/crypto';
import type { ChainAdapter } from '../chain';
import type { Config } from '../config';
import type { Db, Queryable } from '../db';
import { registerAccount, syncAccount } from './accounts';
import { acceptVoucher, claimIfDue } from './claims';
import {
  type OnchainContext,
  type OnchainRow,
  readAccount,
  rigAccountFor,
  userAccountFor,
  vaultAddress,
  vaultData,
} from './context';
import { checkNotRolledBack, commitLedger } from './ledger-commit';
import { claimEarningsPayload, payout } from './payouts';
import { payRefunds } from './refunds';
import { accountRow, accountsToSweep } from './repository';

export type { OnchainRow } from './context';

export class OnchainAccountsService {
  readonly codes: CocoonCodes;
  readonly vault: Vault;
  readonly vaultConfig: VaultConfig;

  private constructor(private readonly ctx: OnchainContext) {
    this.codes = ctx.codes;
    this.vault = ctx.vault;
    this.vaultConfig = ctx.vaultConfig;
  }

  static async create(deps: {
    db: Db;
    config: Config;
    chain: ChainAdapter;
    log: Logger;
    operator: KeyPair;
  }): Promise<OnchainAccountsService> {
    const codes = await compileAll();
    const service = Address.parse(deps.chain.serviceAddress());
    const vaultConfig: VaultConfig = {
      operatorKey: deps.operator.publicKey,
      operator: service,
      feeWallet: service,
      feeBps: deps.config.FEE_BPS,
      closeDelay: deps.config.ONCHAIN_CLOSE_DELAY_S,
      userCode: codes.userAccount,
      rigCode: codes.rigAccount,
    };
    const vault = Vault.createFromConfig(vaultConfig, codes.vault);
    return new OnchainAccountsService({ ...deps, codes, vault, vaultConfig });
  }

  get vaultAddress(): string {
    return vaultAddress(this.ctx);
  }

  /** Deploys the vault from the service wallet with the configured stake, unless it is there already. */
  async ensureVault(): Promise<void> {
    const { chain, config, log } = this.ctx;
    if (await chain.runGetMethod(this.vaultAddress, 'get_vault_data')) return;
    const call = await chain.prepareContractCall([
      {
        to: this.vaultAddress,
        amountNano: config.ONCHAIN_STAKE_NANO,
        init: this.vault.init,
        body: vaultMessages.stake(),
      },
    ]);
    await chain.sendExternalBoc(call.boc);
    log.info({ vault: this.vaultAddress }, 'vault deployed');
  }

  userAccountFor(wallet: string): UserAccount {
    return userAccountFor(this.ctx, wallet);
  }

  rigAccountFor(wallet: string): RigAccount {
    return rigAccountFor(this.ctx, wallet);
  }

  /** The account's state on chain, or null when it is not deployed. */
  readAccount(address: Address): Promise<AccountData | null> {
    return readAccount(this.ctx, address);
  }

  /** Makes the user's on-chain account the money their jobs are paid from (accounts.ts). */
  register(userId: string, wallet: string): Promise<OnchainRow> {
    return registerAccount(this.ctx, userId, wallet);
  }

  row(q: Queryable, userId: string): Promise<OnchainRow | undefined> {
    return accountRow(q, userId);
  }

  /** Brings the ledger level with the contract: deposits, exits, claimed amount, spend key (accounts.ts). */
  sync(userId: string): Promise<OnchainRow | undefined> {
    return syncAccount(this.ctx, userId);
  }

  /** Takes the user's voucher for a finished job (claims.ts). */
  acceptVoucher(
    userId: string,
    jobId: string,
    v: { amountNano: bigint; seq: bigint; signature: Buffer },
  ): Promise<{ vouchered: bigint; seq: bigint }> {
    return acceptVoucher(this.ctx, userId, jobId, v);
  }

  /** Claims a user's latest voucher on chain when it is due (claims.ts). */
  claimIfDue(userId: string, force = false): Promise<boolean> {
    return claimIfDue(this.ctx, userId, force);
  }

  /** The vault's data, read from the chain. */
  vaultData() {
    return vaultData(this.ctx);
  }

  /** Commits a hash of the ledger to the vault when it changed since the last commit (ledger-commit.ts). */
  commitLedger(): Promise<boolean> {
    return commitLedger(this.ctx);
  }

  /** Refuses a database older than what this proxy committed to the vault (ledger-commit.ts). */
  checkNotRolledBack(): Promise<void> {
    return checkNotRolledBack(this.ctx);
  }

  /** Pays queued refunds back into users' account contracts (refunds.ts). */
  payRefunds(): Promise<number> {
    return payRefunds(this.ctx);
  }

  /** One pass over every account: sync, and claim what is due (the upkeep loop calls it). */
  async sweep(): Promise<void> {
    const { db, log } = this.ctx;
    await this.payRefunds().catch((err) => log.warn({ err }, 'on-chain refunds failed'));
    // Accounts with something to do (vouchers to claim, an exit running), then the ones read longest ago (a
    // deposit made straight from a wallet shows up within a few sweeps): a bounded number of chain reads.
    const r = await accountsToSweep(db, 50);
    for (const { user_id } of r) {
      await this.claimIfDue(user_id).catch((err) =>
        log.warn({ err, userId: user_id }, 'on-chain sweep failed for an account'),
      );
    }
  }

  /** Moves a rig owner's earnings to their RigAccount's payout and signs the voucher (payouts.ts). */
  payout(ownerId: string, wallet: string, amount: bigint) {
    return payout(this.ctx, ownerId, wallet, amount);
  }

  /** The claim_earnings body a rig owner's wallet sends its RigAccount (TON Connect payload, base64). */
  claimEarningsPayload(amount: bigint, seq: bigint, signature: Uint8Array): string {
    return claimEarningsPayload(amount, seq, signature);
  }

  /** The body of a message that deploys (with a deposit) or tops up a user's account: for the user's wallet. */
  depositBody() {
    return userAccountMessages.deposit();
  }
}
