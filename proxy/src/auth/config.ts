// Who may call the proxy: the bot token initData is signed with, the bot's service key, the admin key, and
// how old initData may be. Merged by config.ts into the proxy's one config.
import { envInt } from '@cocoon/shared';
import { z } from 'zod';

export const authEnv = z.object({
  /** The bot token initData is signed with. Unset: the dev token (local mode only). */
  BOT_TOKEN: z.string().min(10).optional(),
  /** The key the bot uses to act for Telegram users (quote, submit, balance, chat history). Its own secret. */
  SERVICE_KEY: z.string().min(16).optional(),
  /** The key of the admin routes (/v1/admin/*). Its own secret; without it outside local mode they are off. */
  ADMIN_KEY: z.string().min(16).optional(),
  INIT_DATA_MAX_AGE_S: envInt(86_400),
});
