// Signed Mini App launch data (initData), made with the bot token the way Telegram's servers make
// it, so a Mini App opened from the web chat authenticates against the proxy like the real thing.
// https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app
import { createHmac } from 'node:crypto';
import type { TgChat, TgUser } from './model';

export interface InitDataInput {
  botToken: string;
  user: TgUser;
  chat?: TgChat;
  queryId?: string;
  startParam?: string;
  authDate?: number;
}

export function signInitData(input: InitDataInput): string {
  const fields = new Map<string, string>();
  const { is_bot: _bot, ...user } = input.user;
  fields.set('user', JSON.stringify({ ...user, allows_write_to_pm: true }));
  fields.set('auth_date', String(input.authDate ?? Math.floor(Date.now() / 1000)));
  if (input.queryId) fields.set('query_id', input.queryId);
  if (input.startParam) fields.set('start_param', input.startParam);
  if (input.chat && input.chat.type !== 'private') {
    fields.set('chat_type', input.chat.type);
    fields.set('chat_instance', String(Math.abs(input.chat.id)));
  } else {
    fields.set('chat_type', 'sender');
    fields.set('chat_instance', String(input.user.id));
  }
  const dataCheckString = [...fields]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  const secret = createHmac('sha256', 'WebAppData').update(input.botToken).digest();
  const hash = createHmac('sha256', secret).update(dataCheckString).digest('hex');
  const params = new URLSearchParams([...fields, ['hash', hash]]);
  return params.toString();
}

/** The Web App URL with Telegram's launch parameters in the hash, as the Telegram clients open it. */
export function webAppLaunchUrl(url: string, initData: string): string {
  const launch = new URLSearchParams({
    tgWebAppData: initData,
    tgWebAppVersion: '8.0',
    tgWebAppPlatform: 'web',
    tgWebAppThemeParams: JSON.stringify({
      bg_color: '#ffffff',
      text_color: '#000000',
      hint_color: '#707579',
      link_color: '#3390ec',
      button_color: '#3390ec',
      button_text_color: '#ffffff',
      secondary_bg_color: '#f4f4f5',
    }),
  });
  const target = new URL(url);
  target.hash = launch.toString();
  return target.toString();
}
