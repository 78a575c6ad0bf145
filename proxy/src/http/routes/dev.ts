// Dev-only routes, registered in local mode alone: signed initData for the mocked Telegram environment.
import { CONTRACT, signInitData } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

export function devRoutes(app: FastifyInstance, ctx: AppContext): void {
  serve(app, CONTRACT.initData, async ({ body: { telegramId, firstName } }) => {
    return {
      initData: signInitData({ user: { id: telegramId, first_name: firstName } }, ctx.config.BOT_TOKEN!),
    };
  });
}
