// On-chain accounts at the proxy (docs/on-chain-accounts.md). The operator's Vault holds what users' spend
// keys signed over; each wallet holder's UserAccount holds their deposits. The proxy keeps the ledger as the
// fast path and brings it level with the contracts:
// - a deposit or an exit seen on chain moves money into or out of the user's mirror (onchain:<user>);
// - each job paid from the mirror waits for the user's voucher (the spend key signs the cumulative amount);
// - vouchers are claimed in batches (above ONCHAIN_CLAIM_THRESHOLD_NANO, or at once when the user starts an
//   exit, so the last voucher lands within the close delay);
// - a rig owner moves earnings to an operator-signed earnings voucher their RigAccount presents to the vault.
// Nothing here can move a user's money without their spend key's signature: the contracts check it.

import { createHash } from 'node:crypto';
import {
  type AccountData,
  type CocoonCodes,
  compileAll,
  OP_FEE,
  RigAccount,
  rigAccountMessages,
  signEarningsVoucher,
  UserAccount,
  userAccountMessages,
  Vault,
  type VaultConfig,
  vaultMessages,
  verifySpendVoucher,
} from '@cocoon/contracts';
import type { Logger } from '@cocoon/shared/node';
import { Address, type ContractProvider, type TupleReader } from '@ton/core';
import type { KeyPair } from '@ton/crypto';
import type { ChainAdapter } from '../chain';
import type { Config } from '../config';
import type { Db, Queryable } from '../db';
import { conflict, HttpError, notFound } from '../errors';
import { onchainAccount, postTx, SYSTEM } from '../ledger/ledger';
import { movePayout, type RigAccountState, storePayoutSignature } from './payouts';
import { markRefundSent, unsentRefunds } from './refunds';

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

/** Value a claim carries: the vault forwards part to the account and returns the rest. */
const CLAIM_VALUE = 50_000_000n;

/** A get-method runner in the shape the contract wrappers read from. */
function providerFor(chain: ChainAdapter, address: Address): ContractProvider {
  return {
    async get(name: string) {
      const stack = await chain.runGetMethod(address.toString(), name);
      if (!stack) throw new HttpError(409, 'not_deployed', `${address.toString()} is not deployed`);
      return { stack: stack as TupleReader };
    },
  } as unknown as ContractProvider;
}

export class OnchainAccountsService {
  private constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly chain: ChainAdapter,
    private readonly log: Logger,
    private readonly operator: KeyPair,
    readonly codes: CocoonCodes,
    readonly vault: Vault,
    readonly vaultConfig: VaultConfig,
  ) {}

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
    return new OnchainAccountsService(
      deps.db,
      deps.config,
      deps.chain,
      deps.log,
      deps.operator,
      codes,
      vault,
      vaultConfig,
    );
  }

  get vaultAddress(): string {
    return this.vault.address.toString();
  }

  /** Deploys the vault from the service wallet with the configured stake, unless it is there already. */
  async ensureVault(): Promise<void> {
    if (await this.chain.runGetMethod(this.vaultAddress, 'get_vault_data')) return;
    const call = await this.chain.prepareContractCall([
      {
        to: this.vaultAddress,
        amountNano: this.config.ONCHAIN_STAKE_NANO,
        init: this.vault.init,
        body: vaultMessages.stake(),
      },
    ]);
    await this.chain.sendExternalBoc(call.boc);
    this.log.info({ vault: this.vaultAddress }, 'vault deployed');
  }

  userAccountFor(wallet: string): UserAccount {
    return UserAccount.createFromConfig(
      {
        vault: this.vault.address,
        owner: Address.parse(wallet),
        closeDelay: this.vaultConfig.closeDelay,
        operatorKey: this.vaultConfig.operatorKey,
      },
      this.codes.userAccount,
    );
  }

  rigAccountFor(wallet: string): RigAccount {
    return RigAccount.createFromConfig(
      { vault: this.vault.address, owner: Address.parse(wallet) },
      this.codes.rigAccount,
    );
  }

  /** The account's state on chain, or null when it is not deployed. */
  async readAccount(address: Address): Promise<AccountData | null> {
    if (!(await this.chain.runGetMethod(address.toString(), 'get_account_data'))) return null;
    return UserAccount.createFromAddress(address).getAccountData(providerFor(this.chain, address));
  }

  /**
   * Makes the user's on-chain account the money their jobs are paid from. The account must be deployed at
   * the address their bound wallet derives, with a spend key set: the key the proxy will check vouchers by.
   */
  async register(userId: string, wallet: string): Promise<OnchainRow> {
    const account = this.userAccountFor(wallet);
    const data = await this.readAccount(account.address);
    if (!data)
      throw conflict(
        `no account contract at ${account.address.toString()} yet: deploy it with a first deposit from your wallet`,
        'not_deployed',
      );
    if (data.spendKey === 0n)
      throw conflict(
        'the account has no spend key yet: authorize one from your wallet first',
        'no_spend_key',
      );
    await this.db.query(
      `INSERT INTO onchain_accounts (user_id, wallet, address, spend_key, claimed, vouchered, voucher_seq)
       VALUES ($1, $2, $3, $4, $5::numeric, $5::numeric, $6)
       ON CONFLICT (user_id) DO UPDATE SET spend_key = $4`,
      [
        userId,
        wallet,
        account.address.toString(),
        keyHex(data.spendKey),
        data.claimed.toString(),
        data.lastSeq.toString(),
      ],
    );
    await this.sync(userId);
    return (await this.row(this.db, userId))!;
  }

  async row(q: Queryable, userId: string): Promise<OnchainRow | undefined> {
    const r = await q.query<OnchainRow>(
      `SELECT user_id, wallet, address, spend_key, deposited::text, withdrawn::text, claimed::text,
         close_requested_at, vouchered::text, voucher_seq::text, voucher_signature, claiming_seq::text,
         claiming_at
       FROM onchain_accounts WHERE user_id = $1`,
      [userId],
    );
    return r.rows[0];
  }

  /**
   * Brings the ledger level with the contract: new deposits credit the mirror, an exit's payout debits it
   * (beyond its balance from system:onchain_shortfall, the operator's loss), and the claimed amount, the
   * spend key and the exit state are recorded. Each step is keyed by the contract's cumulative totals, so
   * running it twice moves nothing twice.
   */
  async sync(userId: string): Promise<OnchainRow | undefined> {
    const before = await this.row(this.db, userId);
    if (!before) return undefined;
    const data = await this.readAccount(Address.parse(before.address));
    if (!data) return before;
    await this.db.tx(async (q) => {
      const row = (
        await q.query<OnchainRow>(
          `SELECT deposited::text, withdrawn::text FROM onchain_accounts WHERE user_id = $1 FOR UPDATE`,
          [userId],
        )
      ).rows[0];
      const deposited = data.deposited - BigInt(row.deposited);
      if (deposited > 0n)
        await postTx(q, {
          kind: 'onchain_deposit',
          ref: before.address,
          uniqueKey: `onchain-deposit:${before.address}:${data.deposited}`,
          transfers: [{ from: SYSTEM.onchainDeposits, to: onchainAccount(userId), amount: deposited }],
        });
      const withdrawn = data.withdrawn - BigInt(row.withdrawn);
      if (withdrawn > 0n) {
        const mirror = await q.query<{ balance: string }>(
          'SELECT balance::text AS balance FROM accounts WHERE id = $1 FOR UPDATE',
          [onchainAccount(userId)],
        );
        const fromMirror = minBig(withdrawn, BigInt(mirror.rows[0]?.balance ?? '0'));
        await postTx(q, {
          kind: 'onchain_withdrawal',
          ref: before.address,
          uniqueKey: `onchain-withdrawal:${before.address}:${data.withdrawn}`,
          transfers: [
            { from: onchainAccount(userId), to: SYSTEM.onchainWithdrawals, amount: fromMirror },
            { from: SYSTEM.onchainShortfall, to: SYSTEM.onchainWithdrawals, amount: withdrawn - fromMirror },
          ],
        });
      }
      await q.query(
        `UPDATE onchain_accounts SET deposited = $2::numeric, withdrawn = $3::numeric, claimed = $4::numeric,
           spend_key = $5, close_requested_at = $6,
           claiming_seq = CASE WHEN $7::bigint >= coalesce(claiming_seq, 0) THEN NULL ELSE claiming_seq END,
           claiming_at = CASE WHEN $7::bigint >= coalesce(claiming_seq, 0) THEN NULL ELSE claiming_at END,
           synced_at = now()
         WHERE user_id = $1`,
        [
          userId,
          data.deposited.toString(),
          data.withdrawn.toString(),
          data.claimed.toString(),
          keyHex(data.spendKey),
          data.closeRequestedAt ? new Date(data.closeRequestedAt * 1000) : null,
          data.lastSeq.toString(),
        ],
      );
    });
    return this.row(this.db, userId);
  }

  /**
   * Takes the user's voucher for a finished job: it must cover exactly what was signed before plus this
   * job's cash cost, with the next sequence number, signed by the account's spend key.
   */
  async acceptVoucher(
    userId: string,
    jobId: string,
    v: { amountNano: bigint; seq: bigint; signature: Buffer },
  ): Promise<{ vouchered: bigint; seq: bigint }> {
    const result = await this.db.tx(async (q) => {
      const job = (
        await q.query<{ due: string | null; vouchered_at: Date | null }>(
          `SELECT voucher_due::text AS due, vouchered_at FROM jobs WHERE id = $1 AND user_id = $2 FOR UPDATE`,
          [jobId, userId],
        )
      ).rows[0];
      if (!job) throw notFound('no such job of yours');
      if (job.due === null) throw conflict('this job owes no voucher', 'no_voucher_due');
      if (job.vouchered_at) throw conflict('this job was already signed for', 'already_vouchered');
      const row = (
        await q.query<OnchainRow>(
          `SELECT address, spend_key, vouchered::text, voucher_seq::text FROM onchain_accounts
           WHERE user_id = $1 FOR UPDATE`,
          [userId],
        )
      ).rows[0];
      if (!row) throw conflict('you have no on-chain account', 'no_onchain_account');
      const expected = BigInt(row.vouchered) + BigInt(job.due);
      const nextSeq = BigInt(row.voucher_seq) + 1n;
      if (v.amountNano !== expected || v.seq !== nextSeq)
        throw conflict(
          `the voucher must say amount ${expected} (what you signed before, ${row.vouchered}, plus this job's ${job.due}) and seq ${nextSeq}`,
          'wrong_voucher',
        );
      const voucher = {
        vault: this.vault.address,
        account: Address.parse(row.address),
        amount: v.amountNano,
        seq: v.seq,
      };
      if (!verifySpendVoucher(voucher, v.signature, Buffer.from(row.spend_key, 'hex')))
        throw new HttpError(400, 'bad_signature', "the voucher is not signed by the account's spend key");
      await q.query(
        `UPDATE onchain_accounts SET vouchered = $2::numeric, voucher_seq = $3, voucher_signature = $4
         WHERE user_id = $1`,
        [userId, expected.toString(), nextSeq.toString(), v.signature.toString('base64')],
      );
      await q.query('UPDATE jobs SET vouchered_at = now() WHERE id = $1', [jobId]);
      return { vouchered: expected, seq: nextSeq };
    });
    // A voucher that brings the unclaimed amount past the threshold is claimed now (its message sent, not
    // waited for on chain): the voucher is accepted whatever the chain says, the sweep tries again.
    await this.claimIfDue(userId).catch((err) => this.log.warn({ err, userId }, 'claim failed'));
    return result;
  }

  /**
   * Claims a user's latest voucher on chain when what it adds passes the threshold, or at once while the
   * user is exiting (the contract still accepts it during the close delay). One claim in flight per user.
   */
  async claimIfDue(userId: string, force = false): Promise<boolean> {
    const row = await this.sync(userId);
    // A claim in flight for less than ten minutes is waited for; one older than that was lost (bounced,
    // expired) and is sent again.
    const inFlight =
      row?.claiming_seq !== null && row?.claiming_at && Date.now() - row.claiming_at.getTime() < 600_000;
    if (!row?.voucher_signature || inFlight) return false;
    const unclaimed = BigInt(row.vouchered) - BigInt(row.claimed);
    if (unclaimed <= 0n) return false;
    const exiting = row.close_requested_at !== null;
    if (!force && !exiting && unclaimed < this.config.ONCHAIN_CLAIM_THRESHOLD_NANO) return false;
    const call = await this.chain.prepareContractCall([
      {
        to: this.vaultAddress,
        amountNano: CLAIM_VALUE,
        body: vaultMessages.claim({
          owner: Address.parse(row.wallet),
          amount: BigInt(row.vouchered),
          seq: BigInt(row.voucher_seq),
          signature: Buffer.from(row.voucher_signature, 'base64'),
        }),
      },
    ]);
    await this.db.query(
      'UPDATE onchain_accounts SET claiming_seq = $2, claiming_at = now() WHERE user_id = $1',
      [userId, row.voucher_seq],
    );
    await this.chain.sendExternalBoc(call.boc);
    this.log.info({ userId, amount: row.vouchered, unclaimed: unclaimed.toString() }, 'voucher claimed');
    await this.sync(userId);
    return true;
  }

  /** The vault's data, read from the chain. */
  async vaultData() {
    return this.vault.getVaultData(providerFor(this.chain, this.vault.address));
  }

  /**
   * Commits a hash of the ledger to the vault when it changed since the last commit: sha256 over the previous
   * hash, the number of ledger entries and the last entry's id. The vault keeps the latest and its sequence
   * number, so a database restored from an older backup (fewer commits than the vault saw) is caught at start.
   */
  async commitLedger(): Promise<boolean> {
    const last = (
      await this.db.query<{ seq: string; hash: string; entries: string }>(
        'SELECT seq::text, hash, entries::text FROM ledger_commits ORDER BY seq DESC LIMIT 1',
      )
    ).rows[0];
    const now = (
      await this.db.query<{ n: string; last: string | null }>(
        'SELECT count(*)::text AS n, max(id)::text AS last FROM ledger_entries',
      )
    ).rows[0];
    if (last && last.entries === now.n) return false;
    const seq = BigInt(last?.seq ?? '0') + 1n;
    const hash = createHash('sha256')
      .update(`${last?.hash ?? ''}|${now.n}|${now.last ?? ''}`)
      .digest('hex');
    await this.db.query('INSERT INTO ledger_commits (seq, hash, entries) VALUES ($1, $2, $3)', [
      seq.toString(),
      hash,
      now.n,
    ]);
    const call = await this.chain.prepareContractCall([
      {
        to: this.vaultAddress,
        amountNano: 20_000_000n,
        body: vaultMessages.commit(BigInt(`0x${hash}`), seq),
      },
    ]);
    await this.chain.sendExternalBoc(call.boc);
    return true;
  }

  /** Refuses a database older than what this proxy committed to the vault (restored from an old backup). */
  async checkNotRolledBack(): Promise<void> {
    const onChain = (await this.vaultData()).commitSeq;
    const r = await this.db.query<{ seq: string | null }>('SELECT max(seq)::text AS seq FROM ledger_commits');
    const here = BigInt(r.rows[0].seq ?? '0');
    if (onChain > here)
      throw new Error(
        `the database is older than the ledger committed on chain: the vault has commit ${onChain}, this database only ${here}. Restore the latest backup; starting on this one would pay out what was already paid.`,
      );
  }

  /** Pays queued refunds back into users' account contracts (a deposit each, its gas on top). */
  async payRefunds(): Promise<number> {
    let paid = 0;
    for (const r of await unsentRefunds(this.db)) {
      await markRefundSent(this.db, r.job_id);
      const call = await this.chain.prepareContractCall([
        { to: r.address, amountNano: BigInt(r.amount) + OP_FEE, body: userAccountMessages.deposit() },
      ]);
      await this.chain.sendExternalBoc(call.boc);
      await this.sync(r.user_id);
      paid++;
    }
    return paid;
  }

  /** One pass over every account: sync, and claim what is due (the upkeep loop calls it). */
  async sweep(): Promise<void> {
    await this.payRefunds().catch((err) => this.log.warn({ err }, 'on-chain refunds failed'));
    // Accounts with something to do (vouchers to claim, an exit running), then the ones read longest ago (a
    // deposit made straight from a wallet shows up within a few sweeps): a bounded number of chain reads.
    const r = await this.db.query<{ user_id: string }>(
      `SELECT user_id FROM onchain_accounts
       ORDER BY (vouchered > claimed OR close_requested_at IS NOT NULL) DESC, synced_at
       LIMIT 50`,
    );
    for (const { user_id } of r.rows) {
      await this.claimIfDue(user_id).catch((err) =>
        this.log.warn({ err, userId: user_id }, 'on-chain sweep failed for an account'),
      );
    }
  }

  /**
   * Moves `amount` of a rig owner's withdrawable earnings to the on-chain payout of `wallet` (the owner's
   * bound wallet) and signs that wallet's RigAccount's new cumulative earnings (payouts.ts: kept per wallet,
   * as the contract keeps `paid` per RigAccount).
   */
  async payout(ownerId: string, wallet: string, amount: bigint) {
    const rig = this.rigAccountFor(wallet);
    const onChain = await this.rigAccountState(rig);
    return this.db.tx(async (q) => {
      const total = await movePayout(q, { ownerId, wallet, amount, onChain });
      const voucher = { vault: this.vault.address, rigAccount: rig.address, ...total };
      const signature = signEarningsVoucher(voucher, this.operator.secretKey);
      await storePayoutSignature(q, wallet, signature);
      return { rigAccount: rig, voucher, signature };
    });
  }

  /** What a RigAccount has been paid (or is being paid) and its last sequence; zero while not deployed. */
  private async rigAccountState(rig: RigAccount): Promise<RigAccountState> {
    if (!(await this.chain.runGetMethod(rig.address.toString(), 'get_rig_data')))
      return { paid: 0n, lastSeq: 0n };
    const data = await rig.getRigData(providerFor(this.chain, rig.address));
    // A claim in flight (`pending`, above `paid`) will be paid: count it.
    return { paid: data.pending !== 0n ? data.pending : data.paid, lastSeq: data.lastSeq };
  }

  /** The claim_earnings body a rig owner's wallet sends its RigAccount (TON Connect payload, base64). */
  claimEarningsPayload(amount: bigint, seq: bigint, signature: Uint8Array): string {
    return rigAccountMessages
      .claimEarnings({ amount, seq, signature: Buffer.from(signature) })
      .toBoc()
      .toString('base64');
  }

  /** The body of a message that deploys (with a deposit) or tops up a user's account: for the user's wallet. */
  depositBody() {
    return userAccountMessages.deposit();
  }
}

function keyHex(key: bigint): string {
  return key.toString(16).padStart(64, '0');
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
