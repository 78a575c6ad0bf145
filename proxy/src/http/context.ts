import type { Logger } from '@cocoon/shared/node';
import type { FastifyRequest } from 'fastify';
import type { AttestationService } from '../attestation/service';
import type { AuditService } from '../audits/service';
import { authenticate, type Caller, KnownUsers } from '../auth/authenticate';
import type { Config } from '../config';
import type { CustodialTonService } from '../custodial/service';
import type { Db } from '../db';
import type { JobEventHub } from '../jobs/events';
import type { JobService } from '../jobs/service';
import type { WorkerRegistry } from '../jobs/worker-registry';
import type { OnchainAccountsService } from '../onchain-accounts/service';
import type { WindowCounter } from './window-counter';

/** What route modules need; built once in app.ts, before any route, and never changed after. */
export interface AppContext {
  readonly db: Db;
  readonly config: Config;
  readonly log: Logger;
  readonly jobs: JobService;
  readonly audits: AuditService;
  /** The confidential tier: the signed policy, evidence checks, each rig's evidence. */
  readonly attestation: AttestationService;
  readonly hub: JobEventHub;
  readonly workers: WorkerRegistry;
  readonly instanceId: string;
  /** The chain in use ('sandbox' | 'testnet' | 'mainnet'): the TON service's network. */
  readonly chainKind: string;
  /** TON payments (chain, deposit watcher, withdrawal sender). */
  readonly ton: CustodialTonService;
  /** On-chain accounts (vault, users' account contracts, vouchers); null where the network offers none. */
  readonly onchain: OnchainAccountsService | null;
  auth(req: FastifyRequest): Promise<Caller>;
  /** Failed authentications per IP address (http/auth-hooks.ts), for refusing before any lookup. */
  readonly authFailures: WindowCounter;
}

export function makeAuth(db: Db, config: Config) {
  const known = new KnownUsers();
  return (req: FastifyRequest) => authenticate(db, config, req.headers, known);
}
