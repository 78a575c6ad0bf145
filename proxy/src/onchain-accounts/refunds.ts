// Refunds to users who paid from their on-chain account. The contract's `claimed` only grows, so money
// goes back the way any money goes in: a deposit into the user's account contract, sent from the service
// wallet by the on-chain sweep. A deposit's own gas (OP_FEE) is added on top, so the account is credited
// exactly the refund.
import { OP_FEE, userAccountMessages } from '@cocoon/contracts';
import { syncAccount } from './accounts';
import type { OnchainContext } from './context';
import { markRefundSent, unsentRefunds } from './repository';

/** Pays queued refunds back into users' account contracts (a deposit each, its gas on top). */
export async function payRefunds(ctx: OnchainContext): Promise<number> {
  let paid = 0;
  for (const r of await unsentRefunds(ctx.db)) {
    await markRefundSent(ctx.db, r.job_id);
    const call = await ctx.chain.prepareContractCall([
      { to: r.address, amountNano: BigInt(r.amount) + OP_FEE, body: userAccountMessages.deposit() },
    ]);
    await ctx.chain.sendExternalBoc(call.boc);
    await syncAccount(ctx, r.user_id);
    paid++;
  }
  return paid;
}
