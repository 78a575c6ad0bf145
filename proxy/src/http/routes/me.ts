// The caller's own account: balance, holds, ledger history, API keys.
import { randomUUID } from 'node:crypto';
import { createApiKeyRequest, type LedgerEntryView, type MeView } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { hashSecret, newApiKey } from '../../auth/tokens';
import { forbidden, notFound } from '../../errors';
import { balanceOf, heldFor, userAccount } from '../../ledger/ledger';
import { findUser } from '../../users';
import type { AppContext } from '../context';
import { parse } from '../parse';

export function meRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/v1/me', async (req): Promise<MeView> => {
    const { user: caller } = await ctx.auth(req);
    const user = (await findUser(ctx.db, caller.id))!;
    return {
      telegramId: user.id,
      name: user.name,
      balanceNano: (await balanceOf(ctx.db, userAccount(user.id))).toString(),
      heldNano: (await heldFor(ctx.db, user.id)).toString(),
      depositMemo: user.deposit_memo,
      wallet: user.wallet_address,
    };
  });

  app.get('/v1/me/ledger', async (req): Promise<{ entries: LedgerEntryView[] }> => {
    const { user } = await ctx.auth(req);
    const r = await ctx.db.query<{
      tx_id: string;
      kind: string;
      amount: string;
      ref: string | null;
      created_at: Date;
    }>(
      `SELECT e.tx_id, t.kind, e.amount::text AS amount, t.ref, e.created_at FROM ledger_entries e
       JOIN ledger_tx t ON t.id = e.tx_id WHERE e.account_id = $1 ORDER BY e.id DESC LIMIT 200`,
      [userAccount(user.id)],
    );
    return {
      entries: r.rows.map((e) => ({
        txId: e.tx_id,
        kind: e.kind,
        amountNano: e.amount,
        memo: e.ref,
        createdAt: new Date(e.created_at).toISOString(),
      })),
    };
  });

  app.get('/v1/me/jobs', async (req) => {
    const { user } = await ctx.auth(req);
    return { jobs: await ctx.jobs.listForUser(user.id) };
  });

  app.get('/v1/me/api-keys', async (req) => {
    const { user } = await ctx.auth(req);
    const r = await ctx.db.query<{ id: string; name: string; prefix: string; created_at: Date }>(
      'SELECT id, name, prefix, created_at FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at',
      [user.id],
    );
    return {
      keys: r.rows.map((k) => ({
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        createdAt: new Date(k.created_at).toISOString(),
      })),
    };
  });

  app.post('/v1/me/api-keys', async (req, reply) => {
    const caller = await ctx.auth(req);
    if (caller.via === 'apiKey') throw forbidden('API keys cannot create API keys; use the Mini App');
    const { name } = parse(createApiKeyRequest, req.body);
    const key = newApiKey();
    const id = randomUUID();
    await ctx.db.query(
      'INSERT INTO api_keys (id, user_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4, $5)',
      [id, caller.user.id, name, key.slice(0, 10), hashSecret(key)],
    );
    reply.code(201);
    return { id, name, key, prefix: key.slice(0, 10) };
  });

  app.delete('/v1/me/api-keys/:id', async (req) => {
    const { user } = await ctx.auth(req);
    const { id } = parse(z.object({ id: z.string().uuid() }), req.params);
    const r = await ctx.db.query(
      'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id',
      [id, user.id],
    );
    if (!r.rows.length) throw notFound('no such API key');
    return { ok: true };
  });
}
