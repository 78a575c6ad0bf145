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
