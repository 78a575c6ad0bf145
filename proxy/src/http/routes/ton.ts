// TON payments: chain config, ton_proof payloads, wallet binding, withdrawals, unclaimed deposits (admin).
import { CONTRACT, type TonProofRequest } from '@cocoon/shared';
import { Address } from '@ton/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { listWithdrawals, unclaimedDeposits } from '../../custodial/repository';
import type { CustodialTonService } from '../../custodial/service';
import { createDbProofPayloadStore, withdrawalView } from '../../custodial/store';
import { withdraw } from '../../custodial/withdraw';
import { HttpError } from '../../errors';
import {
  createProofPayload,
  TON_NETWORK,
  type TonProofFailure,
  verifyTonProof,
} from '../../wallet/ton-proof';
import { bindWallet, cancelWalletChange, type WalletState, walletState } from '../../wallet/wallet-binding';
import { adminGroup, requireAccount, requireOwner, routeGroup } from '../auth-hooks';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

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
  payload_unknown:
    'the proof payload was not issued to you by this proxy; fetch GET /v1/ton/proof-payload and connect again',
  payload_expired: 'the proof payload has expired; fetch a new one and connect again',
  payload_used: 'the proof payload was already used; fetch a new one and connect again',
};

function hostOf(value: string | undefined): string | null {
  if (!value) return null;
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).host;
  } catch {
    return null;
  }
}

function walletView(s: WalletState) {
  return {
    wallet: s.wallet,
    pendingWallet: s.pendingWallet,
    pendingWalletAt: s.pendingWalletAt?.toISOString() ?? null,
  };
}

export function tonRoutes(app: FastifyInstance, ctx: AppContext, ton: CustodialTonService): void {
  const { config } = ctx;
  const configuredDomains = config.TON_PROOF_DOMAINS.split(',')
    .map((d) => d.trim())
    .filter(Boolean);

  /**
   * The hosts a ton_proof may name: TON_PROOF_DOMAINS, PUBLIC_URL's host, and in local mode this proxy's
   * own loopback address (where `npm start` serves the Mini App). Never the request's Origin or Host
   * header: whoever sends the request chooses those.
   */
  function allowedDomains(): string[] {
    const out = [...configuredDomains];
    const pub = hostOf(config.PUBLIC_URL);
    if (pub) out.push(pub);
    const bound = app.server.address();
    if (config.COCOON_LOCAL && bound && typeof bound === 'object') {
      out.push(`127.0.0.1:${bound.port}`, `localhost:${bound.port}`);
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

  /** Checks a ton_proof made for this user; answers the proven wallet's canonical address. */
  async function provenWallet(req: FastifyRequest, proof: TonProofRequest): Promise<string> {
    const result = await verifyTonProof(proof, {
      allowedDomains: allowedDomains(),
      payloadStore: createDbProofPayloadStore(ctx.db, req.caller.user.id),
      maxAgeSeconds: PROOF_PAYLOAD_TTL_S,
      // The sandbox chain passes for testnet or mainnet; real chains require their own network id.
      network: ton.network === 'sandbox' ? undefined : TON_NETWORK[ton.network],
      getWalletPublicKey: (a) => ton.chain.getWalletPublicKey(a),
    });
    if (!result.ok) throw new HttpError(400, `ton_proof_${result.reason}`, PROOF_MESSAGES[result.reason]);
    return canonical(result.rawAddress);
  }

  serve(app, CONTRACT.tonConfig, async () => ({
    network: ton.network,
    serviceAddress: ton.chain.serviceAddress(),
    minWithdrawalNano: config.MIN_WITHDRAWAL_NANO.toString(),
    withdrawalFeeNano: config.WITHDRAWAL_FEE_NANO.toString(),
    withdrawalProofAboveNano: config.WITHDRAWAL_PROOF_ABOVE_NANO.toString(),
    walletChangeDelayS: config.WALLET_CHANGE_DELAY_S,
  }));

  routeGroup(app, ctx, requireOwner, (app) => {
    // Issued to the signed-in owner only, and usable by that user only: bounds the payload table, and a
    // payload someone else fetched can't be replayed into this account.
    serve(app, CONTRACT.proofPayload, async (_, req) => {
      const { payload, expiresAt } = await createProofPayload(
        createDbProofPayloadStore(ctx.db, req.caller.user.id),
        { ttlSeconds: PROOF_PAYLOAD_TTL_S },
      );
      return { payload, expiresAt };
    });

    serve(app, CONTRACT.bindWallet, async ({ body }, req, reply) => {
      const wallet = await provenWallet(req, body);
      const previous = body.previousWalletProof ? await provenWallet(req, body.previousWalletProof) : null;
      const state = await bindWallet(ctx.db, {
        userId: req.caller.user.id,
        wallet,
        oldWalletProven: previous,
        delayS: config.WALLET_CHANGE_DELAY_S,
      });
      // 202: accepted, takes effect at pendingWalletAt.
      if (state.wallet !== wallet) reply.code(202);
      return walletView(state);
    });

    serve(app, CONTRACT.cancelWalletChange, async (_, req) =>
      walletView(await cancelWalletChange(ctx.db, req.caller.user.id)),
    );

    serve(app, CONTRACT.withdraw, async ({ body }, req, reply) => {
      const { withdrawal, created } = await withdraw(ctx.db, config, {
        userId: req.caller.user.id,
        ...body,
        proveWallet: (proof) => provenWallet(req, proof),
      });
      if (created) ton.pokeSender();
      reply.code(created ? 201 : 200);
      return withdrawalView(withdrawal);
    });
  });

  routeGroup(app, ctx, requireAccount, (app) => {
    serve(app, CONTRACT.wallet, async (_, req) => walletView(await walletState(ctx.db, req.caller.user.id)));
    serve(app, CONTRACT.withdrawals, async (_, req) => ({
      withdrawals: (await listWithdrawals(ctx.db, req.caller.user.id)).map(withdrawalView),
    }));
  });

  adminGroup(app, ctx, (app) => {
    serve(app, CONTRACT.unclaimed, async () => {
      const { deposits, totalNano } = await unclaimedDeposits(ctx.db);
      return {
        totalNano,
        deposits: deposits.map((d) => ({
          txKey: d.tx_key,
          amountNano: d.amount_nano,
          from: d.from_address,
          comment: d.comment,
          createdAt: new Date(d.created_at).toISOString(),
        })),
      };
    });
  });
}
