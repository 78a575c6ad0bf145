// TON payments: chain config, ton_proof payloads, wallet binding, withdrawals, unclaimed deposits (admin).
import { timingSafeEqual } from 'node:crypto';
import { Address } from '@ton/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { conflict, forbidden, HttpError, unauthorized } from '../../errors';
import {
  createProofPayload,
  TON_NETWORK,
  type TonProofFailure,
  TonProofRequestSchema,
  verifyTonProof,
} from '../../ton';
import type { TonService } from '../../ton-ledger/attach';
import { listWithdrawals, requestWithdrawal, withdrawalView } from '../../ton-ledger/store';
import type { AppContext } from '../context';
import { parse } from '../parse';

/** How long a ton_proof payload may be used (the Mini App refreshes it every 10 minutes). */
export const PROOF_PAYLOAD_TTL_S = 15 * 60;

const PROOF_MESSAGES: Record<TonProofFailure, string> = {
  malformed: 'the proof is malformed',
  wrong_network: 'the wallet is on the other TON network',
  bad_state_init: 'the wallet stateInit is not a valid BoC',
  address_mismatch: 'the wallet stateInit does not match the address',
  unknown_public_key: 'the wallet public key could not be found (unknown wallet contract)',
  public_key_mismatch: 'the public key does not match the wallet',
  domain_not_allowed: 'the proof was signed for a domain this proxy does not serve',
  domain_length_mismatch: 'the proof domain length is wrong',
  proof_expired: 'the proof is too old; connect the wallet again',
  timestamp_in_future: 'the proof timestamp is in the future',
  bad_signature: 'the proof signature does not match the wallet key',
  payload_unknown: 'the proof payload was not issued by this proxy; fetch GET /v1/ton/proof-payload',
  payload_expired: 'the proof payload has expired; fetch a new one and connect again',
  payload_used: 'the proof payload was already used; fetch a new one and connect again',
};

const withdrawalRequest = z.object({
  amountNano: z
    .string()
    .regex(/^\d{1,30}$/, 'must be a whole number of nanoTON, as a string')
    .transform(BigInt),
  idempotencyKey: z.string().min(1).max(128),
});

function hostOf(value: string | undefined): string | null {
  if (!value) return null;
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).host;
  } catch {
    return null;
  }
}

export function tonRoutes(app: FastifyInstance, ctx: AppContext, ton: TonService): void {
  const { config } = ctx;
  const configuredDomains = config.TON_PROOF_DOMAINS.split(',')
    .map((d) => d.trim())
    .filter(Boolean);

  function allowedDomains(req: FastifyRequest): string[] {
    const out = [...configuredDomains];
    if (config.COCOON_LOCAL) {
      for (const h of [hostOf(req.headers.origin), hostOf(req.headers.host)]) if (h) out.push(h);
    }
    return out;
  }

  /** A wallet address in one canonical form, so one wallet can't be bound twice under two spellings. */
  function canonical(rawAddress: string): string {
    return Address.parse(rawAddress).toString({
      bounceable: false,
      urlSafe: true,
      testOnly: ton.network === 'testnet',
    });
  }

  app.get('/v1/ton/config', async () => ({
    network: ton.network,
    serviceAddress: ton.chain.serviceAddress(),
    minWithdrawalNano: config.MIN_WITHDRAWAL_NANO.toString(),
    withdrawalFeeNano: config.WITHDRAWAL_FEE_NANO.toString(),
  }));

  app.get('/v1/ton/proof-payload', async (req) => {
    await ctx.auth(req); // issued to signed-in callers only: bounds the payload table
    const { payload, expiresAt } = await createProofPayload(ton.payloads, {
      ttlSeconds: PROOF_PAYLOAD_TTL_S,
    });
    return { payload, expiresAt };
  });

  app.post('/v1/me/wallet', async (req) => {
    const caller = await ctx.auth(req);
    if (caller.via === 'apiKey') throw forbidden('bind a wallet from the Mini App, not with an API key');
    const body = parse(TonProofRequestSchema, req.body);
    const result = await verifyTonProof(body, {
      allowedDomains: allowedDomains(req),
      payloadStore: ton.payloads,
      maxAgeSeconds: PROOF_PAYLOAD_TTL_S,
      // The sandbox chain passes for testnet or mainnet; real chains require their own network id.
      network: ton.network === 'sandbox' ? undefined : TON_NETWORK[ton.network],
      getWalletPublicKey: (a) => ton.chain.getWalletPublicKey(a),
    });
    if (!result.ok) throw new HttpError(400, `ton_proof_${result.reason}`, PROOF_MESSAGES[result.reason]);
    const wallet = canonical(result.rawAddress);
    try {
      // One wallet per user: binding a new wallet (with a fresh proof) replaces the old one.
      await ctx.db.query('UPDATE users SET wallet_address = $2 WHERE id = $1', [caller.user.id, wallet]);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw conflict('this wallet is already bound to another account', 'wallet_taken');
      }
      throw err;
    }
    return { wallet, publicKey: result.publicKey };
  });

  app.post('/v1/me/withdrawals', async (req, reply) => {
    const caller = await ctx.auth(req);
    if (caller.via === 'apiKey') throw forbidden('withdraw from the Mini App, not with an API key');
    const { amountNano, idempotencyKey } = parse(withdrawalRequest, req.body);
    const { withdrawal, created } = await requestWithdrawal(ctx.db, {
      userId: caller.user.id,
      amountNano,
      feeNano: config.WITHDRAWAL_FEE_NANO,
      minNano: config.MIN_WITHDRAWAL_NANO,
      idempotencyKey,
    });
    if (created) ton.pokeSender();
    reply.code(created ? 201 : 200);
    return withdrawalView(withdrawal);
  });

  app.get('/v1/me/withdrawals', async (req) => {
    const { user } = await ctx.auth(req);
    return { withdrawals: (await listWithdrawals(ctx.db, user.id)).map(withdrawalView) };
  });

  app.get('/v1/admin/unclaimed', async (req) => {
    const header = req.headers.authorization;
    const [scheme, ...rest] = typeof header === 'string' ? header.split(' ') : [];
    const given = Buffer.from(rest.join(' ').trim());
    const key = Buffer.from(config.SERVICE_KEY ?? '');
    if (
      scheme?.toLowerCase() !== 'service' ||
      given.length !== key.length ||
      key.length === 0 ||
      !timingSafeEqual(given, key)
    ) {
      throw unauthorized('send Authorization: "Service <key>"');
    }
    const r = await ctx.db.query<{
      tx_key: string;
      amount_nano: string;
      from_address: string;
      comment: string | null;
      created_at: Date;
    }>(
      `SELECT tx_key, amount_nano::text AS amount_nano, from_address, comment, created_at FROM ton_deposits
       WHERE user_id IS NULL ORDER BY created_at DESC, tx_key LIMIT 500`,
    );
    const total = await ctx.db.query<{ s: string | null }>(
      'SELECT sum(amount_nano)::text AS s FROM ton_deposits WHERE user_id IS NULL',
    );
    return {
      totalNano: total.rows[0].s ?? '0',
      deposits: r.rows.map((d) => ({
        txKey: d.tx_key,
        amountNano: d.amount_nano,
        from: d.from_address,
        comment: d.comment,
        createdAt: new Date(d.created_at).toISOString(),
      })),
    };
  });
}
