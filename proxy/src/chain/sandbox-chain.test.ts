import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxChain } from './sandbox-chain';

const TON = 1_000_000_000n;
const serviceKey = { seedHex: '11'.repeat(32) };

describe('SandboxChain', () => {
  let chain: SandboxChain;
  beforeAll(async () => {
    chain = await SandboxChain.create({ serviceKey, initialServiceBalanceNano: 100n * TON });
  });

  it('deploys and funds a real V4 service wallet with a non-bounceable address', async () => {
    expect(chain.serviceAddress()).toMatch(/^UQ/);
    // Funded with 100 TON, minus the fees the deploying transaction actually paid.
    const [deployTx] = await chain.listWalletTransactions();
    expect(deployTx.feesPaidNano).toBeGreaterThan(0n);
    expect(await chain.getBalance()).toBe(100n * TON - deployTx.feesPaidNano);
    expect(await chain.getSeqno()).toBe(0);
    const pk = await chain.getWalletPublicKey(chain.serviceAddress());
    expect(pk?.toString('hex')).toBe(chain.serviceWallet.publicKey.toString('hex'));
  });

  it('lists a user deposit with its comment and sender, and skips a failed external', async () => {
    const user = await chain.createUserWallet({ fundNano: 10n * TON });
    await user.sendTransfer({
      to: chain.serviceAddress(),
      amountNano: 2n * TON,
      comment: 'cocoon-abcdefghij',
    });
    const { transfers, cursor } = await chain.listInboundTransfers(null);
    const deposit = transfers.find((t) => t.from === user.address);
    expect(deposit).toMatchObject({ amountNano: 2n * TON, comment: 'cocoon-abcdefghij' });
    expect(deposit?.txHash).toMatch(/^[0-9a-f]{64}$/);
    // Nothing new after the cursor.
    expect((await chain.listInboundTransfers(cursor)).transfers).toEqual([]);
  });

  it('sends TON with a signed external and reports it confirmed', async () => {
    const user = await chain.createUserWallet();
    const sent = await chain.sendTon({ to: user.address, amountNano: 3n * TON, comment: 'withdrawal' });
    expect(await chain.balanceOf(user.address)).toBe(3n * TON);
    const status = await chain.getTransferStatus(sent);
    expect(status.status).toBe('confirmed');
    expect(await chain.getSeqno()).toBe(1);
  });

  it('rejects a replayed external message (seqno already used)', async () => {
    const user = await chain.createUserWallet();
    const sent = await chain.sendTon({ to: user.address, amountNano: TON });
    await expect(chain.sendExternalBoc(sent.boc)).rejects.toThrow();
    expect(await chain.balanceOf(user.address)).toBe(TON);
  });

  it('reports a prepared but never broadcast transfer pending, then expired once its seqno is used', async () => {
    const user = await chain.createUserWallet();
    const prepared = await chain.prepareTransfer({ to: user.address, amountNano: TON, comment: 'first' });
    expect((await chain.getTransferStatus(prepared)).status).toBe('pending');
    await chain.sendTon({ to: user.address, amountNano: TON, comment: 'second' });
    expect((await chain.getTransferStatus(prepared)).status).toBe('expired');
  });
});

describe('SandboxChain persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cocoon-sandbox-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps balances, history and dev wallets across a restart', async () => {
    const stateFile = join(dir, 'chain.json');
    const first = await SandboxChain.create({ serviceKey, stateFile, initialServiceBalanceNano: 50n * TON });
    const user = await first.createUserWallet({ fundNano: 5n * TON });
    await user.sendTransfer({ to: first.serviceAddress(), amountNano: TON, comment: 'hi' });
    const balance = await first.getBalance();
    await first.close();

    const second = await SandboxChain.create({ serviceKey, stateFile });
    expect(await second.getBalance()).toBe(balance);
    expect(second.listUserWallets()).toContain(user.id);
    const { transfers } = await second.listInboundTransfers(null);
    expect(transfers.some((t) => t.from === user.address && t.comment === 'hi')).toBe(true);
    // The treasury's funding of the service wallet is still told apart after the restart, and only it.
    expect(transfers.filter((t) => t.sandboxFunding).map((t) => t.amountNano)).toEqual([50n * TON]);
    // The restored dev wallet still signs (its seqno continues on chain).
    await second.userWallet(user.id).sendTransfer({ to: second.serviceAddress(), amountNano: TON });
    expect(await second.getBalance()).toBeGreaterThan(balance);
  });
});
