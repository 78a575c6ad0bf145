import { describe, expect, it } from 'vitest';
import { createDepositWatcher, createMemoryCursorStore, type DepositCredit } from './deposit-watcher';
import { summarizeWalletFlows, walletTransactionsSince } from './reconcile';
import { SandboxChain } from './sandbox-chain';
import { createMemoryWithdrawalQueue, createWithdrawalSender } from './withdrawal-sender';

const TON = 1_000_000_000n;

describe('reconciliation', () => {
  it('balance = initial + deposits − withdrawals − fees actually paid, to the nanoTON', async () => {
    const chain = await SandboxChain.create({
      serviceKey: { seedHex: '55'.repeat(32) },
      initialServiceBalanceNano: 20n * TON,
    });
    const [startTx] = await chain.listWalletTransactions({ limit: 1 });
    const initial = await chain.getBalance();

    const credits = new Map<string, DepositCredit>();
    const sink = {
      creditDeposit: async (d: DepositCredit) => void (credits.has(d.txKey) || credits.set(d.txKey, d)),
    };
    const watcher = createDepositWatcher({ chain, sink, cursorStore: createMemoryCursorStore() });
    const queue = createMemoryWithdrawalQueue();
    const sender = createWithdrawalSender({ chain, queue });

    const users = [
      await chain.createUserWallet({ fundNano: 30n * TON }),
      await chain.createUserWallet({ fundNano: 30n * TON }),
    ];
    await users[0].sendTransfer({
      to: chain.serviceAddress(),
      amountNano: 7n * TON,
      comment: 'cocoon-aaaaaaaaaa',
    });
    await users[1].sendTransfer({
      to: chain.serviceAddress(),
      amountNano: 3_333_333_333n,
      comment: 'cocoon-bbbbbbbbbb',
    });
    await watcher.tick();
    queue.add({ id: 'a', to: users[0].address, amountNano: 2_500_000_001n });
    queue.add({ id: 'b', to: users[1].address, amountNano: TON });
    for (let i = 0; i < 4; i++) await sender.tick();
    await users[1].sendTransfer({ to: chain.serviceAddress(), amountNano: 123n, comment: 'tip' });
    await watcher.tick();
    // A withdrawal larger than the balance: the wallet runs it, sends nothing, still pays gas.
    queue.add({ id: 'c', to: users[0].address, amountNano: 1_000n * TON });
    for (let i = 0; i < 2; i++) await sender.tick();

    const { transactions, complete } = await walletTransactionsSince(chain, startTx.lt);
    expect(complete).toBe(true);
    const flows = summarizeWalletFlows(transactions);

    // Deposits the ledger credited within the window (the initial funding is before it).
    const depositsNano = [...credits.values()]
      .filter((c) => transactions.some((t) => `${t.txHash}:${t.lt}` === c.txKey))
      .reduce((s, c) => s + c.amountNano, 0n);
    const confirmed = [...queue.rows.values()].filter((r) => r.status === 'confirmed');
    const withdrawalsNano = confirmed.reduce((s, r) => s + r.amountNano, 0n);
    const feesFromTxs = transactions.reduce((s, t) => s + t.feesPaidNano, 0n);

    expect(queue.rows.get('c')?.status).toBe('failed');
    expect(depositsNano).toBe(7n * TON + 3_333_333_333n + 123n);
    expect(withdrawalsNano).toBe(3_500_000_001n);
    expect(flows.inboundNano).toBe(depositsNano);
    expect(flows.outboundNano).toBe(withdrawalsNano);
    expect(flows.feesPaidNano).toBe(feesFromTxs);
    expect(feesFromTxs).toBeGreaterThan(0n);
    expect(await chain.getBalance()).toBe(initial + depositsNano - withdrawalsNano - feesFromTxs);
  });
});
