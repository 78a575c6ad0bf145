// zod helpers for Bot API parameters. Telegram accepts every parameter as a string too (query
// string, urlencoded, multipart), with objects JSON-encoded, so each helper coerces strings first.
import { z } from 'zod';
import { badRequest } from './errors';

const fromString = (v: unknown, to: (s: string) => unknown): unknown => (typeof v === 'string' ? to(v) : v);

export const int = () =>
  z.preprocess((v) => fromString(v, (s) => (s.trim() === '' ? undefined : Number(s))), z.number().int());

export const bool = () =>
  z.preprocess(
    (v) => fromString(v, (s) => (s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : s)),
    z.boolean(),
  );

/** A JSON-serialized object or array parameter (reply_markup, allowed_updates, entities, …). */
export const json = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      return v; // let the schema report the type error
    }
  }, schema);

/** chat_id: an integer or a string (`@username` or a numeric string). */
export const chatId = () =>
  z.preprocess(
    (v) => fromString(v, (s) => (/^-?\d+$/.test(s.trim()) ? Number(s) : s)),
    z.union([z.number().int(), z.string()]),
  );

// Telegram's wording when a required parameter is missing.
const missingMessages: Record<string, string> = {
  chat_id: 'chat_id is empty',
  text: 'message text is empty',
  message_id: 'message identifier is not specified',
  user_id: 'invalid user_id specified',
  callback_query_id: 'query is too old and response timeout expired or query ID is invalid',
  url: 'bad webhook: webhook URL must not be empty',
  commands: 'parameter "commands" is required',
  action: 'wrong parameter action in request',
};

export function parseParams<T extends z.ZodType>(schema: T, raw: Record<string, unknown>): z.infer<T> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = String(issue.path[0] ?? 'parameters');
  if (issue.code === 'invalid_type' && raw[field] === undefined) {
    throw badRequest(missingMessages[field] ?? `parameter "${field}" is required`);
  }
  if (field === 'reply_markup') throw badRequest("can't parse reply keyboard markup JSON object");
  if (field === 'chat_id') throw badRequest('chat not found');
  throw badRequest(`field "${issue.path.join('.')}" is invalid: ${issue.message}`);
}
