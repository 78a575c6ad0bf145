// The control API's Stars routes: a user's balance, a reversal by "Telegram", and paying an invoice message
// (the web chat's Pay button, through the same Stars.pay as the payment sheet).
import { z } from 'zod';
import { jsonBody } from './body';
import { type ControlRoute, noRoute } from './control-route';

const id = z.coerce.number().int();
const schemas = {
  balance: z.object({ balance: z.number().int().min(0).max(1_000_000_000) }),
  pay: z.object({ userId: z.number().int().positive(), bot: z.union([z.string(), z.number()]).optional() }),
};

export async function starsRoutes({ emulator, req, path, method }: ControlRoute): Promise<unknown> {
  const { stars, world } = emulator;
  let m = /^\/users\/(\d+)\/stars$/.exec(path);
  if (m && method === 'GET') return { balance: stars.balance(id.parse(m[1])) };
  if (m && method === 'POST') {
    const body = await jsonBody(req, schemas.balance);
    stars.setBalance(id.parse(m[1]), body.balance);
    return { balance: body.balance };
  }
  m = /^\/payments\/([A-Za-z0-9_-]{1,128})\/reverse$/.exec(path);
  if (m && method === 'POST') return { ok: true, message: stars.reverse(m[1]) };
  m = /^\/chats\/(-?\d+)\/messages\/(\d+)\/pay$/.exec(path);
  if (m && method === 'POST') {
    const body = await jsonBody(req, schemas.pay);
    const conv = world.conversationFor(id.parse(m[1]), world.resolveBot(body.bot));
    return stars.pay(stars.invoiceForMessage(conv.key, id.parse(m[2])).slug, body.userId);
  }
  return noRoute;
}
