// The Bot API method table, one handler each, with zod-validated parameters and Telegram's error texts.
// Handlers are looked up by lowercase name because Telegram's method names are case-insensitive.
import type { UploadedFile } from './body';
import { botMethods } from './bot-methods';
import { chatMethods } from './chat-methods';
import { messageMethods } from './message-methods';
import { paymentMethods } from './payment-methods';
import type { Stars } from './stars';
import type { Throttle } from './throttle';
import type { BotAccount, World } from './world';

export interface MethodContext {
  world: World;
  bot: BotAccount;
  stars: Stars;
  params: Record<string, unknown>;
  files: Map<string, UploadedFile>;
  /** Aborted when the HTTP client goes away (a long poll cancelled by bot.stop()). */
  signal: AbortSignal;
  strictUrls: boolean;
  throttle: Throttle | undefined;
}

export type Handler = (ctx: MethodContext) => unknown;

export const methods: Record<string, Handler> = {
  ...botMethods,
  ...messageMethods,
  ...chatMethods,
  ...paymentMethods,
};
