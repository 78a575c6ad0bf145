// Sandbox wallet routes (the sandbox chain only; production refuses that chain): the Mini App's injected
// TON Connect wallet signs ton_proof and transfers here, with keys that live on the sandbox chain.
import { Address } from '@ton/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { badRequest, notFound } from '../../errors';
import type { TonService } from '../../payments/service';
import type { SandboxChain } from '../../ton';
import type { AppContext } from '../context';
import { parse } from '../parse';

/** What a fresh sandbox wallet gets from the faucet. */
export const SANDBOX_WALLET_FUNDING_NANO = 100n * 1_000_000_000n;
const MAX_FAUCET_NANO = 10_000n * 1_000_000_000n;

const address = z.string().refine((a) => {
  try {
    Address.parse(a);
    return true;
  } catch {
    return false;
  }
}, 'must be a TON address');
const nano = z
  .union([z.string().regex(/^\d{1,30}$/), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));
const walletParams = z.object({ id: z.string().min(1).max(100) });

export function devWalletRoutes(
  app: FastifyInstance,
  _ctx: AppContext,
  ton: TonService,
  chain: SandboxChain,
): void {
  function wallet(id: string) {
    if (!chain.listUserWallets().includes(id)) throw notFound('no such sandbox wallet; create one first');
    return chain.userWallet(id);
  }
  async function view(id: string) {
    const w = wallet(id);
    return {
      id: w.id,
      address: w.address,
      publicKey: w.publicKey,
      stateInit: w.stateInit,
      balanceNano: (await chain.balanceOf(w.address)).toString(),
    };
  }

  app.post('/dev/sandbox-wallet', async (req, reply) => {
    const { id } = parse(z.object({ id: z.string().min(1).max(100).optional() }), req.body);
    // An id the chain no longer knows (sandbox state was reset) gets a fresh wallet.
    if (id && chain.listUserWallets().includes(id)) return view(id);
    const created = await chain.createUserWallet({ fundNano: SANDBOX_WALLET_FUNDING_NANO });
    reply.code(201);
    return view(created.id);
  });

  app.post('/dev/sandbox-wallet/:id/ton-proof', async (req) => {
    const { id } = parse(walletParams, req.params);
    const { domain, payload } = parse(
      z.object({ domain: z.string().min(1).max(253), payload: z.string().min(1).max(512) }),
      req.body,
    );
    return wallet(id).signTonProof(domain, payload);
  });

  app.post('/dev/sandbox-wallet/:id/send', async (req) => {
    const { id } = parse(walletParams, req.params);
    const { messages } = parse(
      z.object({
        messages: z
          .array(
            z.object({
              address,
              amount: nano,
              payload: z.string().max(8192).optional(),
              stateInit: z.string().max(16384).optional(),
            }),
          )
          .min(1)
          .max(4),
      }),
      req.body,
    );
    const w = wallet(id);
    let boc: string;
    try {
      ({ boc } = await w.send(messages.map((m) => ({ ...m, amount: m.amount }))));
    } catch (err) {
      throw badRequest(`the sandbox wallet could not send: ${err instanceof Error ? err.message : err}`);
    }
    await ton.pokeWatcher(); // credit a deposit to the service wallet right away
    return { boc };
  });

  app.post('/dev/faucet', async (req) => {
    const body = parse(z.object({ address, amountNano: nano }), req.body);
    if (body.amountNano <= 0n || body.amountNano > MAX_FAUCET_NANO) {
      throw badRequest(`amountNano must be between 1 and ${MAX_FAUCET_NANO}`);
    }
    await chain.faucet(body.address, body.amountNano);
    await ton.pokeWatcher();
    return { ok: true, balanceNano: (await chain.balanceOf(body.address)).toString() };
  });
}
