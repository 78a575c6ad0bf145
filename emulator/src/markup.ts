// reply_markup validation with Telegram's error wording. Only inline keyboards end up in
// Message.reply_markup; reply keyboards are remembered per chat for the web chat to show.
import type { InlineKeyboardMarkup } from 'grammy/types';
import { z } from 'zod';
import { badRequest } from './errors';
import type { ChatType } from './model';

const inlineButton = z
  .object({
    text: z.string(),
    url: z.string().optional(),
    callback_data: z.string().optional(),
    web_app: z.object({ url: z.string() }).optional(),
    login_url: z.object({ url: z.string() }).passthrough().optional(),
    switch_inline_query: z.string().optional(),
    switch_inline_query_current_chat: z.string().optional(),
    switch_inline_query_chosen_chat: z.object({}).passthrough().optional(),
    copy_text: z.object({ text: z.string() }).optional(),
    callback_game: z.object({}).passthrough().optional(),
    pay: z.boolean().optional(),
  })
  .passthrough();

const keyboardButton = z.union([z.string(), z.object({ text: z.string() }).passthrough()]);

export const replyMarkupSchema = z.union([
  z.object({ inline_keyboard: z.array(z.array(inlineButton)) }).passthrough(),
  z.object({ keyboard: z.array(z.array(keyboardButton)) }).passthrough(),
  z.object({ remove_keyboard: z.literal(true) }).passthrough(),
  z.object({ force_reply: z.literal(true) }).passthrough(),
]);

export type ReplyMarkup = z.infer<typeof replyMarkupSchema>;

export interface MarkupRules {
  /** Reject what real Telegram rejects for local URLs: http Web Apps and localhost links. */
  strictUrls: boolean;
}

const actionFields = [
  'url',
  'callback_data',
  'web_app',
  'login_url',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'copy_text',
  'callback_game',
  'pay',
] as const;

function checkUrl(kind: string, url: string, rules: MarkupRules, httpsOnly: boolean): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest(`inline keyboard button ${kind} '${url}' is invalid: Wrong HTTP URL`);
  }
  if (!['http:', 'https:', 'tg:'].includes(parsed.protocol)) {
    throw badRequest(`inline keyboard button ${kind} '${url}' is invalid: Unsupported URL protocol`);
  }
  if (rules.strictUrls) {
    if (httpsOnly && parsed.protocol !== 'https:') {
      throw badRequest(`inline keyboard button ${kind} '${url}' is invalid: Only HTTPS links are allowed`);
    }
    if (['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname)) {
      throw badRequest(`inline keyboard button ${kind} '${url}' is invalid: Wrong HTTP URL`);
    }
  }
}

/** Returns the inline keyboard to store on the message (undefined for other markups). */
export function validateReplyMarkup(
  markup: ReplyMarkup | undefined,
  chatType: ChatType,
  rules: MarkupRules,
): InlineKeyboardMarkup | undefined {
  if (!markup || !('inline_keyboard' in markup)) return undefined;
  const rows = (markup as { inline_keyboard: z.infer<typeof inlineButton>[][] }).inline_keyboard;
  for (const row of rows) {
    for (const button of row) {
      const actions = actionFields.filter((f) => button[f] !== undefined);
      if (actions.length === 0) {
        throw badRequest(
          "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        );
      }
      if (button.text.trim() === '') throw badRequest('BUTTON_TEXT_INVALID');
      if (button.callback_data !== undefined) {
        const bytes = Buffer.byteLength(button.callback_data);
        if (bytes < 1 || bytes > 64) throw badRequest('BUTTON_DATA_INVALID');
      }
      if (button.url !== undefined) checkUrl('URL', button.url, rules, false);
      if (button.web_app !== undefined) {
        // Web App buttons in inline keyboards only work in private chats.
        if (chatType !== 'private') throw badRequest('BUTTON_TYPE_INVALID');
        checkUrl('Web App URL', button.web_app.url, rules, true);
      }
    }
  }
  return markup as InlineKeyboardMarkup;
}

export function sameMarkup(a: unknown, b: unknown): boolean {
  const empty = (m: unknown) =>
    m === undefined ||
    (typeof m === 'object' &&
      m !== null &&
      'inline_keyboard' in m &&
      (m as { inline_keyboard: unknown[] }).inline_keyboard.length === 0);
  if (empty(a) && empty(b)) return true;
  return JSON.stringify(a) === JSON.stringify(b);
}
