// Buttons into the Mini App: web_app buttons in private chats, plain URL buttons in groups (Telegram
// rejects web_app inline buttons outside private chats).
import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';

export function miniAppUrl(base: string, route = ''): string {
  const clean = base.replace(/#.*$/, '');
  return route ? `${clean}#/${route.replace(/^[#/]+/, '')}` : clean;
}

export function miniAppButton(
  text: string,
  base: string,
  route: string,
  chatType: string | undefined,
): InlineKeyboardButton {
  const url = miniAppUrl(base, route);
  return chatType === 'private' ? { text, web_app: { url } } : { text, url };
}

export function keyboard(...buttons: InlineKeyboardButton[]): InlineKeyboardMarkup {
  return { inline_keyboard: [buttons] };
}
