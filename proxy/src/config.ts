// The proxy's configuration, parsed once from the environment. A bad value stops start-up with its name.

import {
  configError,
  DEV_ADMIN_KEY,
  DEV_BOT_TOKEN,
  DEV_SERVICE_KEY,
  type EnvRecord,
  envBool,
  httpsProblems,
  logFormatSchema,
  logLevelSchema,
  parseEnv,
  publicDevSecretProblems,
  resolveLocalMode,
  sharedSecretProblems,
} from '@cocoon/shared';
import { z } from 'zod';
import { attestationEnv } from './attestation/config';
import { auditsEnv } from './audits/config';
import { authEnv } from './auth/config';
import { bondsEnv } from './bonds/config';
import { chainEnv } from './chain/config';
import { chatHistoryEnv } from './chat-history/config';
import { custodialEnv } from './custodial/config';
import { httpEnv } from './http/config';
import { workerChannelEnv } from './http/worker-channel/config';
import { jobsEnv } from './jobs/config';
import { ledgerEnv } from './ledger/config';
import { marketEnv } from './market/config';
import { onchainAccountsEnv } from './onchain-accounts/config';
import { rigsEnv } from './rigs/config';
import { starsEnv } from './stars/config';
import { walletEnv } from './wallet/config';

/** The process's own variables: where it keeps data, local mode, logging. */
const processEnv = z.object({
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  NODE_ENV: z.string().optional(),
  /**
   * Local mode: dev-only routes (signed test initData) and the public dev keys. Unset: on only where it is
   * harmless (the dev bot token, the sandbox chain, not production); `true` anywhere else refuses to start.
   */
  COCOON_LOCAL: envBool.optional(),
  LOG_LEVEL: logLevelSchema.default('info'),
  /** json (pino lines, the default) or pretty (one short line per event; `npm start` passes it). */
  LOG_FORMAT: logFormatSchema.default('json'),
  /**
   * Telegram's Bot API root (the bot's variable of the same name): where `check` asks getMe for BOT_TOKEN,
   * and where the proxy confirms and refunds Stars payments (getStarTransactions, refundStarPayment) and
   * makes invoice links. Unset: https://api.telegram.org.
   */
  TELEGRAM_API_ROOT: z.string().url().optional(),
});

/**
 * Every variable the proxy reads: the process's own and each module's schema (beside the module, in its
 * config.ts), merged. A module with variables of its own adds its schema here.
 */
export const configSchema = z.object({
  ...processEnv.shape,
  ...authEnv.shape,
  ...httpEnv.shape,
  ...workerChannelEnv.shape,
  ...jobsEnv.shape,
  ...rigsEnv.shape,
  ...marketEnv.shape,
  ...auditsEnv.shape,
  ...bondsEnv.shape,
  ...ledgerEnv.shape,
  ...chainEnv.shape,
  ...custodialEnv.shape,
  ...walletEnv.shape,
  ...attestationEnv.shape,
  ...onchainAccountsEnv.shape,
  ...chatHistoryEnv.shape,
  ...starsEnv.shape,
});

export type Config = Omit<
  z.infer<typeof configSchema>,
  'COCOON_LOCAL' | 'BOT_TOKEN' | 'SERVICE_KEY' | 'ADMIN_KEY'
> & {
  COCOON_LOCAL: boolean;
  BOT_TOKEN: string;
  SERVICE_KEY: string;
  /** Unset: the admin routes are off. */
  ADMIN_KEY: string | undefined;
};

export { DEV_ADMIN_KEY, DEV_BOT_TOKEN, DEV_SERVICE_KEY };

/** Parses the environment; throws an Error naming every bad variable. */
export function loadConfig(env: EnvRecord = process.env): Config {
  const c = parseEnv(configSchema, env, { service: 'proxy' });
  const { local, problems } = resolveLocalMode(c.COCOON_LOCAL, {
    botToken: c.BOT_TOKEN,
    tonNetwork: c.TON_NETWORK,
    nodeEnv: c.NODE_ENV,
  });
  if (!local) {
    // Outside local mode every secret is its own variable: none defaulted, none public, none shared.
    if (!c.BOT_TOKEN) problems.push('BOT_TOKEN: required outside local mode');
    if (!c.SERVICE_KEY) problems.push('SERVICE_KEY: required outside local mode');
    problems.push(...publicDevSecretProblems(c));
  }
  problems.push(...endpointNetworkProblems(c.TON_NETWORK, c.TONCENTER_URL));
  problems.push(...httpsProblems('PUBLIC_URL', c.PUBLIC_URL, c.NODE_ENV));
  problems.push(...httpsProblems('PCCS_URL', c.PCCS_URL, c.NODE_ENV));
  if (c.ONCHAIN_ACCOUNTS && c.TON_NETWORK !== 'sandbox' && !c.OPERATOR_KEY)
    problems.push(
      "OPERATOR_KEY: required with ONCHAIN_ACCOUNTS off the sandbox chain (it signs rig owners' earnings vouchers)",
    );
  problems.push(
    ...sharedSecretProblems([
      ['BOT_TOKEN', c.BOT_TOKEN],
      ['SERVICE_KEY', c.SERVICE_KEY],
      ['ADMIN_KEY', c.ADMIN_KEY],
      ['OPERATOR_KEY', c.OPERATOR_KEY],
    ]),
  );
  if (c.HTTP_HEADERS_TIMEOUT_MS > c.HTTP_REQUEST_TIMEOUT_MS)
    problems.push('HTTP_HEADERS_TIMEOUT_MS: must not be over HTTP_REQUEST_TIMEOUT_MS');
  if (problems.length) throw configError('proxy', problems);
  return {
    ...c,
    COCOON_LOCAL: local,
    BOT_TOKEN: c.BOT_TOKEN ?? DEV_BOT_TOKEN,
    SERVICE_KEY: c.SERVICE_KEY ?? DEV_SERVICE_KEY,
    ADMIN_KEY: c.ADMIN_KEY ?? (local ? DEV_ADMIN_KEY : undefined),
  };
}

/**
 * A TON endpoint that names the other network: toncenter's testnet host (or any URL saying "testnet") with
 * mainnet configured, or toncenter's mainnet host with testnet. Other hosts can't be told by name; `check`
 * asks them for their zero state.
 */
export function endpointNetworkProblems(network: Config['TON_NETWORK'], url: string | undefined): string[] {
  if (!url || network === 'sandbox') return [];
  const host = new URL(url).hostname.toLowerCase();
  if (network === 'mainnet' && /testnet/i.test(url))
    return [
      'TONCENTER_URL: a testnet endpoint with TON_NETWORK=mainnet; use the mainnet one (https://toncenter.com/api/v2)',
    ];
  if (network === 'testnet' && host === 'toncenter.com')
    return [
      'TONCENTER_URL: the mainnet endpoint with TON_NETWORK=testnet; use https://testnet.toncenter.com/api/v2',
    ];
  return [];
}
