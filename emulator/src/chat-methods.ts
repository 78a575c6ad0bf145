// Bot API methods about chats and their members, and answering callback queries.
import { z } from 'zod';
import { badRequest } from './errors';
import { memberObject } from './members';
import type { Handler } from './methods';
import { bool, chatId, int, parseParams } from './params';

export const chatMethods: Record<string, Handler> = {
  getchat: (ctx) => {
    const p = parseParams(z.object({ chat_id: chatId() }), ctx.params);
    const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id, 'read');
    const base = { ...conv.chat, accent_color_id: 0, max_reaction_count: 11 };
    const gifts = {
      unlimited_gifts: false,
      limited_gifts: false,
      unique_gifts: false,
      premium_subscription: false,
      gifts_from_channels: false,
    };
    if (conv.chat.type === 'private') return { ...base, accepted_gift_types: gifts };
    return {
      ...base,
      accepted_gift_types: gifts,
      permissions: {
        can_send_messages: true,
        can_send_photos: true,
        can_invite_users: true,
        can_pin_messages: false,
      },
    };
  },

  getchatmember: (ctx) => {
    const p = parseParams(z.object({ chat_id: chatId(), user_id: int() }), ctx.params);
    const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id, 'read');
    return ctx.world.chatMember(conv, p.user_id);
  },

  getchatadministrators: (ctx) => {
    const p = parseParams(z.object({ chat_id: chatId() }), ctx.params);
    const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id, 'read');
    if (conv.chat.type === 'private') throw badRequest('there are no administrators in the private chat');
    return [...conv.members]
      .filter(([, status]) => status === 'creator' || status === 'administrator')
      .map(([id, status]) => memberObject(ctx.world.users.get(id) ?? ctx.world.bots.get(id)!.user, status));
  },

  getchatmembercount: (ctx) => {
    const p = parseParams(z.object({ chat_id: chatId() }), ctx.params);
    const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id, 'read');
    return [...conv.members.values()].filter(
      (s) => s === 'creator' || s === 'administrator' || s === 'member',
    ).length;
  },

  answercallbackquery: (ctx) => {
    const p = parseParams(
      z.object({
        callback_query_id: z.string().or(int().transform(String)),
        text: z.string().optional(),
        show_alert: bool().optional(),
        url: z.string().optional(),
        cache_time: int().optional(),
      }),
      ctx.params,
    );
    const pending = ctx.world.callbacks.get(p.callback_query_id);
    if (!pending || pending.answer || pending.botId !== ctx.bot.user.id) {
      throw badRequest('query is too old and response timeout expired or query ID is invalid');
    }
    if (p.text !== undefined && p.text.length > 200) throw badRequest('MESSAGE_TOO_LONG');
    pending.answer = {
      ...(p.text !== undefined ? { text: p.text } : {}),
      ...(p.show_alert !== undefined ? { show_alert: p.show_alert } : {}),
      ...(p.url !== undefined ? { url: p.url } : {}),
      ...(p.cache_time !== undefined ? { cache_time: p.cache_time } : {}),
    };
    ctx.world.emit({ type: 'callback_answer', queryId: pending.id, answer: pending.answer });
    return true;
  },

  leavechat: (ctx) => {
    const p = parseParams(z.object({ chat_id: chatId() }), ctx.params);
    const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id, 'read');
    if (conv.chat.type === 'private')
      throw badRequest("chat member status can't be changed in private chats");
    const status = conv.members.get(ctx.bot.user.id) ?? 'left';
    conv.members.set(ctx.bot.user.id, 'left');
    ctx.bot.queue.push('my_chat_member', {
      chat: conv.chat,
      from: ctx.bot.user,
      date: Math.floor(Date.now() / 1000),
      old_chat_member: memberObject(ctx.bot.user, status),
      new_chat_member: memberObject(ctx.bot.user, 'left'),
    });
    const service = ctx.world.appendMessage(conv, { from: ctx.bot.user, left_chat_member: ctx.bot.user });
    ctx.world.deliverToBots(conv, service, 'message');
    ctx.world.emit({ type: 'world' });
    return true;
  },
};
