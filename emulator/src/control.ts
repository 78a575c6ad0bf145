// The /_emulator HTTP control API: the same test-side controls as the Emulator object, as JSON over
// HTTP, so the web chat page or another process (the e2e launcher, Playwright) can drive the world.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ControlError, jsonBody } from './body';
import { type ControlRoute, noRoute } from './control-route';
import type { Emulator } from './emulator';
import type { TgMessage } from './model';
import { sendJson } from './send-json';
import { StarsError } from './stars';
import { starsRoutes } from './stars-control';
import type { UserContent } from './user-content';

const botRef = z.union([z.string(), z.number()]).optional();
const id = z.coerce.number().int();

const schemas = {
  user: z.object({
    first_name: z.string().min(1).max(64),
    last_name: z.string().max(64).optional(),
    username: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{3,31}$/)
      .optional(),
    language_code: z.string().max(8).optional(),
    id: z.number().int().positive().optional(),
  }),
  group: z.object({
    title: z.string().min(1).max(128),
    members: z.array(z.number().int()).optional(),
    admins: z.array(z.number().int()).optional(),
    creator: z.number().int().optional(),
    type: z.enum(['group', 'supergroup']).optional(),
    username: z.string().optional(),
  }),
  botStatus: z.object({
    status: z.enum(['member', 'administrator']).optional(),
    bot: botRef,
    by: z.number().int().optional(),
  }),
  block: z.object({ blocked: z.boolean(), bot: botRef }),
  send: z.object({
    userId: z.number().int(),
    text: z.string().optional(),
    photo: z
      .union([
        z.literal(true),
        z.object({ width: z.number().int().optional(), height: z.number().int().optional() }),
      ])
      .optional(),
    caption: z.string().optional(),
    sticker: z.union([z.literal(true), z.object({ emoji: z.string().optional() })]).optional(),
    forwardFrom: z.union([z.number().int(), z.object({ senderName: z.string() })]).optional(),
    replyTo: z.number().int().optional(),
    bot: botRef,
  }),
  edit: z.object({ text: z.string().min(1), userId: z.number().int().optional(), bot: botRef }),
  press: z.object({ userId: z.number().int(), button: z.string(), bot: botRef }),
  failNext: z.object({
    method: z.string().min(1),
    error_code: z.number().int().min(400).max(599),
    description: z.string().min(1),
    retry_after: z.number().int().optional(),
    times: z.number().int().min(1).max(1000).optional(),
  }),
};

function toContent(body: z.infer<typeof schemas.send>): UserContent {
  if (body.forwardFrom !== undefined) {
    if (!body.text) throw new ControlError(400, 'a forward needs text');
    return { forwardFrom: body.forwardFrom, text: body.text };
  }
  if (body.photo !== undefined)
    return { photo: body.photo, ...(body.caption ? { caption: body.caption } : {}) };
  if (body.sticker !== undefined) return { sticker: body.sticker };
  if (body.text !== undefined) return { text: body.text };
  throw new ControlError(400, 'send one of text, photo, sticker or forwardFrom');
}

/** Everything the web chat needs to draw its sidebar. */
function state(emulator: Emulator) {
  const { world } = emulator;
  const chats = [...world.conversations.values()].map((conv) => ({
    key: conv.key,
    chat: conv.chat,
    botId: conv.key.startsWith('p:') ? Number(conv.key.split(':')[1]) : undefined,
    members: [...conv.members].map(([memberId, status]) => ({
      user: world.users.get(memberId) ?? world.bots.get(memberId)?.user,
      status,
    })),
    replyKeyboard: conv.replyKeyboard,
    lastMessageId: conv.nextMessageId - 1,
  }));
  const bots = [...world.bots.values()].map((bot) => ({
    ...bot.user,
    commands: bot.commands.get(JSON.stringify(['default', null, null, ''])) ?? [],
    menuButton: bot.menuButtons.get(0) ?? { type: 'commands' },
    webhook: bot.queue.webhook?.url ?? '',
    pendingUpdates: bot.queue.pendingCount,
  }));
  return { bots, users: [...world.users.values()], chats, stars: emulator.stars.balancesByUser() };
}

export async function handleControl(
  emulator: Emulator,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  try {
    const result = await dispatch(emulator, req, res, url);
    if (result !== undefined) sendJson(res, 200, result);
  } catch (err) {
    const status = err instanceof ControlError || err instanceof StarsError ? err.status : 400;
    if (!res.headersSent) sendJson(res, status, { error: (err as Error).message });
  }
}

async function dispatch(
  emulator: Emulator,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<unknown> {
  const q = url.searchParams;
  const route: ControlRoute = {
    emulator,
    req,
    res,
    path: url.pathname.replace(/^\/(_emulator|control)/, '').replace(/\/$/, ''),
    method: req.method ?? 'GET',
    q,
    bot: q.get('bot') ?? undefined,
    timeout: Math.min(Math.max(Number(q.get('timeoutMs') ?? 5_000) || 5_000, 1), 60_000),
  };
  for (const routes of [worldRoutes, chatRoutes, starsRoutes]) {
    const result = await routes(route);
    if (result !== noRoute) return result;
  }
  throw new ControlError(404, `no control route ${route.method} ${route.path}`);
}

/** Users, groups, the web chat's state and events, call log, failure injection, Web App links, callbacks. */
async function worldRoutes({
  emulator,
  req,
  res,
  path,
  method,
  q,
  bot,
  timeout,
}: ControlRoute): Promise<unknown> {
  let m: RegExpExecArray | null = null;
  if (method === 'GET' && path === '/state') return state(emulator);
  if (method === 'GET' && path === '/events') {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    emulator.addSseClient(res);
    return undefined;
  }
  if (method === 'GET' && path === '/calls') return emulator.calls(q.get('method') ?? undefined);
  if (method === 'POST' && path === '/users') return emulator.createUser(await jsonBody(req, schemas.user));
  if (method === 'POST' && path === '/groups')
    return emulator.createGroup(await jsonBody(req, schemas.group));
  if (method === 'POST' && path === '/fail-next') {
    const body = await jsonBody(req, schemas.failNext);
    const { method: apiMethod, times, ...error } = body;
    emulator.failNext(apiMethod, error, times ?? 1);
    return { ok: true };
  }
  if (method === 'GET' && path === '/webapp-url') {
    const target = q.get('url');
    const userId = Number(q.get('userId'));
    if (!target || !Number.isInteger(userId)) throw new ControlError(400, 'url and userId are required');
    const chatId = q.get('chatId');
    return {
      url: emulator.webAppUrl(target, userId, { bot, ...(chatId ? { chatId: Number(chatId) } : {}) }),
    };
  }
  m = /^\/callbacks\/(\d+)\/answer$/.exec(path);
  if (m && method === 'GET') {
    return emulator.waitForCallbackAnswer(m[1], timeout).catch((err: Error) => {
      throw new ControlError(408, err.message);
    });
  }
  m = /^\/users\/(-?\d+)\/block$/.exec(path);
  if (m && method === 'POST') {
    const body = await jsonBody(req, schemas.block);
    if (body.blocked) emulator.userBlocksBot(id.parse(m[1]), { bot: body.bot });
    else emulator.userUnblocksBot(id.parse(m[1]), { bot: body.bot });
    return { ok: true };
  }
  return noRoute;
}

/** A chat's bot membership, messages (send, read, wait for the bot's, edit) and button presses. */
async function chatRoutes({ emulator, req, path, method, q, bot, timeout }: ControlRoute): Promise<unknown> {
  let m: RegExpExecArray | null = null;
  m = /^\/chats\/(-?\d+)\/bot$/.exec(path);
  if (m) {
    const chatId = id.parse(m[1]);
    if (method === 'POST') {
      const body = await jsonBody(req, schemas.botStatus);
      emulator.addBotToChat(chatId, body.status ?? 'member', { bot: body.bot, by: body.by });
      return { ok: true };
    }
    if (method === 'DELETE') {
      emulator.removeBotFromChat(chatId, { bot });
      return { ok: true };
    }
  }
  m = /^\/chats\/(-?\d+)\/messages$/.exec(path);
  if (m) {
    const chatId = id.parse(m[1]);
    if (method === 'GET') {
      const all = emulator.history(chatId, { bot });
      return q.get('onlyBot') ? all.filter((x) => x.from?.is_bot) : all;
    }
    if (method === 'POST') {
      const body = await jsonBody(req, schemas.send);
      return emulator.userSends(chatId, body.userId, toContent(body), {
        bot: body.bot,
        replyTo: body.replyTo,
      });
    }
  }
  m = /^\/chats\/(-?\d+)\/bot-message$/.exec(path);
  if (m && method === 'GET') {
    // Long-polls (bounded by timeoutMs) for a bot message newer than `after`, optionally containing text.
    const contains = q.get('contains');
    const predicate = (x: TgMessage) => !contains || (x.text ?? x.caption ?? '').includes(contains);
    return emulator
      .waitForBotMessage(id.parse(m[1]), predicate, timeout, { bot, after: Number(q.get('after') ?? 0) })
      .catch((err: Error) => {
        throw new ControlError(408, err.message);
      });
  }
  m = /^\/chats\/(-?\d+)\/messages\/(\d+)$/.exec(path);
  if (m && method === 'PATCH') {
    const body = await jsonBody(req, schemas.edit);
    return emulator.userEdits(id.parse(m[1]), id.parse(m[2]), body.text, {
      bot: body.bot,
      userId: body.userId,
    });
  }
  m = /^\/chats\/(-?\d+)\/messages\/(\d+)\/press$/.exec(path);
  if (m && method === 'POST') {
    const body = await jsonBody(req, schemas.press);
    return emulator.userPressesButton(id.parse(m[1]), id.parse(m[2]), body.userId, body.button, {
      bot: body.bot,
    });
  }
  return noRoute;
}
