import { describe, expect, it } from 'vitest';
import { attributeSummaryLines } from './summary-lines';

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
