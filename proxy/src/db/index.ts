// One SQL dialect, two engines: embedded PGlite (a data folder, zero setup) or PostgreSQL (DATABASE_URL).
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { migrate } from './migrate';
import type { Db, Queryable } from './types';

export type { Db, Queryable } from './types';

// bigint parameters travel as decimal strings: both engines cast them to numeric/bigint columns exactly.
function params(p?: unknown[]): unknown[] | undefined {
  return p?.map((v) => (typeof v === 'bigint' ? v.toString() : v));
}

async function openPglite(dataDir: string | undefined): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = new PGlite(dataDir);
  await db.waitReady;
  return {
    kind: 'pglite',
    query: async (sql, p) => db.query(sql, params(p)) as never,
    tx: (fn) => db.transaction((t) => fn({ query: async (sql, p) => t.query(sql, params(p)) as never })),
    listen: async (channel, cb) => {
      const unlisten = await db.listen(channel, cb);
      return () => unlisten();
    },
    close: () => db.close(),
  };
}

// Statements with parameters run as named prepared statements: each connection parses and plans one
// once, not on every call (the proxy sends the same few dozen statements for every job).
const statementNames = new Map<string, string>();
function prepared(sql: string, p?: unknown[]): pg.QueryConfig {
  if (!p?.length) return { text: sql };
  let name = statementNames.get(sql);
  if (!name) {
    name = `cocoon_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return { name, text: sql, values: params(p) };
}

async function openPostgres(url: string): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const listeners: pg.Client[] = [];
  return {
    kind: 'postgres',
    query: async (sql, p) => pool.query(prepared(sql, p)) as never,
    tx: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn({ query: async (sql, p) => client.query(prepared(sql, p)) as never });
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    listen: async (channel, cb) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      listeners.push(client);
      client.on('notification', (n) => {
        if (n.channel === channel) cb(n.payload ?? '');
      });
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      return async () => {
        await client.end().catch(() => {});
      };
    },
    close: async () => {
      await Promise.all(listeners.map((c) => c.end().catch(() => {})));
      await pool.end();
    },
  };
}

/** Opens the database named by the config as it is, applying nothing (`check` reads its migrations). */
export async function connectDb(opts: { databaseUrl?: string; dataDir?: string }): Promise<Db> {
  return opts.databaseUrl ? await openPostgres(opts.databaseUrl) : await openPglite(opts.dataDir);
}

/** Opens the database named by the config and applies the checked-in migrations. */
export async function openDb(opts: { databaseUrl?: string; dataDir?: string }): Promise<Db> {
  const db = await connectDb(opts);
  await migrate(db);
  return db;
}

/** One round trip: the database answers (the health check). */
export async function ping(q: Queryable): Promise<void> {
  await q.query('SELECT 1');
}

/** Sends `payload` to the listeners of `channel` (every proxy on this PostgreSQL; PGlite: this process). */
export async function notify(q: Queryable, channel: string, payload: string): Promise<void> {
  await q.query('SELECT pg_notify($1, $2)', [channel, payload]);
}
