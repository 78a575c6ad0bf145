// Local mode: the dev conveniences of one laptop (signed test initData, the dev service and admin keys,
// a history key derived from the dev token). They are harmless only with the dev bot token, on the sandbox
// chain, outside production; this module is the one place that decides where they may exist.

/** The bot token of the local network: the emulator's bot, and the key local initData is signed with. */
export const DEV_BOT_TOKEN = '1000000001:cocoon-local-dev-bot-token';
/** The bot's key at a local proxy. Public, so only ever accepted together with the dev bot token. */
export const DEV_SERVICE_KEY = 'cocoon-local-dev-service-key';
/** The admin key of a local proxy. Public, so only ever accepted together with the dev bot token. */
export const DEV_ADMIN_KEY = 'cocoon-local-dev-admin-key';

export interface Deployment {
  /** The bot token in use; unset means the dev token. */
  botToken?: string;
  /** The TON network; unset means no chain (the bot). */
  tonNetwork?: 'sandbox' | 'testnet' | 'mainnet';
  nodeEnv?: string;
}

/** A token from @BotFather, that is any token but the dev one. */
export function isRealBotToken(token: string | undefined): boolean {
  return token !== undefined && token !== DEV_BOT_TOKEN;
}

/** What makes local mode unsafe here, one phrase each (empty: local mode is harmless). */
export function localModeConflicts(d: Deployment): string[] {
  const out: string[] = [];
  if (isRealBotToken(d.botToken)) out.push('a real BOT_TOKEN');
  if (d.tonNetwork && d.tonNetwork !== 'sandbox') out.push(`TON_NETWORK=${d.tonNetwork}`);
  if (d.nodeEnv === 'production') out.push('NODE_ENV=production');
  return out;
}

/**
 * Outside local mode, the public dev secrets where they are set, one problem each: anyone can read them, so
 * they only work in local mode.
 */
export function publicDevSecretProblems(secrets: {
  BOT_TOKEN?: string;
  SERVICE_KEY?: string;
  ADMIN_KEY?: string;
}): string[] {
  const problems: string[] = [];
  if (secrets.BOT_TOKEN === DEV_BOT_TOKEN)
    problems.push(
      'BOT_TOKEN: the public dev token only works in local mode; set the bot token from @BotFather',
    );
  if (secrets.SERVICE_KEY === DEV_SERVICE_KEY)
    problems.push('SERVICE_KEY: the public dev key only works in local mode');
  if (secrets.ADMIN_KEY === DEV_ADMIN_KEY)
    problems.push('ADMIN_KEY: the public dev key only works in local mode');
  return problems;
}

/**
 * Decides local mode from an explicit COCOON_LOCAL (or its absence) and the deployment. Unset: on exactly
 * when it is harmless. Returns the problems that must stop start-up, each naming its variables.
 */
export function resolveLocalMode(
  explicit: boolean | undefined,
  d: Deployment,
): { local: boolean; problems: string[] } {
  const conflicts = localModeConflicts(d);
  const problems: string[] = [];
  if (explicit === true && conflicts.length) {
    problems.push(
      `COCOON_LOCAL: local mode (dev routes, dev keys) can't run with ${conflicts.join(', ')}; unset COCOON_LOCAL`,
    );
  }
  if (d.nodeEnv === 'production') {
    if (!isRealBotToken(d.botToken)) problems.push('BOT_TOKEN: NODE_ENV=production needs the real bot token');
    if (d.tonNetwork === 'sandbox')
      problems.push('TON_NETWORK: NODE_ENV=production needs testnet or mainnet, not the sandbox chain');
  }
  return { local: explicit ?? conflicts.length === 0, problems };
}

/**
 * An address people open (the Mini App, the proxy's public URL) must be HTTPS in production: Telegram opens
 * Mini Apps over HTTPS only, and TON Connect wallets fetch the manifest from it. Empty: fine.
 */
export function httpsProblems(name: string, url: string | undefined, nodeEnv: string | undefined): string[] {
  if (nodeEnv !== 'production' || url === undefined || url.startsWith('https://')) return [];
  return [`${name}: NODE_ENV=production needs an https:// address (Telegram and TON Connect refuse http)`];
}
