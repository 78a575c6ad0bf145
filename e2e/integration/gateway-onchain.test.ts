// The OpenAI gateway for a developer whose jobs are paid from their on-chain account: the gateway holds the
// spend key the account authorized and signs each job's voucher as its result comes in, keeping the last
// one in its file store. On the proxy's in-process sandbox chain with real contracts (the setup of
// onchain.test.ts): a bound sandbox wallet deploys the account, authorizes the key, and the user registers.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ClientGateway, fileVoucherStore, startClientGateway } from '@cocoon/gateway';
import type { Db, ProxyServer } from '@cocoon/proxy';
import {
  onchainUser,
  openTestDb,
  resetDb,
  startTestProxy,
  startTestWorker,
  type TestWorker,
  userClient,
} from '@cocoon/proxy/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const TON = 1_000_000_000n;
let db: Db;
let proxy: ProxyServer;
let workers: TestWorker[] = [];
let gateways: ClientGateway[] = [];
let dir: string;

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await resetDb(db);
  dir = mkdtempSync(path.join(tmpdir(), 'gw-onchain-'));
  proxy = await startTestProxy(db, {
    ONCHAIN_ACCOUNTS: 'true',
    ONCHAIN_CLOSE_DELAY_S: '3600',
    ONCHAIN_CLAIM_THRESHOLD_NANO: '1',
    TRIAL_CREDIT_NANO: '0',
    RIG_COOLDOWN_MS: '0',
  });
});
afterEach(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  gateways = [];
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
  await proxy?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function echoRig(ownerId: number) {
  const owner = userClient(proxy, ownerId);
  const { rig, token } = await owner.registerRig('rig');
  const worker = startTestWorker({ url: proxy.url, token });
  workers.push(worker);
  await worker.rigId;
  await owner.setAsk(rig.id, 'test-echo', 5_000_000n);
}

/** A developer with an on-chain account holding `deposit`, its spend key `seed`, and an API key. */
async function onchainDeveloper(telegramId: number, deposit: bigint, seed: Buffer) {
  const { client } = await onchainUser(proxy, telegramId, deposit, seed, false);
  const { key: apiKey } = await client.createApiKey('gateway');
  return { client, apiKey };
}

async function chat(gateway: ClientGateway, content: string) {
  const res = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer unused' },
    body: JSON.stringify({ model: 'test-echo', messages: [{ role: 'user', content }], max_tokens: 20 }),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      usage: { cost_nanoton: string };
      error: { type: string; code: string; message: string };
    },
  };
}

describe('the gateway pays from an on-chain account', () => {
  it('signs each chat completion’s voucher with the spend key, for exactly its cost, and keeps the last in its store', async () => {
    await echoRig(2101);
    const seed = randomBytes(32);
    const { client, apiKey } = await onchainDeveloper(1101, 2n * TON, seed);
    const storePath = path.join(dir, 'voucher.json');
    const gateway = await startClientGateway({
      proxyUrl: proxy.url,
      apiKey,
      port: 0,
      spendKey: { seed, store: fileVoucherStore(storePath) },
    });
    gateways.push(gateway);

    let spent = 0n;
    for (const [i, prompt] of ['hello chain', 'and again'].entries()) {
      const r = await chat(gateway, prompt);
      expect(r.status).toBe(200);
      const cost = BigInt(r.body.usage.cost_nanoton);
      expect(cost).toBeGreaterThan(0n);
      spent += cost;
      const view = await client.onchainAccount();
      expect(BigInt(view.voucheredNano)).toBe(spent);
      expect(view.voucherSeq).toBe(String(i + 1));
      expect(view.voucherDue).toBeNull();
      // Claimed on chain at once here (threshold 1 nanoTON): the contract took what the key signed.
      expect(BigInt(view.account!.claimed)).toBe(spent);
    }
    expect(fileVoucherStore(storePath).get()).toEqual({ amountNano: spent, seq: 2n });
  });

  it('without the spend key the next job is a 409 voucher_due in OpenAI’s shape', async () => {
    await echoRig(2102);
    const { apiKey } = await onchainDeveloper(1102, 2n * TON, randomBytes(32));
    const gateway = await startClientGateway({ proxyUrl: proxy.url, apiKey, port: 0 });
    gateways.push(gateway);
    expect((await chat(gateway, 'first')).status).toBe(200);
    const second = await chat(gateway, 'second');
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ type: 'invalid_request_error', code: 'voucher_due' });
    expect(second.body.error.message).toContain('--spend-key-file or COCOON_SPEND_KEY');
  });
});
