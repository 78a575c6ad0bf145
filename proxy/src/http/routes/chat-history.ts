// The bot's sealed chat history (for /summarize) and its per-chat settings (/trust). Service key only: the bot seals every message with a
// key the proxy never has, so these routes move ciphertext they can't read. No user row is touched.
import { CONTRACT } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { chatHistoryLimits } from '../../chat-history/config';
import {
  appendMessage,
  chatMinTrust,
  deleteChat,
  listMessages,
  pruneExpired,
  setChatMinTrust,
} from '../../chat-history/repository';
import { requireService, routeGroup } from '../auth-hooks';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

export function chatHistoryRoutes(app: FastifyInstance, ctx: AppContext): void {
  const limits = chatHistoryLimits(ctx.config);

  routeGroup(app, ctx, requireService, (app) => {
    serve(app, CONTRACT.appendChatMessage, async ({ params: { chatId }, body }, _req, reply) => {
      const res = await appendMessage(ctx.db, limits, chatId, body);
      reply.code(res.stored ? 201 : 200);
      return res;
    });

    serve(app, CONTRACT.chatMessages, async ({ params: { chatId }, query: q }) => {
      return { messages: await listMessages(ctx.db, chatId, q) };
    });

    serve(app, CONTRACT.chatSettings, async ({ params: { chatId } }) => {
      return { minTrust: await chatMinTrust(ctx.db, chatId) };
    });

    serve(app, CONTRACT.setChatSettings, async ({ params: { chatId }, body }) => {
      await setChatMinTrust(ctx.db, chatId, body.minTrust);
      return { minTrust: body.minTrust };
    });

    serve(app, CONTRACT.forgetChat, async ({ params: { chatId } }) => {
      return { deleted: await deleteChat(ctx.db, chatId) };
    });
  });

  let pruning = false;
  const timer = setInterval(async () => {
    if (pruning) return;
    pruning = true;
    try {
      await pruneExpired(ctx.db, limits);
    } catch (err) {
      ctx.log.error({ err }, 'chat history prune failed');
    } finally {
      pruning = false;
    }
  }, limits.pruneMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
