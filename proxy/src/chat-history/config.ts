// Retention of the bot's chat history, read once from the environment (proxy side).
import { z } from 'zod';
import type { ChatHistoryLimits } from './store';

const schema = z.object({
  CHAT_HISTORY_MAX_MESSAGES: z.coerce.number().int().min(1).max(100_000).default(1000),
  CHAT_HISTORY_MAX_AGE_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(48),
  CHAT_HISTORY_PRUNE_MS: z.coerce.number().int().min(1000).default(600_000),
});

export function loadChatHistoryConfig(
  env: Record<string, string | undefined> = process.env,
): ChatHistoryLimits & { pruneMs: number } {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const r = schema.safeParse(cleaned);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid proxy configuration:\n${lines.join('\n')}`);
  }
  return {
    maxMessages: r.data.CHAT_HISTORY_MAX_MESSAGES,
    maxAgeHours: r.data.CHAT_HISTORY_MAX_AGE_HOURS,
    pruneMs: r.data.CHAT_HISTORY_PRUNE_MS,
  };
}
