// Custodial TON at a proxy (users deposit to the service wallet, the ledger credits them, the proxy sends their
// withdrawals): the chain from config, the deposit watcher and the withdrawal sender. app.ts builds
// the service before any route (routes read it from the context), starts it, and closes it on shutdown.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@cocoon/shared/node';
import {
  type ChainAdapter,
  createDepositWatcher,
  createWithdrawalSender,
  type DepositSink,
  type DepositWatcher,
  generateServiceKey,
  SandboxChain,
  type ServiceKey,
  ServiceKeySchema,
  ToncenterChain,
  type WithdrawalSender,
} from '../chain';
import type { Config } from '../config';
import type { Db } from '../db';
import type { ProofPayloadStore } from '../wallet/ton-proof';
import {
  createDbCursorStore,
  createDbDepositSink,
  createDbProofPayloadStore,
  createDbWithdrawalQueue,
} from './store';

export interface CustodialTonService {
  readonly chain: ChainAdapter;
  /** 'sandbox' | 'testnet' | 'mainnet': what /healthz and /v1/ton/config report. */
  readonly network: 'sandbox' | 'testnet' | 'mainnet';
  readonly sink: DepositSink;
  readonly watcher: DepositWatcher;
  readonly sender: WithdrawalSender;
  readonly payloads: ProofPayloadStore;
  /** The in-process sandbox chain, when that is the chain (its dev wallet routes follow it). */
  readonly sandbox: SandboxChain | undefined;
  /** Starts the deposit watcher and the withdrawal sender. */
  start(): void;
  /** Runs a watcher tick now (after a sandbox send, say); errors are logged, never thrown. */
  pokeWatcher(): Promise<void>;
  /** Runs a sender tick soon (after a withdrawal is queued); errors are logged, never thrown. */
  pokeSender(): void;
  close(): Promise<void>;
}

export interface CustodialTonServiceDeps {
  config: Config;
  db: Db;
  log: Logger;
  /** This proxy process: the withdrawal queue's lease holder. */
  instanceId: string;
}

export interface TonServiceOptions {
  /** A chain built by the caller (tests). It is not closed by close(). */
  chain?: ChainAdapter;
  /** Keep the sandbox chain and a generated service key under DATA_DIR/ton (false in tests). */
  persist?: boolean;
  watchIntervalMs?: number;
  sendIntervalMs?: number;
}

/** The service wallet key: SERVICE_WALLET_MNEMONIC, else (sandbox) a key file kept under DATA_DIR. */
export async function loadServiceKey(config: Config, persist: boolean): Promise<ServiceKey> {
  if (config.SERVICE_WALLET_MNEMONIC) {
    const parsed = ServiceKeySchema.safeParse({
      mnemonic: config.SERVICE_WALLET_MNEMONIC.trim().split(/\s+/),
    });
    if (!parsed.success)
      throw new Error('invalid proxy configuration:\n  SERVICE_WALLET_MNEMONIC: must be 24 words');
    return parsed.data;
  }
  if (config.TON_NETWORK !== 'sandbox') {
    throw new Error(
      `invalid proxy configuration:\n  SERVICE_WALLET_MNEMONIC: required when TON_NETWORK=${config.TON_NETWORK}`,
    );
  }
  // Not persisted (tests): a random seed is enough, and much faster than deriving a mnemonic.
  if (!persist) return { seedHex: randomBytes(32).toString('hex') };
  const dir = join(config.DATA_DIR, 'ton');
  const file = join(dir, 'service-key.json');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (existsSync(file)) {
    const parsed = ServiceKeySchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success)
      throw new Error(`${file}: not a service key; delete it to make a new sandbox wallet`);
    return parsed.data;
  }
  const key = await generateServiceKey();
  writeFileSync(file, JSON.stringify(key), { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

export async function createChainFromConfig(
  config: Config,
  persist: boolean,
  /** Per-request limits of the TON HTTP API (`check` asks once, briefly). */
  http: { timeoutMs?: number; attempts?: number } = {},
): Promise<ChainAdapter> {
  if (config.TON_NETWORK === 'sandbox') {
    const serviceKey = await loadServiceKey(config, persist);
    const stateFile = persist ? join(config.DATA_DIR, 'ton', 'sandbox-state.json') : undefined;
    if (stateFile) mkdirSync(join(config.DATA_DIR, 'ton'), { recursive: true, mode: 0o700 });
    return SandboxChain.create({ serviceKey, stateFile });
  }
  if (!config.TONCENTER_URL) {
    throw new Error(
      `invalid proxy configuration:\n  TONCENTER_URL: required when TON_NETWORK=${config.TON_NETWORK}`,
    );
  }
  const serviceKey = await loadServiceKey(config, persist);
  return ToncenterChain.create({
    baseUrl: config.TONCENTER_URL,
    apiKey: config.TONCENTER_API_KEY,
    network: config.TON_NETWORK,
    serviceKey,
    ...http,
  });
}

/** Builds the TON service (nothing runs until start()). */
export async function createCustodialTonService(
  deps: CustodialTonServiceDeps,
  opts: TonServiceOptions = {},
): Promise<CustodialTonService> {
  const { config, db, log } = deps;
  const chain = opts.chain ?? (await createChainFromConfig(config, opts.persist ?? false));
  const sandboxChain = chain instanceof SandboxChain ? chain : undefined;
  const network = sandboxChain ? 'sandbox' : config.TON_NETWORK;
  const sandbox = sandboxChain !== undefined;
  const sink = createDbDepositSink(db);
  const watcher = createDepositWatcher({
    chain,
    sink,
    cursorStore: createDbCursorStore(db),
    intervalMs: opts.watchIntervalMs ?? (sandbox ? 1_000 : 5_000),
    log,
  });
  const sender = createWithdrawalSender({
    chain,
    queue: createDbWithdrawalQueue(db, { leaseHolder: deps.instanceId }),
    intervalMs: opts.sendIntervalMs ?? (sandbox ? 1_000 : 5_000),
    log,
  });
  const logErr = (what: string) => (err: unknown) =>
    log.warn({ err: err instanceof Error ? err.message : String(err) }, what);

  return {
    chain,
    network,
    sink,
    watcher,
    sender,
    payloads: createDbProofPayloadStore(db),
    sandbox: sandboxChain,
    start: () => {
      watcher.start();
      sender.start();
      log.info({ network, serviceAddress: chain.serviceAddress() }, 'TON payments ready');
    },
    pokeWatcher: () =>
      watcher.tick().then(
        () => undefined,
        (err) => logErr('deposit tick failed')(err),
      ),
    pokeSender: () => {
      sender.tick().catch(logErr('withdrawal tick failed'));
    },
    close: async () => {
      await watcher.stop();
      await sender.stop();
      if (!opts.chain) await chain.close();
    },
  };
}
