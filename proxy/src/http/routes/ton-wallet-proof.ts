// The ton_proof check of the wallet routes: which domains a proof may name, and the wallet it proves.
import type { TonProofRequest } from '@cocoon/shared';
import { Address } from '@ton/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CustodialTonService } from '../../custodial/service';
import { createDbProofPayloadStore } from '../../custodial/store';
import { HttpError } from '../../errors';
import { TON_NETWORK, type TonProofFailure, verifyTonProof } from '../../wallet/ton-proof';
import type { AppContext } from '../context';

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

/** Checks a ton_proof made for the signed-in user; answers the proven wallet's canonical address. */
export type ProvenWallet = (req: FastifyRequest, proof: TonProofRequest) => Promise<string>;

/** The ton_proof check for this proxy's domains and chain. */
export function walletProofChecker(
  app: FastifyInstance,
  ctx: AppContext,
  ton: CustodialTonService,
): ProvenWallet {
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

  return provenWallet;
}
