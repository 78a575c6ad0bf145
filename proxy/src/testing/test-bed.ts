// A proxy test bed for one test file: one database (PGlite, or PostgreSQL with DATABASE_URL) shared by the
// file and emptied before each test, a proxy started by the test with the file's defaults, and the test
// rigs it started, closed after each test. Kept out of ./index: the chaos rig processes bundle that entry,
// and must not import vitest.
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { ProxyServer } from '../app';
import type { Db } from '../db';
import { openTestDb, resetDb, startTestProxy, userClient } from './harness';
import { startTestWorker, type TestWorker, type TestWorkerOptions } from './test-worker';

export function useTestBed(defaults: Record<string, string> = {}) {
  let db: Db | undefined;
  let proxy: ProxyServer | undefined;
  const workers: TestWorker[] = [];
  const stop = async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()));
    await proxy?.close();
    proxy = undefined;
  };
  beforeAll(async () => {
    db = await openTestDb();
  });
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await resetDb(bed.db);
  });
  afterEach(stop);

  const bed = {
    get db(): Db {
      if (!db) throw new Error('the test database is not open yet');
      return db;
    },
    get proxy(): ProxyServer {
      if (!proxy) throw new Error('start the proxy first (bed.start)');
      return proxy;
    },
    /** Starts this test's proxy with the file's defaults and `env` on top. */
    async start(
      env: Record<string, string> = {},
      opts: Parameters<typeof startTestProxy>[3] = {},
    ): Promise<ProxyServer> {
      proxy = await startTestProxy(bed.db, { ...defaults, ...env }, 200, opts);
      return proxy;
    },
    /** A test rig started by the test: closed after it. */
    track(worker: TestWorker): TestWorker {
      workers.push(worker);
      return worker;
    },
    /** Registers a rig for `ownerId`, starts a test worker for it and sets its ask for test-echo. */
    async rig(
      ownerId: number,
      price: bigint,
      behaviour: TestWorkerOptions['behaviour'] = 'ok',
      opts: Partial<TestWorkerOptions> = {},
    ) {
      const owner = userClient(bed.proxy, ownerId);
      const { rig: view, token } = await owner.registerRig(`rig-${ownerId}`);
      const worker = bed.track(startTestWorker({ ...opts, url: bed.proxy.url, token, behaviour }));
      await worker.rigId;
      await owner.setAsk(view.id, 'test-echo', price);
      return { id: view.id, worker, owner };
    },
    /** Ends this test's proxy and rigs and empties the database, for a second scene in one test. */
    async reset(): Promise<void> {
      await stop();
      await resetDb(bed.db);
    },
  };
  return bed;
}
