import { beforeEach, describe, expect, it } from 'vitest';
import type { ChainAdapter } from './chain';
import { SandboxChain } from './sandbox-chain';
import { createMemoryWithdrawalQueue, createWithdrawalSender } from './withdrawal-sender';

const TON = 1_000_000_000n;

describe('withdrawal sender on the sandbox chain', () => {
  let chain: SandboxChain;
  let queue: ReturnType<typeof createMemoryWithdrawalQueue>;
  beforeEach(async () => {
    chain = await SandboxChain.create({
      serviceKey: { seedHex: '33'.repeat(32) },
      initialServiceBalanceNano: 100n * TON,
    });
    queue = createMemoryWithdrawalQueue();
  });

  it('sends a pending withdrawal once and confirms it from the chain', async () => {
    const user = await chain.createUserWallet();
    queue.add({ id: 'w1', to: user.address, amountNano: 5n * TON });
    const sender = createWithdrawalSender({ chain, queue });
    expect(await sender.tick()).toMatchObject({ sent: 1, confirmed: 1 });
    await sender.tick();
    await createWithdrawalSender({ chain, queue }).tick(); // a restarted process
    const row = queue.rows.get('w1');
    expect(row).toMatchObject({ status: 'confirmed', sends: 1 });
    expect(row?.feesPaidNano).toBeGreaterThan(0n);
    expect(await chain.balanceOf(user.address)).toBe(5n * TON);
  });

  it('after a crash between markSent and broadcast, sends the stored message, not a new one', async () => {
    const user = await chain.createUserWallet();
    queue.add({ id: 'w2', to: user.address, amountNano: 2n * TON });
    const crashing: Pick<ChainAdapter, 'prepareTransfer' | 'sendExternalBoc' | 'getTransferStatus'> = {
      prepareTransfer: (a) => chain.prepareTransfer(a),
      getTransferStatus: (r) => chain.getTransferStatus(r),
      sendExternalBoc: async () => {
        throw new Error('process died');
      },
    };
    await createWithdrawalSender({ chain: crashing, queue }).tick();
    expect(queue.rows.get('w2')?.status).toBe('sent');
    expect(await chain.balanceOf(user.address)).toBe(0n);

    await createWithdrawalSender({ chain, queue }).tick();
    expect(queue.rows.get('w2')).toMatchObject({ status: 'confirmed', sends: 1 });
    expect(await chain.balanceOf(user.address)).toBe(2n * TON);
  });

  it('requeues a stored message that can never land, and pays exactly once', async () => {
    const user = await chain.createUserWallet();
    queue.add({ id: 'w3', to: user.address, amountNano: TON });
    const lost: Pick<ChainAdapter, 'prepareTransfer' | 'sendExternalBoc' | 'getTransferStatus'> = {
      prepareTransfer: (a) => chain.prepareTransfer(a),
      getTransferStatus: async () => ({ status: 'pending' }),
      sendExternalBoc: async () => {},
    };
    await createWithdrawalSender({ chain: lost, queue }).tick();
    // Another message takes the seqno the stored one was signed with.
    await chain.sendTon({ to: chain.serviceAddress(), amountNano: 1n, comment: 'operator' });

    const sender = createWithdrawalSender({ chain, queue });
    expect(await sender.tick()).toMatchObject({ requeued: 1, sent: 1, confirmed: 1 });
    expect(queue.rows.get('w3')).toMatchObject({ status: 'confirmed', sends: 2 });
    expect(await chain.balanceOf(user.address)).toBe(TON);
  });

  it('marks a withdrawal the wallet cannot cover as failed, and a bad address too', async () => {
    const user = await chain.createUserWallet();
    queue.add({ id: 'big', to: user.address, amountNano: 1_000n * TON });
    queue.add({ id: 'bad', to: 'not-an-address', amountNano: TON });
    const sender = createWithdrawalSender({ chain, queue });
    await sender.tick();
    await sender.tick();
    expect(queue.rows.get('big')?.status).toBe('failed');
    expect(queue.rows.get('bad')?.status).toBe('failed');
    expect(await chain.balanceOf(user.address)).toBe(0n);
  });
});
