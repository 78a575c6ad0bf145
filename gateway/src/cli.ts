// `npm run gateway -- --proxy URL --api-key KEY` (or `npm run client`): the OpenAI-compatible gateway on 127.0.0.1:10000.
import { ApiError, createCocoonClient, formatTon, fromBase64, spendPublicKeyHex } from '@cocoon/shared';
import { createLogger, failStartup, loadOrExit, warnStartup } from '@cocoon/shared/node';
import { loadClientConfig, USAGE } from './config';
import { startClientGateway } from './gateway';
import { fileVoucherStore } from './voucher-store';

async function main(): Promise<void> {
  const loaded = loadOrExit('cocoon-client', () =>
    loadClientConfig(process.argv.slice(2), process.env, warnStartup('cocoon-client')),
  );
  if (loaded.help) {
    console.log(USAGE);
    return;
  }
  const { config } = loaded;
  // One logger for the server and for what this command says: JSON lines by default, pretty ones with
  // LOG_FORMAT=pretty (then these notes are log lines too, with their time).
  const logger = createLogger({ name: 'cocoon-client', level: config.logLevel, format: config.logFormat });
  const pretty = config.logFormat === 'pretty';
  const say = (level: 'info' | 'warn', message: string) => {
    if (pretty) logger[level](message);
    else console.error(`cocoon-client: ${level === 'warn' ? 'WARNING: ' : ''}${message}`);
  };

  // Check the key before serving, so a typo shows now rather than on the first request.
  const proxy = createCocoonClient({
    baseUrl: config.proxyUrl,
    auth: { kind: 'apiKey', key: config.apiKey },
  });
  try {
    const me = await proxy.me();
    say('info', `key accepted; balance ${formatTon(BigInt(me.balanceNano))} TON`);
    if (config.spendKey) {
      // Say now if the account on chain has another key: its vouchers would be refused.
      const mine = await spendPublicKeyHex(config.spendKey.seed);
      const view = await proxy.onchainAccount().catch(() => undefined);
      const onChain = view?.account?.spendKey;
      if (!view?.registered)
        say(
          'warn',
          'a spend key is set but this key’s user has no registered on-chain account; jobs are paid from the balance',
        );
      else if (onChain && onChain !== mine)
        say(
          'warn',
          `the spend key given (${mine.slice(0, 16)}…) is not the one your account authorized (${onChain.slice(0, 16)}…)`,
        );
      else
        say(
          'info',
          `signing vouchers for on-chain account ${view.account?.address} (store ${config.spendKey.storePath})`,
        );
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      failStartup('cocoon-client', `the proxy refused the API key: ${err.message}`);
    }
    say(
      'warn',
      `the proxy at ${config.proxyUrl} is not answering yet (${(err as Error).message}); serving anyway`,
    );
  }

  const gateway = await startClientGateway({
    proxyUrl: config.proxyUrl,
    apiKey: config.apiKey,
    port: config.port,
    host: config.host,
    logger,
    minTrust: config.minTrust,
    timeouts: { requestMs: config.requestTimeoutMs, headersMs: Math.min(10_000, config.requestTimeoutMs) },
    spendKey: config.spendKey
      ? { seed: config.spendKey.seed, store: fileVoucherStore(config.spendKey.storePath) }
      : undefined,
    attestation: config.attestationPolicyKey
      ? { operatorKey: fromBase64(config.attestationPolicyKey), pccsUrl: config.pccsUrl }
      : undefined,
  });
  if (!['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
    say('warn', `bound to ${config.host}; anyone who reaches it spends this key's balance`);
  }
  // Pretty: the server's own "OpenAI-compatible API at" line says it.
  if (!pretty)
    console.error(`cocoon-client: OpenAI-compatible API at ${gateway.url}/v1 (proxy ${config.proxyUrl})`);

  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    await gateway.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => failStartup('cocoon-client', err));
