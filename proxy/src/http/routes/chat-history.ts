// The bot's sealed chat history (for /summarize). Service key only: the bot seals every message with a
// key the proxy never has, so these routes move ciphertext they can't read. No user row is touched.
import { b64 } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { chatHistoryLimits } from '../../chat-history/config';
import { appendMessage, deleteChat, listMessages, pruneExpired } from '../../chat-history/store';
import { requireService, routeGroup } from '../auth-hooks';
import type { AppContext } from '../context';
import { parse } from '../parse';

const chatParams = z.object({ chatId: z.string().regex(/^-?\d{1,20}$/, 'must be a Telegram chat id') });
const appendBody = z.object({
  messageId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  senderId: z
    .string()
    .regex(/^-?\d{1,20}$/)
    .nullable()
    .default(null),
  /** base64 of the bot's sealed message; 4,096 characters of text sealed stay far below this. */
  sealed: b64.min(1).max(64_000),
  /** Telegram's message date, Unix seconds. */
  date: z.number().int().positive().max(4_102_444_800),
  edit: z.boolean().default(false),
});
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  fromMessageId: z.coerce.number().int().positive().optional(),
});

export function chatHistoryRoutes(app: FastifyInstance, ctx: AppContext): void {
  const limits = chatHistoryLimits(ctx.config);

  routeGroup(app, ctx, requireService, (app) => {
    app.post('/v1/chat-history/:chatId/messages', async (req, reply) => {
      const { chatId } = parse(chatParams, req.params);
      const body = parse(appendBody, req.body);
      const res = await appendMessage(ctx.db, limits, chatId, body);
      reply.code(res.stored ? 201 : 200);
      return res;
    });

    app.get('/v1/chat-history/:chatId/messages', async (req) => {
      const { chatId } = parse(chatParams, req.params);
      const q = parse(listQuery, req.query);
      return { messages: await listMessages(ctx.db, chatId, q) };
    });

    app.delete('/v1/chat-history/:chatId', async (req) => {
      const { chatId } = parse(chatParams, req.params);
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
