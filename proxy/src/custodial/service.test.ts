// Chain selection from config: sandbox key and state kept under DATA_DIR, real networks need their variables.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxChain } from '../chain';
import { PRODUCTION_SECRETS, testConfig } from '../testing/harness';
import { createChainFromConfig } from './service';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('createChainFromConfig', () => {
  it('keeps the sandbox service key (0600) and chain state under DATA_DIR across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cocoon-ton-'));
    dirs.push(dir);
    const config = testConfig({ DATA_DIR: dir });
    const first = (await createChainFromConfig(config, true)) as SandboxChain;
    expect(first).toBeInstanceOf(SandboxChain);
    const user = await first.createUserWallet({ fundNano: 5_000_000_000n });
    await user.sendTransfer({ to: first.serviceAddress(), amountNano: 1_000_000_000n, comment: 'hi' });
    const balance = await first.getBalance();
    await first.close();
    expect(statSync(join(dir, 'ton', 'service-key.json')).mode & 0o777).toBe(0o600);

    const second = (await createChainFromConfig(config, true)) as SandboxChain;
    expect(second.serviceAddress()).toBe(first.serviceAddress());
    expect(await second.getBalance()).toBe(balance);
    expect(second.listUserWallets()).toContain(user.id);
    await second.close();
  });

  it('uses a fresh in-memory chain with a random key when not persisting (tests)', async () => {
    const a = await createChainFromConfig(testConfig(), false);
    const b = await createChainFromConfig(testConfig(), false);
    expect(a.serviceAddress()).not.toBe(b.serviceAddress());
  });

  it('fails start-up naming the missing variable for testnet and mainnet', async () => {
    await expect(
      createChainFromConfig(testConfig({ ...PRODUCTION_SECRETS, TON_NETWORK: 'testnet' }), false),
    ).rejects.toThrow(/TONCENTER_URL/);
    await expect(
      createChainFromConfig(
        testConfig({
          ...PRODUCTION_SECRETS,
          TON_NETWORK: 'mainnet',
          TONCENTER_URL: 'http://127.0.0.1:9/api/v2',
        }),
        false,
      ),
    ).rejects.toThrow(/SERVICE_WALLET_MNEMONIC/);
    await expect(
      createChainFromConfig(
        testConfig({
          ...PRODUCTION_SECRETS,
          TON_NETWORK: 'testnet',
          TONCENTER_URL: 'http://127.0.0.1:9/api/v2',
          SERVICE_WALLET_MNEMONIC: 'one two three',
        }),
        false,
      ),
    ).rejects.toThrow(/SERVICE_WALLET_MNEMONIC/);
  });
});
