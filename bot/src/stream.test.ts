// StreamingReply through grammY's real Api with a transformer standing in for Telegram.
import { Api } from 'grammy';
import { describe, expect, it } from 'vitest';
import { StreamingReply } from './stream';

function fakeTelegram() {
  const calls: Array<{ method: string; payload: Record<string, unknown> }> = [];
  const texts = new Map<number, string>();
  let next = 100;
  const api = new Api('1:fake');
  api.config.use(async (_prev, method, payload) => {
    const p = payload as Record<string, unknown>;
    calls.push({ method, payload: p });
    if (method === 'sendMessage') {
      const id = next++;
      texts.set(id, String(p.text));
      return { ok: true, result: { message_id: id, date: 0, chat: { id: 1, type: 'private' } } } as never;
    }
    if (method === 'editMessageText') {
      const id = Number(p.message_id);
      if (texts.get(id) === p.text && p.reply_markup === undefined)
        return { ok: false, error_code: 400, description: 'Bad Request: message is not modified' } as never;
      texts.set(id, String(p.text));
      return { ok: true, result: true } as never;
    }
    throw new Error(`unexpected ${method}`);
  });
  return { api, calls, texts };
}

describe('StreamingReply', () => {
  it('edits the placeholder and spills into new messages past 4,096 characters', async () => {
    const tg = fakeTelegram();
    const r = new StreamingReply(tg.api, 1, 7, 0);
    await r.start('Working…');
    const long = Array.from({ length: 700 }, (_, i) => `token${i}`).join(' ');
    await r.finish(long, { inline_keyboard: [[{ text: 'x', url: 'https://example.org' }]] });
    expect(r.messageIds.length).toBe(2);
    expect([...tg.texts.values()].join(' ')).toBe(long);
    const lastSend = tg.calls.filter((c) => c.method === 'sendMessage').at(-1)!;
    expect(lastSend.payload.reply_markup).toBeDefined();
  });

  it('posts a flood from a rig as at most three messages, however it streams', async () => {
    const tg = fakeTelegram();
    const r = new StreamingReply(tg.api, 1, 7, 0);
    await r.start('Working…');
    let text = '';
    for (let i = 0; i < 50; i++) {
      text += `${'chunk '.repeat(300)}\n`;
      r.update(text);
      await new Promise((res) => setTimeout(res, 1));
    }
    await r.finish(text, undefined, '— 0.2 TON · rig 12345678');
    expect(tg.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(3);
    expect(r.messageIds).toHaveLength(3);
    expect(tg.texts.get(r.messageIds[2])?.endsWith('— 0.2 TON · rig 12345678')).toBe(true);
  });

  it('treats "message is not modified" as done', async () => {
    const tg = fakeTelegram();
    const r = new StreamingReply(tg.api, 1, undefined, 0);
    await r.start('same');
    await r.finish('same');
    await expect(r.finish('same')).resolves.toBeUndefined();
    expect(tg.texts.get(100)).toBe('same');
  });
});
