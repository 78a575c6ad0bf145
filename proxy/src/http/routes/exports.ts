// CSV exports for a rig owner's books (taxes): a rig's finished jobs, and the owner's payouts. Text, not JSON:
// outside the contract's routes (NON_CONTRACT_ROUTES), in the owner's route group like the rest of /v1/rigs.
import { formatTon, PAYOUTS_CSV_PATH, RIG_JOBS_CSV_PATH } from '@cocoon/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { badRequest } from '../../errors';
import { ownedRig } from '../../rigs/repository';
import { requireOwner, routeGroup } from '../auth-hooks';
import type { AppContext } from '../context';

/** Rows per export: a year of a busy rig's jobs is well under it; past it the file says it was cut. */
const MAX_ROWS = 100_000;

/** A spreadsheet may run a cell that starts with one of these as a formula (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain decimal number, the only such cell left as it is (the server's counts and nanoTON amounts). */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * One CSV field: quoted when it holds a comma, quote or line break (RFC 4180); formulas defused the OWASP
 * way: a cell starting with = + - @ tab or CR, unless it is a plain number, gets a leading ' and is quoted.
 */
export function csvField(value: unknown): string {
  const s =
    value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value);
  const quote = (t: string) => `"${t.replace(/"/g, '""')}"`;
  if (FORMULA_START.test(s) && !PLAIN_NUMBER.test(s)) return quote(`'${s}`);
  return /[",\r\n]/.test(s) ? quote(s) : s;
}

export function toCsv(header: string[], rows: unknown[][], truncated: boolean): string {
  const lines = [header, ...rows].map((r) => r.map(csvField).join(','));
  if (truncated) lines.push(csvField(`(cut at ${MAX_ROWS} rows)`));
  return `${lines.join('\r\n')}\r\n`;
}

const rigParams = z.object({ id: z.string().uuid('must be a rig id (uuid)') });

export function exportRoutes(app: FastifyInstance, ctx: AppContext): void {
  routeGroup(app, ctx, requireOwner, (app) => {
    const owner = (req: FastifyRequest) => req.caller.user.id;

    app.get(RIG_JOBS_CSV_PATH, async (req, reply) => {
      const params = rigParams.safeParse(req.params);
      if (!params.success) throw badRequest('id: must be a rig id (uuid)', 'bad_request');
      const rig = await ownedRig(ctx.db, owner(req), params.data.id);
      const r = await ctx.db.query<{
        finished_at: Date;
        id: string;
        model: string;
        kind: string;
        prompt_tokens: number;
        completion_tokens: number;
        price: string;
        rig_nano: string;
        audit_state: string | null;
      }>(
        `SELECT finished_at, id, model, kind, prompt_tokens, completion_tokens, price_nano_per_1k::text AS price,
           rig_nano::text AS rig_nano, audit_state
         FROM jobs WHERE rig_id = $1 AND state = 'done' ORDER BY finished_at LIMIT $2`,
        [params.data.id, MAX_ROWS + 1],
      );
      const rows = r.rows.slice(0, MAX_ROWS).map((j) => [
        j.finished_at,
        j.id,
        j.model,
        j.kind,
        j.prompt_tokens,
        j.completion_tokens,
        j.price,
        j.rig_nano,
        formatTon(BigInt(j.rig_nano)),
        // A refunded job's earnings went back to its user.
        j.audit_state ?? '',
      ]);
      const header = [
        'finished_at_utc',
        'job_id',
        'model',
        'kind',
        'prompt_tokens',
        'completion_tokens',
        'ask_nanoton_per_1k',
        'earned_nanoton',
        'earned_ton',
        'audit',
      ];
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="cocoon-rig-${rig.id.slice(0, 8)}-jobs.csv"`)
        .send(toCsv(header, rows, r.rows.length > MAX_ROWS));
    });

    app.get(PAYOUTS_CSV_PATH, async (req, reply) => {
      const r = await ctx.db.query<{
        created_at: Date;
        id: string;
        to_address: string;
        amount: string;
        fee: string;
        status: string;
        tx_hash: string | null;
      }>(
        `SELECT created_at, id, to_address, amount_nano::text AS amount, fee_nano::text AS fee, status, tx_hash
         FROM ton_withdrawals WHERE user_id = $1 ORDER BY created_at LIMIT $2`,
        [owner(req), MAX_ROWS + 1],
      );
      const rows = r.rows
        .slice(0, MAX_ROWS)
        .map((w) => [
          w.created_at,
          w.id,
          w.to_address,
          w.amount,
          formatTon(BigInt(w.amount)),
          w.fee,
          w.status,
          w.tx_hash,
        ]);
      const header = [
        'requested_at_utc',
        'withdrawal_id',
        'to_address',
        'amount_nanoton',
        'amount_ton',
        'fee_nanoton',
        'status',
        'tx_hash',
      ];
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="cocoon-payouts.csv"')
        .send(toCsv(header, rows, r.rows.length > MAX_ROWS));
    });
  });
}
