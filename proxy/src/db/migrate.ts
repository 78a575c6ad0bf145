// Applies the checked-in SQL migrations in order, once each. A lock keeps two proxies from racing.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db, Queryable } from './types';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const LOCK_ID = 727_001;

/** The checked-in migrations, in the order they apply. */
export function migrationFiles(): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

/**
 * What a database lacks (`pending`, checked-in migrations not applied) and what it has that this code does
 * not know (`unknown`: applied by a newer proxy). Applies nothing.
 */
export async function migrationStatus(db: Queryable): Promise<{ pending: string[]; unknown: string[] }> {
  const files = migrationFiles();
  const table = await db.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  const applied = table.rows[0]?.t
    ? (await db.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name)
    : [];
  const known = new Set(files);
  const done = new Set(applied);
  return { pending: files.filter((f) => !done.has(f)), unknown: applied.filter((f) => !known.has(f)).sort() };
}

export async function migrate(db: Db): Promise<void> {
  const files = migrationFiles();
  await db.tx(async (q) => {
    if (db.kind === 'postgres') await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
    await q.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await q.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name),
    );
    for (const f of files) {
      if (done.has(f)) continue;
      for (const stmt of splitSql(readFileSync(join(dir, f), 'utf8'))) await q.query(stmt);
      await q.query('INSERT INTO schema_migrations (name) VALUES ($1)', [f]);
    }
  });
}

/** Splits a migration into statements (PGlite's query() takes one at a time). No semicolons inside strings. */
function splitSql(sql: string): string[] {
  return sql
    .replace(/--.*$/gm, '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}
