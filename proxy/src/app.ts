// Builds the proxy: database, job service, TON payments, HTTP routes, the worker channel and the upkeep loop.
// Order as in fastify/demo: external things first (db, chain), then app things (services), then routes.
// buildProxy() builds the Fastify app without listening (app.inject() tests); startProxy() also listens.
import { randomUUID } from 'node:crypto';
import { createLogger, fastifyTimeouts, type Logger, logRequestAtDebug } from '@cocoon/shared/node';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { type AttestationOptions, AttestationService, loadAttestationPolicy } from './attestation/service';
import { AuditService } from './audits/service';
import type { ChainAdapter } from './chain';
import type { Config } from './config';
import { createCustodialTonService } from './custodial/service';
import { type Db, openDb } from './db';
import { answerClientError } from './http/client-errors';
import { type AppContext, makeAuth } from './http/context';
import { corsPlugin } from './http/plugins/cors';
import { errorsPlugin } from './http/plugins/errors';
import { routeAuditPlugin } from './http/plugins/route-audit';
import { registerRateLimits } from './http/rate-limits';
import { adminRoutes } from './http/routes/admin';
import { attestationRoutes } from './http/routes/attestation';
import { chatHistoryRoutes } from './http/routes/chat-history';
import { devRoutes } from './http/routes/dev';
import { devWalletRoutes } from './http/routes/dev-wallet';
import { exportRoutes } from './http/routes/exports';
import { healthRoutes } from './http/routes/health';
import { jobRoutes } from './http/routes/jobs';
import { marketRoutes } from './http/routes/market';
import { meRoutes } from './http/routes/me';
import { metricsRoutes } from './http/routes/metrics';
import { onchainRoutes } from './http/routes/onchain';
import { rigRoutes } from './http/routes/rigs';
import { starsRoutes } from './http/routes/stars';
import { tonRoutes } from './http/routes/ton';
import { MAX_WORKER_FRAME_BYTES, workerChannelRoutes } from './http/routes/worker-channel';
import { serveMiniApp } from './http/static';
import { WindowCounter } from './http/window-counter';
import { Cluster } from './jobs/cluster';
import { JobEventHub } from './jobs/events';
import { JobService } from './jobs/service';
import { WorkerRegistry } from './jobs/worker-registry';
import { createProxyMetrics, type ProxyMetrics } from './metrics';
import { loadOperatorKey, onchainEnabled } from './onchain-accounts/operator-key';
import { OnchainAccountsService } from './onchain-accounts/service';
import { ModelCatalogue, readCatalogueFile } from './rigs/catalogue';
import { clearStaleConnections } from './rigs/repository';
import { StarsService } from './stars/service';
import { TelegramStarsApi } from './stars/telegram';
import { Upkeep, upkeepPlugin } from './upkeep';

/** A built proxy: every route registered and the background loops running, not listening. */
export interface ProxyApp {
  app: FastifyInstance;
  ctx: AppContext;
  /** Every route registered, as "METHOD /path" (tests check each has its auth group and contract). */
  routes: string[];
  /** With `checkResponses`: each success answer that broke its route's contract, as "METHOD /path: why". */
  responseViolations: string[];
  close(): Promise<void>;
}

/** A proxy listening on config.HOST:PORT. */
export interface ProxyServer extends ProxyApp {
  url: string;
}

export interface BuildOptions {
  /** Reuse an open database (tests share one PGlite per file). */
  db?: Db;
  log?: Logger;
  /** Milliseconds between upkeep sweeps (lease expiry, quote expiry, timeouts). */
  sweepMs?: number;
  /** A TON chain built by the caller (tests); by default it comes from TON_NETWORK. */
  chain?: ChainAdapter;
  /**
   * Check every 2xx JSON answer against its route's contract (status and strict response schema); one that
   * breaks it becomes a 500 and is recorded in `responseViolations`. The test harness turns this on.
   */
  checkResponses?: boolean;
  /** The quote verifier and collateral source (tests: a test root and a PCCS emulator). */
  attestation?: AttestationOptions;
}

/** The services a proxy runs on, opened in order: what the routes, the worker channel and the upkeep use. */
async function openServices(config: Config, opts: BuildOptions, log: Logger) {
  // Read first: a bad catalogue file stops the start before anything is opened.
  const catalogue = new ModelCatalogue(
    config.MODEL_CATALOGUE ? readCatalogueFile(config.MODEL_CATALOGUE) : [],
    config.COCOON_LOCAL,
  );
  const policy = loadAttestationPolicy(config);
  const db =
    opts.db ?? (await openDb({ databaseUrl: config.DATABASE_URL, dataDir: `${config.DATA_DIR}/pglite` }));
  const instanceId = randomUUID();
  const hub = new JobEventHub();
  const workers = new WorkerRegistry();
  const cluster = new Cluster(db, instanceId, log);
  const metrics = createProxyMetrics(db, config);
  const attestation = new AttestationService(db, policy, config, log, opts.attestation);
  const jobs = new JobService(
    db,
    config,
    hub,
    workers,
    log,
    cluster,
    instanceId,
    (job) => metrics.jobSettled(job),
    attestation.allowedModelDigests(),
  );
  await jobs.startCluster();
  const audits = new AuditService(db, config, workers, log);
  const ton = await createCustodialTonService(
    { config, db, log, instanceId },
    { chain: opts.chain, persist: !opts.db },
  );
  // On-chain accounts: the vault is deployed (from the service wallet) before any route can point at it.
  const onchain = onchainEnabled(config)
    ? await OnchainAccountsService.create({
        db,
        config,
        chain: ton.chain,
        log,
        operator: loadOperatorKey(config, !opts.db),
      })
    : null;
  await onchain?.ensureVault();
  await onchain?.checkNotRolledBack();
  // Telegram Stars: the proxy asks Telegram itself (its own BOT_TOKEN) to confirm and refund charges.
  const stars = new StarsService(
    db,
    config,
    new TelegramStarsApi(config.TELEGRAM_API_ROOT ?? 'https://api.telegram.org', config.BOT_TOKEN),
  );
  const ctx: AppContext = {
    db,
    config,
    log,
    jobs,
    audits,
    attestation,
    hub,
    workers,
    instanceId,
    chainKind: ton.network,
    ton,
    onchain,
    auth: makeAuth(db, config),
    authFailures: new WindowCounter(config.RATE_AUTH_FAILURES_PER_IP_PER_MIN),
  };
  return { ctx, catalogue, cluster, metrics, stars };
}

/** The Fastify server with the proxy's limits and timeouts, no routes yet. */
function createServer(config: Config, log: Logger): FastifyInstance {
  return Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // One line per request only at debug (see the onResponse hook): at info the console shows events.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: bodyLimitOf(config),
    // request.ip is the client's address from X-Forwarded-For only on connections from TRUST_PROXY's
    // reverse proxies; every per-IP bound (rate limits, failed sign-ins, worker upgrades) counts by it.
    trustProxy: config.TRUST_PROXY ?? false,
    // A request must arrive in time (a dripped body is cut), idle sockets close: no one holds a connection.
    ...fastifyTimeouts({
      requestMs: config.HTTP_REQUEST_TIMEOUT_MS,
      headersMs: config.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      idleMs: config.HTTP_IDLE_TIMEOUT_MS,
    }),
    // Job event streams never end on their own while a job waits for its rig: close them on shutdown, and
    // clients read the job's state from whichever proxy answers next.
    forceCloseConnections: true,
    clientErrorHandler: answerClientError,
    // Errors the router raises before any route runs (bad URL encoding, over-long path parameters) get the
    // same { error: { code, message } } answer as every other 4xx.
    frameworkErrors: (err, _req, reply) => {
      // The reply's generic route types don't fit a handler that runs before routing; the shape is plain.
      const raw = reply as unknown as { code(n: number): { send(body: unknown): void } };
      raw.code(err.statusCode ?? 400).send({ error: { code: err.code.toLowerCase(), message: err.message } });
    },
  });
}

/** The largest request body: a sealed envelope at its limit and room for the JSON around it. */
function bodyLimitOf(config: Config): number {
  return config.MAX_ENVELOPE_BYTES + 64 * 1024;
}

/** Every HTTP route, the Mini App's files and the worker channel. */
async function registerRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  catalogue: ModelCatalogue,
  metrics: ProxyMetrics,
  stars: StarsService,
): Promise<void> {
  const { config, onchain } = ctx;
  await registerRateLimits(app, config);
  await app.register(websocket, { options: { maxPayload: MAX_WORKER_FRAME_BYTES } });
  healthRoutes(app, ctx);
  marketRoutes(app, ctx);
  attestationRoutes(app, ctx);
  meRoutes(app, ctx);
  jobRoutes(app, ctx);
  rigRoutes(app, ctx);
  exportRoutes(app, ctx);
  chatHistoryRoutes(app, ctx);
  if (config.COCOON_LOCAL) devRoutes(app, ctx);
  tonRoutes(app, ctx, ctx.ton);
  adminRoutes(app, ctx);
  onchainRoutes(app, ctx, onchain);
  starsRoutes(app, ctx, stars);
  metricsRoutes(app, ctx, metrics);
  // The sandbox wallet and its faucet move play money on the in-process chain: harmless, so they follow the
  // chain, not local mode (production refuses the sandbox chain).
  if (ctx.ton.sandbox) devWalletRoutes(app, ctx, ctx.ton, ctx.ton.sandbox);
  ctx.ton.start();
  await serveMiniApp(app, config);
  workerChannelRoutes(app, ctx, catalogue);
}

/** Builds the proxy without listening: answer requests through `app.inject()`, or call startProxy(). */
export async function buildProxy(config: Config, opts: BuildOptions = {}): Promise<ProxyApp> {
  const log = opts.log ?? createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const { ctx, catalogue, cluster, metrics, stars } = await openServices(config, opts, log);
  const { db, jobs, audits, workers, ton, onchain } = ctx;

  const app = createServer(config, log);
  const routes: string[] = [];
  const responseViolations: string[] = [];
  await app.register(routeAuditPlugin, {
    routes,
    ...(opts.checkResponses ? { responseViolations } : {}),
  });
  app.addHook('onResponse', logRequestAtDebug);
  await app.register(corsPlugin);
  await app.register(errorsPlugin, { bodyLimit: bodyLimitOf(config) });
  await registerRoutes(app, ctx, catalogue, metrics, stars);

  // A fresh process holds no worker sockets: rigs it marked connected before a crash are offline now.
  await clearStaleConnections(db, config.HEARTBEAT_MS * 3);
  const upkeep = new Upkeep({ config, log, jobs, audits, onchain, stars });
  await app.register(upkeepPlugin, { upkeep, everyMs: opts.sweepMs ?? 1000 });

  return {
    app,
    ctx,
    routes,
    responseViolations,
    close: async () => {
      // Stopped first, before the cluster and the sockets it works on (the app's onClose stops it too).
      upkeep.stop();
      await cluster.stop();
      workers.closeAll(1001, 'proxy shutting down');
      await app.close();
      await workers.settled();
      await ton.close();
      if (!opts.db) await db.close();
    },
  };
}

/** Builds the proxy and listens on config.HOST:PORT (PORT 0: a free port, see `url`). */
export async function startProxy(config: Config, opts: BuildOptions = {}): Promise<ProxyServer> {
  const proxy = await buildProxy(config, opts);
  let address: string;
  try {
    // Fastify logs this line at info: the proxy's "started" event.
    const { db, chainKind } = proxy.ctx;
    address = await proxy.app.listen({
      port: config.PORT,
      host: config.HOST,
      listenTextResolver: (at) => `started on ${at} (db ${db.kind}, chain ${chainKind})`,
    });
  } catch (err) {
    await proxy.close();
    throw err;
  }
  return { ...proxy, url: address.replace('[::1]', '127.0.0.1') };
}
