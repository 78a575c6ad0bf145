// Model identity: the catalogue pins a model name to a digest; a rig reporting another digest (or none) is
// refused for that model, told why, and its owner sees why; /v1/models and the board show the digest.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { newEd25519KeyPair, newX25519KeyPair, toBase64 } from '@cocoon/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProxyServer } from '../app';
import type { Db } from '../db';
import { openTestDb, PRODUCTION_SECRETS, resetDb, startTestProxy, userClient } from '../testing/harness';
import { startTestWorker, type TestWorker } from '../testing/test-worker';

const PINNED = 'a'.repeat(12) + '0'.repeat(52);
const OTHER = 'b'.repeat(64);
const KINDS: Array<'generate' | 'chat'> = ['generate', 'chat'];

let db: Db;
let proxy: ProxyServer | undefined;
let dir: string;
let workers: TestWorker[] = [];

beforeAll(async () => {
  db = await openTestDb();
  dir = await mkdtemp(path.join(tmpdir(), 'cocoon-catalogue-'));
});
afterAll(async () => {
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await resetDb(db);
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
  await proxy?.close();
  proxy = undefined;
});

async function catalogueFile(): Promise<string> {
  const file = path.join(dir, 'catalogue.json');
  const entry = { name: 'test-echo', digest: PINNED, kinds: KINDS, contextLength: 4096, deterministic: true };
  await writeFile(file, JSON.stringify({ models: [entry] }));
  return file;
}

async function rig(p: ProxyServer, ownerId: number, digest: string | undefined) {
  const owner = userClient(p, ownerId);
  const { rig: view, token } = await owner.registerRig(`rig-${ownerId}`);
  const worker = startTestWorker({ url: p.url, token, models: [{ id: 'test-echo', kinds: KINDS, digest }] });
  workers.push(worker);
  await worker.rigId;
  return { id: view.id, worker, owner };
}

describe('the model catalogue', () => {
  it('serves a rig with the pinned digest and refuses one with another digest or none', async () => {
    proxy = await startTestProxy(db, { MODEL_CATALOGUE: await catalogueFile() });
    const good = await rig(proxy, 1001, PINNED);
    const bad = await rig(proxy, 1002, OTHER);
    const old = await rig(proxy, 1003, undefined);

    expect(good.worker.refused).toEqual([]);
    expect(bad.worker.refused).toEqual([
      { model: 'test-echo', reason: expect.stringContaining('bbbbbbbbbbbb') },
    ]);
    expect(old.worker.refused).toEqual([
      { model: 'test-echo', reason: expect.stringContaining('no digest') },
    ]);

    const [goodView] = (await good.owner.rigs()).rigs;
    expect(goodView.models).toEqual([
      expect.objectContaining({ id: 'test-echo', digest: 'aaaaaaaaaaaa', refused: null }),
    ]);
    const [badView] = (await bad.owner.rigs()).rigs;
    expect(badView.models).toEqual([
      expect.objectContaining({
        id: 'test-echo',
        digest: 'bbbbbbbbbbbb',
        refused: expect.stringContaining('catalogue'),
      }),
    ]);

    const client = userClient(proxy, 2001);
    expect((await client.models()).data).toEqual([
      expect.objectContaining({ id: 'test-echo', digest: 'aaaaaaaaaaaa' }),
    ]);
    const board = await client.market();
    expect(board.models).toEqual([expect.objectContaining({ model: 'test-echo', digest: 'aaaaaaaaaaaa' })]);
    // Only the rig with the pinned digest is on the board, so only it gets jobs.
    expect(board.models[0].asks.reduce((n, a) => n + a.rigs, 0)).toBe(1);
    const res = await client.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'pinned bytes', maxTokens: 5 },
    });
    expect(res.rigId).toBe(good.id);
  });

  it('refuses a model not in the catalogue outside local mode, accepts it unpinned in local mode', async () => {
    proxy = await startTestProxy(db, PRODUCTION_SECRETS);
    const prod = await rig(proxy, 1001, OTHER);
    expect(prod.worker.refused).toEqual([{ model: 'test-echo', reason: expect.stringContaining('not in') }]);
    expect((await userClient(proxy, 2001).models()).data).toEqual([]);
    await Promise.all(workers.map((w) => w.close()));
    workers = [];
    await proxy.close();

    proxy = await startTestProxy(db);
    const local = await rig(proxy, 1002, OTHER);
    expect(local.worker.refused).toEqual([]);
    expect((await userClient(proxy, 2002).models()).data).toEqual([
      expect.objectContaining({ id: 'test-echo', digest: 'bbbbbbbbbbbb' }),
    ]);
  });

  it('refuses a digest that changes while the rig stays connected (a second hello on the socket)', async () => {
    proxy = await startTestProxy(db, { MODEL_CATALOGUE: await catalogueFile() });
    const good = await rig(proxy, 1001, PINNED);
    good.worker.send({
      type: 'hello',
      protocol: 1,
      models: [{ id: 'test-echo', kinds: KINDS, digest: OTHER, contextLength: 4096 }],
      slots: 4,
      x25519PublicKey: toBase64(newX25519KeyPair().publicKey),
      ed25519PublicKey: toBase64(newEd25519KeyPair().publicKey),
      device: 'cpu',
      version: 'test',
    });
    for (let i = 0; i < 100 && good.worker.errors.length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(good.worker.errors[0]).toMatch(/hello was already said on this connection/);
    const [view] = (await good.owner.rigs()).rigs;
    expect(view.models).toEqual([expect.objectContaining({ digest: 'aaaaaaaaaaaa', refused: null })]);
    const res = await userClient(proxy, 2001).runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'still pinned', maxTokens: 5 },
    });
    expect(res.rigId).toBe(good.id);
  });
});
