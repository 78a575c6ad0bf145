// ToncenterChain against a local HTTP server that answers in TON HTTP API v2's JSON format
// ({ ok, result } envelopes, raw.transaction objects with transaction_id/in_msg/out_msgs/data),
// backed by a SandboxChain so every BoC it serves is a real transaction.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Address, type Message, type Transaction } from '@ton/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxChain } from './sandbox-chain';
import { ToncenterChain } from './toncenter-chain';
import { readComment } from './wallet-tx';

const TON = 1_000_000_000n;
const API_KEY = 'test-key';
const serviceKey = { seedHex: '44'.repeat(32) };

function messageJson(m: Message | null | undefined) {
  if (!m) return undefined;
  const text = readComment(m.body);
  const src = m.info.type === 'internal' ? m.info.src.toString() : '';
  const dest = m.info.type === 'external-out' ? '' : m.info.dest.toString();
  return {
    '@type': 'raw.message',
    hash: m.body.hash().toString('base64'),
    source: src,
    destination: dest,
    value: m.info.type === 'internal' ? m.info.value.coins.toString() : '0',
    extra_currencies: [],
    fwd_fee: m.info.type === 'internal' ? m.info.forwardFee.toString() : '0',
    ihr_fee: '0',
    created_lt: m.info.type === 'external-in' ? '0' : m.info.createdLt.toString(),
    body_hash: m.body.hash().toString('base64'),
    msg_data:
      text !== null
        ? { '@type': 'msg.dataText', text: Buffer.from(text).toString('base64') }
        : { '@type': 'msg.dataRaw', body: m.body.toBoc().toString('base64'), init_state: '' },
    message: text ?? '',
  };
}

function txJson(address: string, tx: Transaction) {
  return {
    '@type': 'raw.transaction',
    address: { '@type': 'accountAddress', account_address: address },
    utime: tx.now,
    data: tx.raw.toBoc().toString('base64'),
    transaction_id: {
      '@type': 'internal.transactionId',
      lt: tx.lt.toString(),
      hash: tx.hash().toString('base64'),
    },
    fee: tx.totalFees.coins.toString(),
    storage_fee: '0',
    other_fee: tx.totalFees.coins.toString(),
    in_msg: messageJson(tx.inMessage),
    out_msgs: [...tx.outMessages.values()].map(messageJson),
  };
}

function fakeToncenter(chain: SandboxChain) {
  const requests: string[] = [];
  let failNext429 = 0;
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = url.pathname.replace('/api/v2/', '');
    requests.push(method);
    if (req.headers['x-api-key'] !== API_KEY)
      return send(401, { ok: false, error: 'API key does not exist', code: 401 });
    if (failNext429 > 0) {
      failNext429--;
      return send(429, { ok: false, error: 'Ratelimit exceed', code: 429 });
    }
    let body: Record<string, unknown> = {};
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    }
    const q = Object.fromEntries(url.searchParams);
    try {
      switch (method) {
        case 'getAddressBalance':
          return send(200, { ok: true, result: (await chain.balanceOf(q.address)).toString() });
        case 'getAddressState':
          return send(200, {
            ok: true,
            result: (await chain.isActive(q.address)) ? 'active' : 'uninitialized',
          });
        case 'getTransactions': {
          let txs = chain.rawTransactions(q.address);
          if (q.lt && q.hash) {
            const i = txs.findIndex((t) => t.lt === BigInt(q.lt) && t.hash().toString('hex') === q.hash);
            if (i < 0)
              return send(500, {
                ok: false,
                error: 'LITE_SERVER_UNKNOWN: cannot locate transaction',
                code: 500,
              });
            txs = txs.slice(i);
          }
          return send(200, {
            ok: true,
            result: txs.slice(0, Number(q.limit ?? 10)).map((t) => txJson(q.address, t)),
          });
        }
        case 'runGetMethod': {
          const addr = Address.parse(String(body.address));
          if (!(await chain.isActive(addr.toString()))) {
            return send(200, {
              ok: true,
              result: { '@type': 'smc.runResult', gas_used: 0, stack: [], exit_code: -13 },
            });
          }
          const r = await chain.blockchain.runGetMethod(addr, String(body.method));
          const stack = r.stack.map((e) =>
            e.type === 'int' ? ['num', `0x${e.value.toString(16)}`] : ['unsupported', null],
          );
          return send(200, {
            ok: true,
            result: { '@type': 'smc.runResult', gas_used: Number(r.gasUsed), stack, exit_code: r.exitCode },
          });
        }
        case 'sendBoc':
          await chain.sendExternalBoc(String(body.boc));
          return send(200, { ok: true, result: { '@type': 'ok', '@extra': '1:2:3' } });
        default:
          return send(404, { ok: false, error: 'Not Found', code: 404 });
      }
    } catch (err) {
      return send(500, { ok: false, error: String(err), code: 500 });
    }
  });
  return { server, requests, rateLimitNext: (n: number) => (failNext429 = n) };
}

describe('ToncenterChain (TON HTTP API v2)', () => {
  let sandbox: SandboxChain;
  let fake: ReturnType<typeof fakeToncenter>;
  let server: Server;
  let chain: ToncenterChain;
  let baseUrl: string;
  beforeAll(async () => {
    sandbox = await SandboxChain.create({ serviceKey, initialServiceBalanceNano: 100n * TON });
    fake = fakeToncenter(sandbox);
    server = fake.server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2`;
    chain = await ToncenterChain.create({ baseUrl, apiKey: API_KEY, network: 'testnet', serviceKey });
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('derives the same service wallet, in testnet non-bounceable form, and reads its balance and seqno', async () => {
    expect(chain.serviceAddress()).toMatch(/^0Q/);
    expect(Address.parse(chain.serviceAddress()).equals(Address.parse(sandbox.serviceAddress()))).toBe(true);
    expect(await chain.getBalance()).toBe(await sandbox.getBalance());
    expect(await chain.getSeqno()).toBe(0);
  });

  it('lists inbound deposits with comments, paging by lt+hash', async () => {
    const user = await sandbox.createUserWallet({ fundNano: 50n * TON });
    for (let i = 1; i <= 7; i++) {
      await user.sendTransfer({
        to: sandbox.serviceAddress(),
        amountNano: BigInt(i) * TON,
        comment: `cocoon-deposit0${i}`,
      });
    }
    const all: string[] = [];
    let before: { lt: bigint; hash: string } | undefined;
    for (let page = 0; page < 10; page++) {
      const txs = await chain.listWalletTransactions({ limit: 3, before });
      all.push(...txs.map((t) => t.txHash));
      if (txs.length < 3) break;
      before = { lt: txs[2].lt, hash: txs[2].txHash };
    }
    expect(all).toEqual((await sandbox.listWalletTransactions({ limit: 100 })).map((t) => t.txHash));

    const { transfers, cursor } = await chain.listInboundTransfers(null);
    const mine = transfers.filter((t) => Address.parse(t.from).equals(Address.parse(user.address)));
    expect(mine.map((t) => [t.amountNano, t.comment])).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((i) => [BigInt(i) * TON, `cocoon-deposit0${i}`]),
    );
    expect(mine[0].from).toMatch(/^0Q/);
    expect((await chain.listInboundTransfers(cursor)).transfers).toEqual([]);
  });

  it('sends TON through sendBoc and confirms it from getTransactions', async () => {
    const user = await sandbox.createUserWallet();
    const sent = await chain.sendTon({ to: user.address, amountNano: 4n * TON, comment: 'withdrawal 1' });
    expect(await sandbox.balanceOf(user.address)).toBe(4n * TON);
    const status = await chain.getTransferStatus(sent);
    expect(status.status).toBe('confirmed');
    expect(await chain.getSeqno()).toBe(1);
    // A message that was never broadcast is pending, not expired (the index may lag).
    const unsent = await chain.prepareTransfer({ to: user.address, amountNano: TON, comment: 'never sent' });
    expect((await chain.getTransferStatus(unsent)).status).toBe('pending');
  });

  it('runs get_public_key, and answers null for an undeployed wallet', async () => {
    const user = await sandbox.createUserWallet({ fundNano: TON });
    await user.sendTransfer({ to: sandbox.serviceAddress(), amountNano: 1n }); // deploys it
    expect((await chain.getWalletPublicKey(user.address))?.toString('hex')).toBe(user.publicKey);
    const fresh = await sandbox.createUserWallet();
    expect(await chain.getWalletPublicKey(fresh.address)).toBeNull();
  });

  it('retries a rate-limited call and fails fast on a bad API key', async () => {
    fake.rateLimitNext(1);
    expect(await chain.getBalance()).toBe(await sandbox.getBalance());
    const noKey = await ToncenterChain.create({ baseUrl, network: 'testnet', serviceKey });
    const before = fake.requests.length;
    await expect(noKey.getBalance()).rejects.toThrow('API key does not exist');
    expect(fake.requests.length - before).toBe(1);
  });
});
