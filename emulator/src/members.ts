// Chat membership as Telegram reports it (ChatMember objects) and who a bot in privacy mode may hear.
import { badRequest, forbidden } from './errors';
import type { ChatType, MemberStatus, TgMessage, TgUser } from './model';

/** Privacy mode: a bot that is a plain member sees only commands, mentions, replies to it and service messages. */
export function privacyModeLets(
  bot: { user: { id: number; username: string } },
  message: TgMessage,
): boolean {
  if (message.new_chat_members || message.left_chat_member) return true;
  if (message.reply_to_message?.from?.id === bot.user.id) return true;
  const text = message.text ?? message.caption ?? '';
  const entities = message.entities ?? message.caption_entities ?? [];
  return entities.some((e) => {
    const part = text.slice(e.offset, e.offset + e.length);
    if (e.type === 'bot_command')
      return !part.includes('@') || part.toLowerCase().endsWith(`@${bot.user.username.toLowerCase()}`);
    if (e.type === 'mention') return part.toLowerCase() === `@${bot.user.username.toLowerCase()}`;
    return false;
  });
}

export function memberObject(user: TgUser, status: MemberStatus): Record<string, unknown> {
  switch (status) {
    case 'creator':
      return { user, status, is_anonymous: false };
    case 'administrator':
      return {
        user,
        status,
        can_be_edited: false,
        is_anonymous: false,
        can_manage_chat: true,
        can_delete_messages: true,
        can_manage_video_chats: true,
        can_restrict_members: true,
        can_promote_members: false,
        can_change_info: true,
        can_invite_users: true,
        can_post_stories: false,
        can_edit_stories: false,
        can_delete_stories: false,
        can_pin_messages: true,
        can_manage_topics: false,
      };
    case 'kicked':
      return { user, status, until_date: 0 };
    default:
      return { user, status };
  }
}

/** Telegram's errors when a bot may not use a chat: blocked, never started (to write), kicked or gone. */
export function checkBotAccess(
  conv: { chat: { type: ChatType }; members: Map<number, MemberStatus>; started: boolean },
  botId: number,
  purpose: 'read' | 'write',
): void {
  const status = conv.members.get(botId);
  if (conv.chat.type === 'private') {
    if (status === 'kicked') throw forbidden('bot was blocked by the user');
    if (!conv.started && purpose === 'write') throw forbidden("bot can't initiate conversation with a user");
    return;
  }
  const kind = conv.chat.type === 'supergroup' ? 'supergroup chat' : 'group chat';
  if (status === undefined) throw badRequest('chat not found');
  if (status === 'kicked') throw forbidden(`bot was kicked from the ${kind}`);
  if (status === 'left') throw forbidden(`bot is not a member of the ${kind}`);
}
