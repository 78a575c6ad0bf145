import { describe, expect, it } from 'vitest';
import {
  attributeSummaryLines,
  cutText,
  parseTranscript,
  SUMMARY_AUTHOR_MAX_CHARS,
  summaryHeader,
  summaryView,
} from './summary-lines';

describe('attributeSummaryLines', () => {
  const messages = [
    { id: 1, author: 'Ann', text: 'ok' },
    { id: 2, author: 'Bob', text: 'Root cause: TTL set to zero.  Postmortem tomorrow 11am' },
    { id: 3, author: 'Ann', text: 'ok' },
    { id: 4, author: 'Cy', text: 'A: B: colons in text' },
  ];

  it('finds each line’s message in chat order, by author and quoted pieces', () => {
    const lines = attributeSummaryLines(
      'Bob: Root cause: TTL set to zero. … Postmortem tomorrow 11am\nAnn: ok',
      messages,
    );
    expect(lines.map((l) => l.messageId)).toEqual([2, 3]);
    expect(lines[0]).toMatchObject({
      author: 'Bob',
      text: 'Root cause: TTL set to zero. … Postmortem tomorrow 11am',
    });
  });

  it('lines without an author, cut lines, and lines found nowhere', () => {
    const lines = attributeSummaryLines(
      'Postmortem tomorrow …\nCy: A: B: colons in text\nEve: made up',
      messages,
    );
    expect(lines.map((l) => l.messageId)).toEqual([2, 4, undefined]);
    expect(lines[2]).toMatchObject({ author: 'Eve', text: 'made up' });
  });
});

describe('summaryView', () => {
  const messages = [
    { id: 10, author: 'Ann', text: 'we meet Thursday 10am, room 4B', date: 1_000 },
    { id: 11, author: 'Bob', text: 'ok' },
    { author: 'Cy', text: `${'long '.repeat(100)}end` },
  ];

  it('a header, then speaker, text and link per line, in chat order', () => {
    const v = summaryView({
      summary: `Ann: we meet Thursday 10am, room 4B\nCy: ${'long '.repeat(100)}end`,
      messages,
      nowSeconds: 1_000 + 3 * 3600,
      linkOf: (l) => (l.messageId === undefined ? undefined : `https://t.me/c/1/${l.messageId}`),
      lineMaxChars: 40,
    });
    expect(v.header).toBe('Summary of the last 3 messages, last 3 h');
    expect(v.lines).toHaveLength(2);
    expect(v.lines[0]).toMatchObject({
      author: 'Ann',
      text: 'we meet Thursday 10am, room 4B',
      messageIndex: 0,
      messageId: 10,
      link: 'https://t.me/c/1/10',
    });
    expect(v.lines[1]).toMatchObject({ author: 'Cy', messageIndex: 2 });
    expect(v.lines[1].link).toBeUndefined();
    expect([...v.lines[1].text].length).toBeLessThanOrEqual(40);
    expect(v.lines[1].text.endsWith('…')).toBe(true);
  });

  it('no times: no span; an empty summary has no lines; long names are cut', () => {
    expect(summaryHeader([{}, {}], 0)).toBe('Summary of the last 2 messages');
    expect(summaryHeader([{}], 0)).toBe('Summary of 1 message');
    expect(summaryView({ summary: '', messages: [], nowSeconds: 0 }).lines).toEqual([]);
    const name = 'N'.repeat(100);
    const v = summaryView({
      summary: `${name}: hi there`,
      messages: [{ author: name, text: 'hi there' }],
      nowSeconds: 0,
    });
    expect([...(v.lines[0].author ?? '')].length).toBeLessThanOrEqual(SUMMARY_AUTHOR_MAX_CHARS);
  });

  it('cutText cuts at a word with an ellipsis and never splits a surrogate pair', () => {
    expect(cutText('short', 10)).toBe('short');
    expect(cutText('one two three four five', 12)).toBe('one two…');
    expect(cutText('😀'.repeat(10), 5)).toBe('😀😀😀😀…');
  });
});

describe('parseTranscript', () => {
  it('reads "Name: text" lines (\\n or \\r\\n) as messages with speakers, as SAMSum has them', () => {
    expect(
      parseTranscript(
        "Amanda: I baked cookies. Do you want some?\r\nJerry: Sure!\r\n\r\nAmanda: I'll bring you tomorrow :-)",
      ),
    ).toEqual([
      { author: 'Amanda', text: 'I baked cookies. Do you want some?' },
      { author: 'Jerry', text: 'Sure!' },
      { author: 'Amanda', text: "I'll bring you tomorrow :-)" },
    ]);
  });

  it('prose stays prose: a colon in one line of many is not a speaker', () => {
    const m = parseTranscript('The plan changed.\nNote: we leave at 7.\nBring boots.');
    expect(m.every((x) => x.author === undefined)).toBe(true);
    expect(m.map((x) => x.text)).toEqual(['The plan changed.', 'Note: we leave at 7.', 'Bring boots.']);
  });

  it('a line ending with a Telegram message link carries the id and the link', () => {
    expect(
      parseTranscript(
        'Ann: deploy Friday https://t.me/c/1234/56\nBob: ok https://t.me/teamchat/57\nCy: see https://example.com/x',
      ),
    ).toEqual([
      { author: 'Ann', text: 'deploy Friday', id: 56, link: 'https://t.me/c/1234/56' },
      { author: 'Bob', text: 'ok', id: 57, link: 'https://t.me/teamchat/57' },
      { author: 'Cy', text: 'see https://example.com/x' },
    ]);
    expect(parseTranscript('')).toEqual([]);
  });
});
