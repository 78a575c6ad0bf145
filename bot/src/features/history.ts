// Records group text (and captions) for /summarize: sealed here, stored by the proxy as ciphertext.
// Edits replace the stored text. When the bot leaves a chat, that chat's history is deleted.
import { Composer, type Context } from 'grammy';
import type { Message } from 'grammy/types';
import { describeError, displayName, type Features } from '../deps';

/** Longest text stored per message; Telegram's own limit is 4,096. */
export const MAX_STORED_CHARS = 16_000;

function recordable(m: Message): string | undefined {
  const text = m.text ?? m.caption;
  if (!text?.trim()) return undefined;
  if (m.text !== undefined && m.entities?.[0]?.type === 'bot_command' && m.entities[0].offset === 0)
    return undefined; // commands are not conversation
  if (m.from?.is_bot) return undefined;
  return text.slice(0, MAX_STORED_CHARS);
}

function author(m: Message): string {
  if (m.sender_chat) return (m.sender_chat.title ?? '').slice(0, 128);
  return m.from ? displayName(m.from) : '';
}

export function historyFeature(f: Features): Composer<Context> {
  const { deps } = f;
  const c = new Composer<Context>();
  const groups = c.chatType(['group', 'supergroup']);

  const store = async (m: Message, edit: boolean) => {
    const text = recordable(m);
    if (text === undefined) return;
    try {
      await deps.history.append(
        m.chat.id,
        {
          messageId: m.message_id,
          senderId: m.from?.id ?? null,
          date: m.date,
          author: author(m),
          text,
          // A reply inside a forum topic points at the topic's first message; that is not an answer.
          replyTo:
            m.reply_to_message && !m.reply_to_message.forum_topic_created
              ? m.reply_to_message.message_id
              : undefined,
        },
        edit,
      );
    } catch (err) {
      deps.log.warn({ chatId: m.chat.id, err: describeError(err) }, 'history append failed');
    }
  };

  groups.on('message', async (ctx, next) => {
    await store(ctx.message, false);
    await next();
  });
  groups.on('edited_message', async (ctx, next) => {
    await store(ctx.editedMessage, true);
    await next();
  });

  c.on('my_chat_member', async (ctx, next) => {
    const status = ctx.myChatMember.new_chat_member.status;
    if (status === 'left' || status === 'kicked') {
      try {
        const deleted = await deps.history.forget(ctx.chat.id);
        deps.log.info({ chatId: ctx.chat.id, deleted }, 'left chat, history deleted');
      } catch (err) {
        deps.log.warn({ chatId: ctx.chat.id, err: describeError(err) }, 'history delete on leave failed');
      }
    }
    await next();
  });
  return c;
}
