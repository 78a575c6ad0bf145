// What the on-chain account routes show a user (OnchainAccountView): their account contract as the chain says,
// its mirror in the ledger, the vouchers signed and due, and the payout voucher of their wallet's RigAccount.
import { fromBase64, type OnchainAccountView } from '@cocoon/shared';
import { beginCell, type Cell, storeStateInit } from '@ton/core';
import type { Queryable } from '../db';
import { conflict } from '../errors';
import { balanceOf, onchainAccount } from '../ledger/ledger';
import { walletState } from '../wallet/wallet-binding';
import { payoutVoucher, unsignedVoucherJob } from './repository';
import type { OnchainAccountsService } from './service';

function stateInitBoc(init: { code: Cell; data: Cell }): string {
  return beginCell().store(storeStateInit(init)).endCell().toBoc().toString('base64');
}

/** The user's bound wallet; 409 no_wallet, saying `why` it is needed, when none is bound. */
export async function requireBoundWallet(db: Queryable, userId: string, why: string): Promise<string> {
  const { wallet } = await walletState(db, userId);
  if (!wallet) throw conflict(`bind a wallet first (TON Connect): ${why}`, 'no_wallet');
  return wallet;
}

export async function onchainAccountView(
  db: Queryable,
  service: OnchainAccountsService,
  id: string,
): Promise<OnchainAccountView> {
  const { wallet } = await walletState(db, id);
  const row = await service.sync(id);
  const due = await unsignedVoucherJob(db, id);
  // The voucher of the bound wallet's RigAccount: what was moved to this wallet, by whichever account.
  const p = wallet ? await payoutVoucher(db, id, wallet) : undefined;
  let account: OnchainAccountView['account'] = null;
  if (wallet) {
    const contract = service.userAccountFor(wallet);
    const data = await service.readAccount(contract.address);
    account = {
      address: contract.address.toString(),
      stateInit: stateInitBoc(contract.init!),
      depositPayload: service.depositBody().toBoc().toString('base64'),
      deployed: data !== null,
      spendKey: data && data.spendKey !== 0n ? data.spendKey.toString(16).padStart(64, '0') : null,
      deposited: (data?.deposited ?? 0n).toString(),
      claimed: (data?.claimed ?? 0n).toString(),
      withdrawn: (data?.withdrawn ?? 0n).toString(),
      available: (data?.available ?? 0n).toString(),
      closeRequestedAt: data?.closeRequestedAt ? new Date(data.closeRequestedAt * 1000).toISOString() : null,
    };
  }
  return {
    wallet,
    account,
    registered: row !== undefined,
    mirrorNano: (await balanceOf(db, onchainAccount(id))).toString(),
    voucheredNano: row?.vouchered ?? '0',
    voucherSeq: row?.voucher_seq ?? '0',
    voucherDue: due ? { jobId: due.id, amountNano: due.due } : null,
    rigAccount: wallet ? service.rigAccountFor(wallet).address.toString() : null,
    payout: p
      ? {
          amountNano: p.amount,
          seq: p.seq,
          signature: p.signature,
          payload: service.claimEarningsPayload(BigInt(p.amount), BigInt(p.seq), fromBase64(p.signature)),
          stateInit: stateInitBoc(service.rigAccountFor(wallet!).init!),
        }
      : null,
  };
}
