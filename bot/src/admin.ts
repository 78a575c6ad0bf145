// Whether the sender of a group command may change the group: its creator, an administrator, or an anonymous
// admin (who posts as the group itself). In a private chat the one user decides.
import type { Context } from 'grammy';

export async function isChatAdmin(ctx: Context): Promise<boolean> {
  const chat = ctx.chat;
  if (!chat) return false;
  if (chat.type === 'private') return true;
  if (ctx.msg?.sender_chat?.id === chat.id) return true;
  if (!ctx.from) return false;
  const member = await ctx.api.getChatMember(chat.id, ctx.from.id);
  return member.status === 'creator' || member.status === 'administrator';
}
