import { beforeAll, describe, expect, it } from 'vitest';
import type { ChainAdapter } from './chain';
import {
  createDepositWatcher,
  createMemoryCursorStore,
  type DepositCredit,
  depositTxKey,
  parseDepositMemo,
} from './deposit-watcher';
import { SandboxChain, type SandboxUserWallet } from './sandbox-chain';
import { scanInbound } from './wallet-tx';

const TON = 1_000_000_000n;

/** Exactly the DB contract: a unique key on txKey, insert-or-ignore. */
function memorySink(opts: { failOn?: (d: DepositCredit) => boolean } = {}) {
  const credits = new Map<string, DepositCredit>();
  let calls = 0;
  return {
    credits,
    calls: () => calls,
    async creditDeposit(d: DepositCredit) {
      calls++;
      if (opts.failOn?.(d)) throw new Error('db down');
      if (!credits.has(d.txKey)) credits.set(d.txKey, d);
    },
    total: (memo: string | null, from?: string) =>
      [...credits.values()]
        .filter((c) => c.memo === memo && (from === undefined || c.from === from))
        .reduce((s, c) => s + c.amountNano, 0n),
  };
}

describe('parseDepositMemo', () => {
  it('accepts the memo leniently and rejects anything else', () => {
    expect(parseDepositMemo('  COCOON-ABCDE23456 \n')).toBe('cocoon-abcde23456');
    expect(parseDepositMemo('cocoon-abcde2345')).toBeNull();
    expect(parseDepositMemo('thanks! cocoon-abcde23456')).toBeNull();
    expect(parseDepositMemo(null)).toBeNull();
  });
});

describe('deposit watcher on the sandbox chain', () => {
  let chain: SandboxChain;
  let alice: SandboxUserWallet;
  let bob: SandboxUserWallet;
  beforeAll(async () => {
    chain = await SandboxChain.create({ serviceKey: { seedHex: '22'.repeat(32) } });
    alice = await chain.createUserWallet({ fundNano: 20n * TON });
    bob = await chain.createUserWallet({ fundNano: 20n * TON });
  });

  it('credits each deposit once, across ticks and a restart with a fresh cursor', async () => {
    const sink = memorySink();
    const cursorStore = createMemoryCursorStore();
    const watcher = createDepositWatcher({ chain, sink, cursorStore });
    await alice.sendTransfer({
      to: chain.serviceAddress(),
      amountNano: 2n * TON,
      comment: 'cocoon-aaaaaaaaaa',
    });
    await bob.sendTransfer({ to: chain.serviceAddress(), amountNano: 3n * TON, comment: 'no memo here' });
    await watcher.tick();
    await watcher.tick();
    expect(sink.total('cocoon-aaaaaaaaaa')).toBe(2n * TON);
    // Unclaimed: bob's comment-less deposit (the sandbox's own funding of the wallet is no deposit).
    expect(sink.total(null, bob.address)).toBe(3n * TON);

    await alice.sendTransfer({ to: chain.serviceAddress(), amountNano: TON, comment: 'Cocoon-AAAAAAAAAA' });
    // Restart: a new watcher that lost its cursor re-reads all history.
    const restarted = createDepositWatcher({ chain, sink, cursorStore: createMemoryCursorStore() });
    await restarted.tick();
    await watcher.tick();
    expect(sink.total('cocoon-aaaaaaaaaa')).toBe(3n * TON);
    expect(sink.total(null, bob.address)).toBe(3n * TON);
    expect(sink.credits.size).toBe(3);
  });

  it('credits everything once when pages arrive newest-first in small bounded steps', async () => {
    for (let i = 0; i < 5; i++) {
      await alice.sendTransfer({
        to: chain.serviceAddress(),
        amountNano: TON + BigInt(i),
        comment: 'cocoon-bbbbbbbbbb',
      });
    }
    // One page of two transactions per tick: the newest arrive first, older ones on later ticks.
    const pagedChain: Pick<ChainAdapter, 'listInboundTransfers'> = {
      listInboundTransfers: (c) =>
        scanInbound((o) => chain.listWalletTransactions(o), c, { pageSize: 2, maxPages: 1 }),
    };
    const sink = memorySink();
    const cursorStore = createMemoryCursorStore();
    const watcher = createDepositWatcher({ chain: pagedChain, sink, cursorStore });
    const order: bigint[] = [];
    for (let i = 0; i < 20; i++) {
      const before = sink.credits.size;
      await watcher.tick();
      for (const c of [...sink.credits.values()].slice(before)) order.push(c.amountNano);
    }
    expect(sink.total('cocoon-bbbbbbbbbb')).toBe(5n * TON + 10n);
    // Delivered out of chain order (newest first), still credited exactly once each.
    expect(order.indexOf(TON + 4n)).toBeLessThan(order.indexOf(TON));
    expect(cursorStore.current()?.resume).toBeUndefined();
    // A new deposit after catching up is picked up on the next tick.
    await bob.sendTransfer({
      to: chain.serviceAddress(),
      amountNano: 7n * TON,
      comment: 'cocoon-cccccccccc',
    });
    await watcher.tick();
    expect(sink.total('cocoon-cccccccccc')).toBe(7n * TON);
  });

  it('keeps the cursor when the ledger fails, and delivers again on the next tick', async () => {
    let down = true;
    const sink = memorySink({ failOn: () => down });
    const cursorStore = createMemoryCursorStore();
    const watcher = createDepositWatcher({ chain, sink, cursorStore });
    await expect(watcher.tick()).rejects.toThrow('db down');
    expect(cursorStore.current()).toBeNull();
    down = false;
    await watcher.tick();
    expect(sink.credits.size).toBeGreaterThan(0);
  });

  it("keeps the sandbox's own funding of its service wallet out of unclaimed deposits, not a stranger's transfer", async () => {
    // The oldest service-wallet transaction: the sandbox treasury deploying and funding it.
    const funding = (await chain.listWalletTransactions({ limit: 1_000 })).at(-1)?.inbound;
    if (!funding) throw new Error('no funding transfer');
    expect(funding.amountNano).toBe(1_000n * TON);
    const carol = await chain.createUserWallet({ fundNano: 5n * TON });
    await carol.sendTransfer({ to: chain.serviceAddress(), amountNano: TON, comment: 'for you' });
    // The same treasury sending more through the dev faucet is a transfer like any other.
    await chain.faucet(chain.serviceAddress(), 2n * TON);

    const sink = memorySink();
    const lines: { level: string; msg: string; fields: object }[] = [];
    const at =
      (level: string) =>
      (fields: object, msg = '') =>
        void lines.push({ level, msg, fields });
    const log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    await createDepositWatcher({ chain, sink, cursorStore: createMemoryCursorStore(), log }).tick();

    expect(sink.credits.has(depositTxKey(funding))).toBe(false);
    expect(sink.total(null, carol.address)).toBe(TON);
    expect(sink.total(null, funding.from)).toBe(2n * TON);
    const unclaimed = lines.filter((l) => l.msg.includes('kept unclaimed')).map((l) => l.fields);
    expect(unclaimed).not.toContainEqual(expect.objectContaining({ txKey: depositTxKey(funding) }));
    expect(unclaimed).toContainEqual(expect.objectContaining({ amount: '1 TON' }));
    expect(unclaimed).toContainEqual(expect.objectContaining({ amount: '2 TON' }));
    expect(lines.filter((l) => l.msg.includes('sandbox')).length).toBeLessThanOrEqual(1);
    expect(lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('ignores bounced messages and outgoing transfers', async () => {
    const sent = await chain.sendTon({ to: alice.address, amountNano: TON, comment: 'refund' });
    const sink = memorySink();
    await createDepositWatcher({ chain, sink, cursorStore: createMemoryCursorStore() }).tick();
    expect([...sink.credits.keys()].some((k) => k.startsWith(sent.externalHash))).toBe(false);
    expect([...sink.credits.values()].every((c) => c.from !== chain.serviceAddress())).toBe(true);
  });
});
