// Retention of the bot's chat history: its CHAT_HISTORY_* variables (merged into the proxy's one config by
// config.ts) and the limits they make.

import { envInt } from '@cocoon/shared';
import { z } from 'zod';
import type { Config } from '../config';
import type { ChatHistoryLimits } from './repository';

export const chatHistoryEnv = z.object({
  /** Retention of the bot's sealed chat history: messages kept per chat, their age, and the prune interval. */
  CHAT_HISTORY_MAX_MESSAGES: envInt(1000, { min: 1, max: 100_000 }),
  CHAT_HISTORY_MAX_AGE_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(48),
  CHAT_HISTORY_PRUNE_MS: envInt(600_000, { min: 1000 }),
});

export function chatHistoryLimits(config: Config): ChatHistoryLimits & { pruneMs: number } {
  return {
    maxMessages: config.CHAT_HISTORY_MAX_MESSAGES,
    maxAgeHours: config.CHAT_HISTORY_MAX_AGE_HOURS,
    pruneMs: config.CHAT_HISTORY_PRUNE_MS,
  };
}
