// Sandbox wallet routes (the sandbox chain only; production refuses that chain): the Mini App's injected
// TON Connect wallet signs ton_proof and transfers here, with keys that live on the sandbox chain.

import { CONTRACT } from '@cocoon/shared';
import { Address } from '@ton/core';
import type { FastifyInstance } from 'fastify';
import type { SandboxChain } from '../../chain';
import type { CustodialTonService } from '../../custodial/service';
import { badRequest, notFound } from '../../errors';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

/** What a fresh sandbox wallet gets from the faucet. */
export const SANDBOX_WALLET_FUNDING_NANO = 100n * 1_000_000_000n;
const MAX_FAUCET_NANO = 10_000n * 1_000_000_000n;

/** The contract checks an address's form; this parses it (checksum included), as the chain will. */
function assertTonAddress(a: string, field: string): void {
  try {
    Address.parse(a);
  } catch {
    throw badRequest(`${field}: must be a TON address`, 'invalid_request');
  }
}

export function devWalletRoutes(
  app: FastifyInstance,
  _ctx: AppContext,
  ton: CustodialTonService,
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

  serve(app, CONTRACT.createSandboxWallet, async ({ body: { id } }, _req, reply) => {
    // An id the chain no longer knows (sandbox state was reset) gets a fresh wallet.
    if (id && chain.listUserWallets().includes(id)) return view(id);
    const created = await chain.createUserWallet({ fundNano: SANDBOX_WALLET_FUNDING_NANO });
    reply.code(201);
    return view(created.id);
  });

  serve(app, CONTRACT.sandboxTonProof, async ({ params: { id }, body: { domain, payload } }) => {
    return wallet(id).signTonProof(domain, payload);
  });

  serve(app, CONTRACT.sandboxSend, async ({ params: { id }, body: { messages } }) => {
    for (const [i, m] of messages.entries()) assertTonAddress(m.address, `messages.${i}.address`);
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

  serve(app, CONTRACT.faucet, async ({ body }) => {
    assertTonAddress(body.address, 'address');
    if (body.amountNano <= 0n || body.amountNano > MAX_FAUCET_NANO) {
      throw badRequest(`amountNano must be between 1 and ${MAX_FAUCET_NANO}`);
    }
    await chain.faucet(body.address, body.amountNano);
    await ton.pokeWatcher();
    return { ok: true as const, balanceNano: (await chain.balanceOf(body.address)).toString() };
  });
}
