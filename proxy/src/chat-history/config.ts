// Retention of the bot's chat history: the CHAT_HISTORY_* fields of the proxy's one config.
import type { Config } from '../config';
import type { ChatHistoryLimits } from './repository';

export function chatHistoryLimits(config: Config): ChatHistoryLimits & { pruneMs: number } {
  return {
    maxMessages: config.CHAT_HISTORY_MAX_MESSAGES,
    maxAgeHours: config.CHAT_HISTORY_MAX_AGE_HOURS,
    pruneMs: config.CHAT_HISTORY_PRUNE_MS,
  };
}
