// The privacy canary's tools: the spellings a careless encoder would store a secret in, and every row of every
// table as text, to search them for it.
import type { Db } from '../db';

/** The canary and the spellings a careless encoder would store it in. */
export function canarySpellings(canary: string): string[] {
  const bytes = Buffer.from(canary);
  const b64 = [0, 1, 2].map((skip) =>
    bytes.subarray(skip).toString('base64').replace(/=+$/, '').slice(2, -2),
  );
  return [canary, canary.toUpperCase(), bytes.toString('hex'), ...b64, encodeURIComponent(canary)];
}

/** Every row of every table of the database, one line each ("table: row"). */
export async function databaseDump(db: Db): Promise<string> {
  const tables = await db.query<{ schemaname: string; tablename: string }>(
    "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
  );
  const parts: string[] = [];
  for (const t of tables.rows) {
    const r = await db.query<{ row: string }>(
      `SELECT t::text AS row FROM "${t.schemaname}"."${t.tablename}" t`,
    );
    for (const row of r.rows) parts.push(`${t.tablename}: ${row.row}`);
  }
  return parts.join('\n');
}
