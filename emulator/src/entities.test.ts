import { Api, InputFile } from 'grammy';
import { describe, expect, it } from 'vitest';
import { detectEntities, parseFormattedText, parseMultipart, startBotApiEmulator } from './index';

describe('formatted text', () => {
  it('parses nested HTML, pre with a language and spoilers', () => {
    const parsed = parseFormattedText(
      '<b>a <i>b</i></b>\n<pre><code class="language-ts">x</code></pre> <tg-spoiler>s</tg-spoiler>',
      'HTML',
    );
    expect(parsed.text).toBe('a b\nx s');
    expect(parsed.entities).toEqual([
      { type: 'bold', offset: 0, length: 3 },
      { type: 'italic', offset: 2, length: 1 },
      { type: 'pre', offset: 4, length: 1, language: 'ts' },
      { type: 'spoiler', offset: 6, length: 1 },
    ]);
  });

  it('reports unmatched HTML tags and unclosed MarkdownV2 entities', () => {
    expect(() => parseFormattedText('<b>x</i>', 'HTML')).toThrow(
      'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"',
    );
    expect(() => parseFormattedText('*bold', 'MarkdownV2')).toThrow(
      "Can't find end of Bold entity at byte offset 0",
    );
    expect(parseFormattedText('[site](https://a.b/c\\)d)', 'MarkdownV2').entities).toEqual([
      { type: 'text_link', offset: 0, length: 4, url: 'https://a.b/c)d' },
    ]);
  });

  it('finds commands, mentions, hashtags and links in user text', () => {
    expect(detectEntities('/sum@my_bot hi @someone #tag https://t.me/x.').map((e) => e.type)).toEqual([
      'bot_command',
      'mention',
      'hashtag',
      'url',
    ]);
  });
});

describe('multipart uploads', () => {
  it('parses grammY-style parts and accepts sendPhoto with an InputFile', async () => {
    const body = Buffer.from(
      '--b\r\ncontent-disposition:form-data;name="chat_id"\r\n\r\n42\r\n--b\r\ncontent-disposition:form-data;name="f1";filename=p.jpg\r\ncontent-type:application/octet-stream\r\n\r\nBYTES\r\n--b--\r\n',
    );
    const parts = parseMultipart(body, 'b');
    expect(parts.map((p) => [p.name, p.filename, p.data.toString()])).toEqual([
      ['chat_id', undefined, '42'],
      ['f1', 'p.jpg', 'BYTES'],
    ]);

    const token = '7000401:upload-token';
    const emulator = await startBotApiEmulator({
      bots: [{ token, username: 'upload_bot', firstName: 'Up' }],
    });
    try {
      const user = emulator.createUser({ first_name: 'U' });
      emulator.userSends(user.id, user.id, '/start');
      const api = new Api(token, { apiRoot: emulator.url });
      const msg = await api.sendPhoto(user.id, new InputFile(Buffer.from('fake-jpeg'), 'cat.jpg'), {
        caption: '<b>cat</b>',
        parse_mode: 'HTML',
      });
      expect(msg.photo?.[0].file_size).toBe(9);
      expect(msg.caption).toBe('cat');
      expect(msg.caption_entities).toEqual([{ type: 'bold', offset: 0, length: 3 }]);
    } finally {
      await emulator.close();
    }
  });
});
