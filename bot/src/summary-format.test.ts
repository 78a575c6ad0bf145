import { describe, expect, it } from 'vitest';
import { escapeHtml, messageLink, relativeSpan, summaryHtml } from './summary-format';

const messages = [
  { id: 10, author: 'Ann <admin>', text: 'We meet Friday 10am in room 4B & bring "drafts"', date: 1_000 },
  { id: 11, author: 'Bob', text: 'ok', date: 2_000 },
  { id: 12, author: 'Bob', text: 'I’ll book the projector', date: 4_600 },
];
const summary = 'Ann <admin>: We meet Friday 10am in room 4B & bring "drafts"\nBob: I’ll book the projector';
const supergroup = { id: -1001234567890, type: 'supergroup' };

describe('summary as Telegram HTML', () => {
  it('header, bold speakers, escaped text, a link per line, the footer', () => {
    const html = summaryHtml({
      summary,
      messages,
      chat: supergroup,
      nowSeconds: 1_000 + 3 * 3600,
      footer: '— 0.01 TON · rig abcd1234',
    });
    expect(html).toBe(
      '<b>Summary of the last 3 messages, last 3 h</b>\n' +
        '• <b>Ann &lt;admin&gt;</b>: We meet Friday 10am in room 4B &amp; bring &quot;drafts&quot; <a href="https://t.me/c/1234567890/10">↗</a>\n' +
        '• <b>Bob</b>: I’ll book the projector <a href="https://t.me/c/1234567890/12">↗</a>\n\n' +
        '<i>— 0.01 TON · rig abcd1234</i>',
    );
  });

  it('links: public chats by username, supergroups by internal id, none in basic groups or private chats', () => {
    expect(messageLink({ id: -1001234567890, type: 'supergroup', username: 'cocoon_chat' }, 5)).toBe(
      'https://t.me/cocoon_chat/5',
    );
    expect(messageLink(supergroup, 5)).toBe('https://t.me/c/1234567890/5');
    expect(messageLink({ id: -4000001, type: 'group' }, 5)).toBeUndefined();
    expect(messageLink({ id: 42, type: 'private' }, 5)).toBeUndefined();
    expect(messageLink(supergroup, undefined)).toBeUndefined();
  });

  it('never over 4,096 characters, however long the lines', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({
      id: i + 1,
      author: `user${i}`,
      text: `${'long words '.repeat(60)}${i}`,
    }));
    const text = many.map((m) => `${m.author}: ${m.text}`).join('\n');
    const html = summaryHtml({
      summary: text,
      messages: many,
      chat: supergroup,
      nowSeconds: 0,
      footer: 'cost',
    });
    expect(html.length).toBeLessThanOrEqual(4096);
    expect(html).toMatch(/more lines left out/);
    expect(html).toMatch(/<i>cost<\/i>$/);
    expect(html).toMatch(/…/);
  });

  it('an empty summary says so; spans read relative', () => {
    expect(summaryHtml({ summary: '', messages, chat: supergroup, nowSeconds: 5_000 })).toContain(
      'Nothing in these messages',
    );
    expect(relativeSpan(30)).toBe('under a minute');
    expect(relativeSpan(45 * 60)).toBe('45 min');
    expect(relativeSpan(3 * 86400)).toBe('3 days');
    expect(escapeHtml('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
  });
});

describe('summary as Telegram HTML on bad input', () => {
  const tags = /<\/?([a-z]+)[^>]*>/g;
  /** Only the tags the formatter writes, each closed: Telegram refuses anything else. */
  function wellFormed(html: string) {
    const names = [...html.matchAll(tags)].map((m) => m[0]);
    expect(names.every((t) => /^<\/?(b|i|a)( href="[^"]*")?>$/.test(t))).toBe(true);
    for (const t of ['b', 'i', 'a'])
      expect(names.filter((n) => n.startsWith(`<${t}`)).length).toBe(
        names.filter((n) => n === `</${t}>`).length,
      );
  }

  it('right-to-left text, code blocks with markup in them and edited messages: quoted as written, escaped', () => {
    const chat = [
      { id: 1, author: 'דנה', text: 'נפגשים ביום שישי בשעה 10:00 בתחנה המרכזית' },
      { id: 2, author: 'عمر', text: 'سنلتقي يوم الجمعة الساعة 10:00 في المحطة' },
      {
        id: 3,
        author: 'dev',
        text: 'Fix is:\n```\nif (a < b && c > d) return <div/>;\n```\nship Friday 3pm',
      },
      // Edited: the history holds the edited text under the original id.
      { id: 4, author: 'dev', text: 'edited: the release moved to Monday 9am' },
    ];
    const summary = chat.map((m) => `${m.author}: ${m.text.replace(/\s+/g, ' ')}`).join('\n');
    const html = summaryHtml({ summary, messages: chat, chat: supergroup, nowSeconds: 0 });
    wellFormed(html);
    expect(html).toContain(
      '• <b>דנה</b>: נפגשים ביום שישי בשעה 10:00 בתחנה המרכזית <a href="https://t.me/c/1234567890/1">',
    );
    expect(html).toContain('<b>عمر</b>: سنلتقي');
    expect(html).toContain('if (a &lt; b &amp;&amp; c &gt; d) return &lt;div/&gt;;');
    expect(html).toContain('the release moved to Monday 9am <a href="https://t.me/c/1234567890/4">');
  });

  it('5,000 one-word messages and one enormous message: one message within 4,096 characters, never empty', () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ id: i + 1, author: `u${i % 13}`, text: `w${i}` }));
    const manyHtml = summaryHtml({
      summary: many
        .filter((_, i) => i % 400 === 0)
        .map((m) => `${m.author}: ${m.text}`)
        .join('\n'),
      messages: many,
      chat: supergroup,
      nowSeconds: 0,
      footer: 'cost',
    });
    wellFormed(manyHtml);
    expect(manyHtml.length).toBeLessThanOrEqual(4096);
    expect(manyHtml).toMatch(
      /^<b>Summary of the last 5000 messages<\/b>\n• <b>u0<\/b>: w0 <a href="https:\/\/t.me\/c\/1234567890\/1">/,
    );

    const huge = { id: 9, author: 'ops', text: 'The migration runs Saturday 02:00 UTC. '.repeat(5000) };
    const hugeHtml = summaryHtml({
      summary: `ops: ${huge.text.slice(0, 2000).trim()} …`,
      messages: [huge],
      chat: supergroup,
      nowSeconds: 0,
    });
    wellFormed(hugeHtml);
    expect(hugeHtml.length).toBeLessThan(600); // the line is cut to LINE_MAX_CHARS
    expect(hugeHtml).toMatch(
      /^<b>Summary of 1 message<\/b>\n• <b>ops<\/b>: The migration runs .*… <a href="https:\/\/t.me\/c\/1234567890\/9">↗<\/a>$/,
    );
  });

  it('empty history or only stickers (no text): a clear short answer, not an empty message', () => {
    for (const messages of [[], [{ id: 1, author: 'a', text: '' }]]) {
      const html = summaryHtml({ summary: '', messages, chat: supergroup, nowSeconds: 0 });
      expect(html).toMatch(/Nothing in these messages to sum up\.$/);
    }
  });
});
