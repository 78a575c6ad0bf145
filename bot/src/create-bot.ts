// createBot(): the grammY bot with every feature, no side effects (nothing runs until it is started).
// Layout after bot-base/telegram-bot-template: one Composer per feature, an error boundary around them.

import { createCocoonClient, fromBase64 } from '@cocoon/shared';
import { autoRetry } from '@grammyjs/auto-retry';
import { Bot, type Context, type BotConfig as GrammyBotConfig } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { BotConfig } from './config';
import { type BotDeps, describeError, displayName, type Logger, Tasks } from './deps';
import { accountFeature } from './features/account';
import { buyFeature } from './features/buy';
import { fallbackFeature } from './features/fallback';
import { forgetFeature } from './features/forget';
import { generateFeature } from './features/generate';
import { historyFeature } from './features/history';
import { paymentTermsFeature } from './features/payment-terms';
import { paymentsFeature } from './features/payments';
import { refundFeature } from './features/refund';
import { summarizeFeature } from './features/summarize';
import { trustFeature } from './features/trust';
import { createHistoryStore } from './history/store';
import { RateLimiter } from './rate-limit';
import { createTrustSettings, proxyTrustBackend } from './settings/trust';

export type { BotDeps, Logger } from './deps';
export { Tasks } from './deps';
export { COMMANDS } from './features/account';

const silent: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** Fills in the defaults: the proxy's chat-history routes, a service-key client per user, rate limits. */
export function defaultDeps(config: BotConfig, partial: Partial<BotDeps> = {}): BotDeps {
  const log = partial.log ?? silent;
  // With the operator's key, /trust tdx jobs are checked here: the policy's signature, then each rig's quote.
  const attestation = config.ATTESTATION_POLICY_KEY
    ? { operatorKey: fromBase64(config.ATTESTATION_POLICY_KEY), pccsUrl: config.PCCS_URL }
    : undefined;
  return {
    log,
    tasks: partial.tasks ?? new Tasks(log),
    history:
      partial.history ??
      createHistoryStore({
        proxyUrl: config.COCOON_PROXY_URL,
        serviceKey: config.SERVICE_KEY,
        historyKey: config.HISTORY_KEY,
      }),
    cocoonFor:
      partial.cocoonFor ??
      ((user) =>
        createCocoonClient({
          baseUrl: config.COCOON_PROXY_URL,
          auth: { kind: 'service', key: config.SERVICE_KEY, telegramId: user.id, name: displayName(user) },
          attestation,
        })),
    limits: partial.limits ?? {
      user: new RateLimiter(config.RATE_USER_BURST, config.RATE_USER_REFILL_S * 1000),
      chat: new RateLimiter(config.RATE_CHAT_BURST, config.RATE_CHAT_REFILL_S * 1000),
    },
    trust:
      partial.trust ??
      createTrustSettings(
        proxyTrustBackend({ proxyUrl: config.COCOON_PROXY_URL, serviceKey: config.SERVICE_KEY }),
      ),
  };
}

export interface CreateBotOptions {
  /** Known bot identity (skips getMe in tests and webhooks). */
  botInfo?: UserFromGetMe;
  /** Extra grammY client options (tests may add an API transformer or a fetch). */
  client?: GrammyBotConfig<Context>['client'];
}

export function createBot(
  config: BotConfig,
  partialDeps: Partial<BotDeps> = {},
  options: CreateBotOptions = {},
): Bot<Context> & { deps: BotDeps } {
  const deps = defaultDeps(config, partialDeps);
  const bot = new Bot<Context>(config.BOT_TOKEN, {
    botInfo: options.botInfo,
    client: {
      ...(config.TELEGRAM_API_ROOT ? { apiRoot: config.TELEGRAM_API_ROOT } : {}),
      ...options.client,
    },
  });
  // 429s (retry_after) and Telegram's 5xx are retried with backoff; everything else surfaces.
  bot.api.config.use(
    autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 60, rethrowInternalServerErrors: false }),
  );

  const features = { config, deps };
  const protectedBot = bot.errorBoundary((err) => {
    deps.log.error(
      { updateId: err.ctx.update.update_id, chatId: err.ctx.chat?.id, err: describeError(err.error) },
      'update failed',
    );
  });
  protectedBot.use(historyFeature(features));
  // Before account: /start buy (the deep link from a group) opens the Stars offer.
  protectedBot.use(buyFeature(features));
  protectedBot.use(paymentsFeature(features));
  protectedBot.use(refundFeature(features));
  protectedBot.use(paymentTermsFeature(features));
  protectedBot.use(accountFeature(features));
  protectedBot.use(summarizeFeature(features));
  protectedBot.use(generateFeature(features));
  protectedBot.use(forgetFeature(features));
  protectedBot.use(trustFeature(features));
  protectedBot.use(fallbackFeature());

  bot.catch((err) => {
    deps.log.error({ updateId: err.ctx.update.update_id, err: describeError(err.error) }, 'bot error');
  });
  return Object.assign(bot, { deps });
}
