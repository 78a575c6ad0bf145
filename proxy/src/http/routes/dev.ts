// Dev-only routes, registered in local mode alone: signed initData for the mocked Telegram environment.
import { signInitData } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context';
import { parse } from '../parse';

export function devRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/dev/init-data', async (req) => {
    const { telegramId, firstName } = parse(
      z.object({
        telegramId: z.number().int().positive(),
        firstName: z.string().min(1).max(64).default('Local'),
      }),
      req.body,
    );
    return {
      initData: signInitData({ user: { id: telegramId, first_name: firstName } }, ctx.config.BOT_TOKEN!),
    };
  });
}
