// Bot API methods about the bot itself: getMe, updates (polling and webhook), commands, menu button, descriptions.
import { z } from 'zod';
import { badRequest } from './errors';
import type { Handler } from './methods';
import { bool, int, json, parseParams } from './params';

const updateTypes = z.array(z.string());
function commandsKey(scope: unknown, languageCode: string | undefined): string {
  const s = (scope ?? { type: 'default' }) as { type?: string; chat_id?: unknown; user_id?: unknown };
  return JSON.stringify([s.type ?? 'default', s.chat_id ?? null, s.user_id ?? null, languageCode ?? '']);
}

const commandsScope = {
  scope: json(z.object({ type: z.string() }).passthrough()).optional(),
  language_code: z.string().optional(),
};

export const botMethods: Record<string, Handler> = {
  getme: ({ bot }) => ({
    ...bot.user,
    can_join_groups: true,
    can_read_all_group_messages: bot.canReadAllGroupMessages,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  }),

  getupdates: async (ctx) => {
    const p = parseParams(
      z.object({
        offset: int().optional(),
        limit: int().optional(),
        timeout: int().optional(),
        allowed_updates: json(updateTypes).optional(),
      }),
      ctx.params,
    );
    ctx.bot.queue.setAllowedUpdates(p.allowed_updates);
    const limit = Math.min(Math.max(p.limit ?? 100, 1), 100);
    return ctx.bot.queue.getUpdates({ offset: p.offset, limit, timeoutSeconds: p.timeout ?? 0 }, ctx.signal);
  },

  setwebhook: (ctx) => {
    const p = parseParams(
      z.object({
        url: z.string(),
        secret_token: z.string().optional(),
        max_connections: int().optional(),
        allowed_updates: json(updateTypes).optional(),
        drop_pending_updates: bool().optional(),
      }),
      ctx.params,
    );
    if (p.secret_token !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(p.secret_token)) {
      throw badRequest('secret token contains unallowed characters');
    }
    if (p.drop_pending_updates) ctx.bot.queue.dropPending();
    ctx.bot.queue.setAllowedUpdates(p.allowed_updates);
    if (p.url === '') {
      ctx.bot.queue.setWebhook(undefined);
      return true;
    }
    let url: URL;
    try {
      url = new URL(p.url);
    } catch {
      throw badRequest('bad webhook: Failed to resolve host: Name or service not known');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw badRequest('bad webhook: HTTPS url must be provided for webhook');
    if (ctx.strictUrls && url.protocol !== 'https:')
      throw badRequest('bad webhook: HTTPS url must be provided for webhook');
    ctx.bot.queue.setWebhook({
      url: p.url,
      secretToken: p.secret_token,
      maxConnections: p.max_connections ?? 40,
    });
    return true;
  },

  deletewebhook: (ctx) => {
    const p = parseParams(z.object({ drop_pending_updates: bool().optional() }), ctx.params);
    if (p.drop_pending_updates) ctx.bot.queue.dropPending();
    ctx.bot.queue.setWebhook(undefined);
    return true;
  },

  getwebhookinfo: ({ bot }) => {
    const { webhook, webhookStatus } = bot.queue;
    return {
      url: webhook?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: bot.queue.pendingCount,
      ...(webhook ? { max_connections: webhook.maxConnections, ip_address: '127.0.0.1' } : {}),
      ...(webhookStatus.lastErrorDate !== undefined
        ? { last_error_date: webhookStatus.lastErrorDate, last_error_message: webhookStatus.lastErrorMessage }
        : {}),
      ...(bot.queue.allowedUpdates ? { allowed_updates: bot.queue.allowedUpdates } : {}),
    };
  },
  setmycommands: (ctx) => {
    const p = parseParams(
      z.object({
        commands: json(z.array(z.object({ command: z.string(), description: z.string() }).passthrough())),
        ...commandsScope,
      }),
      ctx.params,
    );
    if (p.commands.length > 100) throw badRequest('BOT_COMMANDS_TOO_MUCH');
    for (const c of p.commands) {
      if (!/^[a-z0-9_]{1,32}$/.test(c.command.replace(/^\//, ''))) throw badRequest('BOT_COMMAND_INVALID');
      if (c.description.length < 1 || c.description.length > 256)
        throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
    }
    const commands = p.commands.map((c) => ({
      command: c.command.replace(/^\//, ''),
      description: c.description,
    }));
    ctx.bot.commands.set(commandsKey(p.scope, p.language_code), commands);
    ctx.world.emit({ type: 'world' });
    return true;
  },

  getmycommands: (ctx) => {
    const p = parseParams(z.object(commandsScope), ctx.params);
    return ctx.bot.commands.get(commandsKey(p.scope, p.language_code)) ?? [];
  },

  deletemycommands: (ctx) => {
    const p = parseParams(z.object(commandsScope), ctx.params);
    ctx.bot.commands.delete(commandsKey(p.scope, p.language_code));
    ctx.world.emit({ type: 'world' });
    return true;
  },
  setchatmenubutton: (ctx) => {
    const menuButton = z.discriminatedUnion('type', [
      z.object({ type: z.literal('default') }),
      z.object({ type: z.literal('commands') }),
      z.object({
        type: z.literal('web_app'),
        text: z.string().min(1),
        web_app: z.object({ url: z.string() }),
      }),
    ]);
    const p = parseParams(
      z.object({ chat_id: int().optional(), menu_button: json(menuButton).optional() }),
      ctx.params,
    );
    if (p.chat_id !== undefined) {
      const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id, 'read');
      if (conv.chat.type !== 'private') throw badRequest('chat_id must be a private chat');
    }
    const button = p.menu_button ?? { type: 'default' as const };
    if (button.type === 'web_app') {
      let url: URL | undefined;
      try {
        url = new URL(button.web_app.url);
      } catch {
        url = undefined;
      }
      if (!url || (ctx.strictUrls && url.protocol !== 'https:')) throw badRequest('BUTTON_URL_INVALID');
    }
    ctx.bot.menuButtons.set(p.chat_id ?? 0, button);
    ctx.world.emit({ type: 'world' });
    return true;
  },

  getchatmenubutton: (ctx) => {
    const p = parseParams(z.object({ chat_id: int().optional() }), ctx.params);
    return ctx.bot.menuButtons.get(p.chat_id ?? 0) ?? ctx.bot.menuButtons.get(0) ?? { type: 'commands' };
  },

  setmydescription: (ctx) => {
    const p = parseParams(z.object({ description: z.string().max(512).optional() }), ctx.params);
    ctx.bot.description = p.description ?? '';
    return true;
  },
  getmydescription: ({ bot }) => ({ description: bot.description }),
  setmyshortdescription: (ctx) => {
    const p = parseParams(z.object({ short_description: z.string().max(120).optional() }), ctx.params);
    ctx.bot.shortDescription = p.short_description ?? '';
    return true;
  },
  getmyshortdescription: ({ bot }) => ({ short_description: bot.shortDescription }),
};
