// The developer's local gateway: an OpenAI-compatible HTTP server that seals every request in this process
// (shared's `runJob`: quote, seal to the quoted rigs, submit, stream, open the result here) and pays with
// the owner's API key. The proxy and the network only ever see sealed envelopes.
import {
  createCocoonClient,
  type LogFormat,
  type LogLevel,
  type SpendKeyOptions,
  type TrustTier,
} from '@cocoon/shared';
import type { HttpTimeouts } from '@cocoon/shared/node';
import type { FastifyBaseLogger } from 'fastify';
import { completionRoutes } from './completions';
import { modelRoutes } from './models';
import { createGatewayServer } from './server';

/** createCocoonClient's `attestation` option (shared does not export its type by name). */
export type GatewayAttestation = NonNullable<Parameters<typeof createCocoonClient>[0]['attestation']>;

export interface GatewayOptions {
  proxyUrl: string;
  apiKey: string;
  port?: number;
  host?: string;
  /** A pino-compatible logger; without one (and without `logLevel`) the gateway logs nothing. */
  logger?: FastifyBaseLogger;
  logLevel?: LogLevel;
  /** With `logLevel` and no `logger`: json (the default) or pretty lines. */
  logFormat?: LogFormat;
  /** For tests: the fetch the proxy client uses. */
  fetch?: typeof fetch;
  /**
   * HTTP timeouts (shared/node's defaults: a request must arrive within 30 s, its headers within 10 s).
   * The idle timeout is off by default: a plain (non-stream) answer waits for its job in silence.
   */
  timeouts?: Partial<HttpTimeouts>;
  /**
   * The confidential tier: the operator's policy key (and optionally a PCCS, or a verifier in tests) this
   * gateway checks TDX rigs with before it seals to them. Without it, `cocoon_min_trust: "tdx"` is a 400.
   */
  attestation?: GatewayAttestation;
  /** The tier of requests that name no `cocoon_min_trust` (default open). */
  minTrust?: TrustTier;
  /**
   * Jobs paid from the developer's on-chain account: the spend key their account authorized and where the
   * last voucher signed is kept. Each job's voucher is signed once its result is in.
   */
  spendKey?: SpendKeyOptions;
}

export interface ClientGateway {
  /** e.g. http://127.0.0.1:10000 — OpenAI clients take `${url}/v1` as their base URL. */
  url: string;
  close(): Promise<void>;
}

export async function startClientGateway(opts: GatewayOptions): Promise<ClientGateway> {
  const host = opts.host ?? '127.0.0.1';
  const cocoon = createCocoonClient({
    baseUrl: opts.proxyUrl,
    auth: { kind: 'apiKey', key: opts.apiKey },
    fetch: opts.fetch,
    attestation: opts.attestation,
    spendKey: opts.spendKey,
  });
  const active = new Set<AbortController>();
  const app = createGatewayServer(opts, host);
  modelRoutes(app, cocoon);
  completionRoutes(app, { cocoon, active, minTrust: opts.minTrust });

  await app.listen({
    port: opts.port ?? 10000,
    host,
    listenTextResolver: (at) => `OpenAI-compatible API at ${at}/v1 (proxy ${opts.proxyUrl})`,
  });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 10000);
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    url: `http://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${port}`,
    close: async () => {
      for (const c of active) c.abort(new Error('the gateway is closing'));
      await app.close();
    },
  };
}
