// Turns formatted text (parse_mode HTML, MarkdownV2, Markdown) into plain text plus MessageEntity[],
// with Telegram's error wording, so a bot that sends bad markup fails here as it would in production.
// Offsets and lengths are UTF-16 code units, which is what JavaScript string indices already are.
import type { MessageEntity } from 'grammy/types';
import { badRequest } from './errors';

export interface FormattedText {
  text: string;
  entities: MessageEntity[];
}

export type ParseMode = 'HTML' | 'MarkdownV2' | 'Markdown';

const byteOffset = (source: string, index: number): number => Buffer.byteLength(source.slice(0, index));
const parseError = (what: string) => badRequest(`can't parse entities: ${what}`);

export function parseFormattedText(
  source: string,
  parseMode: string | undefined,
  explicitEntities?: MessageEntity[],
): FormattedText {
  let parsed: FormattedText;
  if (parseMode === undefined || parseMode === '')
    parsed = { text: source, entities: explicitEntities ?? [] };
  else if (parseMode.toLowerCase() === 'html') parsed = parseHtml(source);
  else if (parseMode.toLowerCase() === 'markdownv2') parsed = parseMarkdownV2(source);
  else if (parseMode.toLowerCase() === 'markdown') parsed = parseMarkdownLegacy(source);
  else throw badRequest(`unsupported parse_mode "${parseMode}"`);
  return trimFormatted(parsed);
}

/** Telegram strips leading and trailing whitespace from message text and moves entities with it. */
export function trimFormatted({ text, entities }: FormattedText): FormattedText {
  const lead = text.length - text.trimStart().length;
  const trimmed = text.trim();
  const out: MessageEntity[] = [];
  for (const e of entities) {
    const start = Math.max(0, e.offset - lead);
    const end = Math.min(trimmed.length, e.offset + e.length - lead);
    if (end > start) out.push({ ...e, offset: start, length: end - start });
  }
  out.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text: trimmed, entities: out };
}

// ---------------------------------------------------------------- HTML

const simpleTags: Record<string, MessageEntity['type']> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  'tg-spoiler': 'spoiler',
  code: 'code',
  pre: 'pre',
};

const namedEntities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

interface OpenTag {
  name: string;
  start: number;
  entity: MessageEntity | undefined;
}

function parseAttributes(raw: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of raw.matchAll(/([a-zA-Z_:-][\w:.-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    attrs[m[1].toLowerCase()] = decodeHtmlEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

function decodeHtmlEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith('#x') || body.startsWith('#X'))
      return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(Number.parseInt(body.slice(1), 10));
    return namedEntities[body.toLowerCase()] ?? whole;
  });
}

function parseHtml(source: string): FormattedText {
  let text = '';
  const entities: MessageEntity[] = [];
  const stack: OpenTag[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === '&') {
      const m = /^&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/.exec(source.slice(i, i + 12));
      if (m) {
        text += decodeHtmlEntities(m[0]);
        i += m[0].length;
        continue;
      }
      text += ch;
      i += 1;
      continue;
    }
    if (ch !== '<') {
      text += ch;
      i += 1;
      continue;
    }
    const close = source.indexOf('>', i);
    if (close === -1) throw parseError(`Unclosed start tag at byte offset ${byteOffset(source, i)}`);
    const inner = source.slice(i + 1, close);
    if (inner.startsWith('/')) {
      const name = inner.slice(1).trim().toLowerCase();
      const open = stack.pop();
      if (!open) throw parseError(`Unexpected end tag at byte offset ${byteOffset(source, i)}`);
      if (open.name !== name) {
        throw parseError(
          `Unmatched end tag at byte offset ${byteOffset(source, i)}, expected "</${open.name}>", found "</${name}>"`,
        );
      }
      if (open.entity) {
        open.entity.offset = open.start;
        open.entity.length = text.length - open.start;
        if (open.entity.length > 0) entities.push(open.entity);
      }
      i = close + 1;
      continue;
    }
    const nameMatch = /^([a-zA-Z][\w-]*)/.exec(inner);
    if (!nameMatch) throw parseError(`Unsupported start tag at byte offset ${byteOffset(source, i)}`);
    const name = nameMatch[1].toLowerCase();
    const attrs = parseAttributes(inner.slice(nameMatch[1].length));
    let entity: MessageEntity | undefined;
    if (simpleTags[name]) {
      entity = { type: simpleTags[name], offset: 0, length: 0 } as MessageEntity;
      // <pre><code class="language-x"> gives the pre entity a language instead of a nested code entity.
      const parent = stack[stack.length - 1];
      if (name === 'code' && parent?.name === 'pre' && attrs.class?.startsWith('language-')) {
        if (parent.entity) (parent.entity as { language?: string }).language = attrs.class.slice(9);
        entity = undefined;
      }
    } else if (name === 'span') {
      if (attrs.class !== 'tg-spoiler') {
        throw parseError(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(source, i)}`);
      }
      entity = { type: 'spoiler', offset: 0, length: 0 };
    } else if (name === 'a') {
      const href = attrs.href ?? '';
      const mention = /^tg:\/\/user\?id=(\d+)$/.exec(href);
      entity = mention
        ? ({ type: 'text_mention', offset: 0, length: 0, user: { id: Number(mention[1]) } } as MessageEntity)
        : href
          ? { type: 'text_link', offset: 0, length: 0, url: href }
          : undefined;
    } else if (name === 'blockquote') {
      entity = { type: 'expandable' in attrs ? 'expandable_blockquote' : 'blockquote', offset: 0, length: 0 };
    } else if (name === 'tg-emoji') {
      entity = { type: 'custom_emoji', offset: 0, length: 0, custom_emoji_id: attrs['emoji-id'] ?? '' };
    } else {
      throw parseError(`Unsupported start tag "${name}" at byte offset ${byteOffset(source, i)}`);
    }
    stack.push({ name, start: text.length, entity });
    i = close + 1;
  }
  if (stack.length > 0) {
    throw parseError(`Can't find end tag corresponding to start tag "${stack[stack.length - 1].name}"`);
  }
  return { text, entities };
}

// ---------------------------------------------------------------- MarkdownV2

const reservedV2 = new Set('_*[]()~`>#+-=|{}.!'.split(''));

interface OpenMark {
  type: MessageEntity['type'];
  marker: string;
  start: number;
  sourceIndex: number;
}

const entityName: Partial<Record<MessageEntity['type'], string>> = {
  bold: 'Bold',
  italic: 'Italic',
  underline: 'Underline',
  strikethrough: 'Strikethrough',
  spoiler: 'Spoiler',
  text_link: 'TextUrl',
};

interface V2State {
  source: string;
  text: string;
  entities: MessageEntity[];
  stack: OpenMark[];
}

/** `]` at `i` closes a text link `[text](url)`; "[text]" without a URL stays plain text. Returns the next index. */
function closeLinkV2(st: V2State, i: number): number {
  const top = st.stack[st.stack.length - 1];
  if (top?.type !== 'text_link') {
    throw parseError(`Character ']' is reserved and must be escaped with the preceding '\\'`);
  }
  if (st.source[i + 1] !== '(') {
    // Telegram treats "[text]" without a URL as plain text.
    st.stack.pop();
    return i + 1;
  }
  let url = '';
  let j = i + 2;
  while (j < st.source.length && st.source[j] !== ')') {
    if (st.source[j] === '\\' && j + 1 < st.source.length) j += 1;
    url += st.source[j];
    j += 1;
  }
  if (j >= st.source.length) {
    throw parseError(`Can't find end of a URL at byte offset ${byteOffset(st.source, i + 2)}`);
  }
  st.stack.pop();
  if (st.text.length > top.start) {
    st.entities.push({ type: 'text_link', offset: top.start, length: st.text.length - top.start, url });
  }
  return j + 1;
}

/** `code` or ```pre``` (with an optional language line) at `i`: literal except \` and \\. Returns the next index. */
function codeV2(st: V2State, i: number): number {
  const isPre = st.source.startsWith('```', i);
  const marker = isPre ? '```' : '`';
  const end = st.source.indexOf(marker, i + marker.length);
  if (end === -1) {
    throw parseError(
      `Can't find end of ${isPre ? 'Pre' : 'Code'} entity at byte offset ${byteOffset(st.source, i)}`,
    );
  }
  let body = st.source.slice(i + marker.length, end);
  let language: string | undefined;
  if (isPre) {
    const firstLine = /^([^\s`]+)\n/.exec(body);
    if (firstLine) {
      language = firstLine[1];
      body = body.slice(firstLine[0].length);
    } else if (body.startsWith('\n')) body = body.slice(1);
  }
  const content = body.replace(/\\([\\`])/g, '$1');
  const start = st.text.length;
  st.text += content;
  if (content.length > 0) {
    st.entities.push(
      isPre
        ? { type: 'pre', offset: start, length: content.length, ...(language ? { language } : {}) }
        : { type: 'code', offset: start, length: content.length },
    );
  }
  return end + marker.length;
}

function parseMarkdownV2(source: string): FormattedText {
  const st: V2State = { source, text: '', entities: [], stack: [] };
  const { entities, stack } = st;
  let quoteStart = -1;
  let i = 0;
  const toggle = (type: MessageEntity['type'], marker: string) => {
    const top = stack[stack.length - 1];
    if (top && top.type === type) {
      stack.pop();
      if (st.text.length > top.start)
        entities.push({ type, offset: top.start, length: st.text.length - top.start } as MessageEntity);
      return;
    }
    const open = stack.find((s) => s.type === type);
    if (open) {
      throw parseError(
        `Can't find end of ${entityName[type]} entity at byte offset ${byteOffset(source, open.sourceIndex)}`,
      );
    }
    stack.push({ type, marker, start: st.text.length, sourceIndex: i });
  };
  while (i < source.length) {
    const ch = source[i];
    const atLineStart = i === 0 || source[i - 1] === '\n';
    if (atLineStart && quoteStart !== -1 && ch !== '>') {
      // The quote ended on the previous line; drop the newline that separated it.
      entities.push({ type: 'blockquote', offset: quoteStart, length: st.text.length - 1 - quoteStart });
      quoteStart = -1;
    }
    if (ch === '\\') {
      const next = source[i + 1];
      if (next === undefined || next.charCodeAt(0) > 126) {
        throw parseError(`Character '\\' is reserved and must be escaped with the preceding '\\'`);
      }
      st.text += next;
      i += 2;
      continue;
    }
    if (ch === '>' && atLineStart) {
      if (quoteStart === -1) quoteStart = st.text.length;
      i += 1;
      continue;
    }
    if (ch === '*') {
      toggle('bold', '*');
      i += 1;
      continue;
    }
    if (ch === '_') {
      if (source[i + 1] === '_') {
        toggle('underline', '__');
        i += 2;
      } else {
        toggle('italic', '_');
        i += 1;
      }
      continue;
    }
    if (ch === '~') {
      toggle('strikethrough', '~');
      i += 1;
      continue;
    }
    if (ch === '|' && source[i + 1] === '|') {
      toggle('spoiler', '||');
      i += 2;
      continue;
    }
    if (ch === '[') {
      stack.push({ type: 'text_link', marker: '[', start: st.text.length, sourceIndex: i });
      i += 1;
      continue;
    }
    if (ch === ']') {
      i = closeLinkV2(st, i);
      continue;
    }
    if (ch === '`') {
      i = codeV2(st, i);
      continue;
    }
    if (reservedV2.has(ch)) {
      throw parseError(`Character '${ch}' is reserved and must be escaped with the preceding '\\'`);
    }
    st.text += ch;
    i += 1;
  }
  if (quoteStart !== -1)
    entities.push({ type: 'blockquote', offset: quoteStart, length: st.text.length - quoteStart });
  const unclosed = stack[0];
  if (unclosed) {
    throw parseError(
      `Can't find end of ${entityName[unclosed.type] ?? unclosed.type} entity at byte offset ${byteOffset(source, unclosed.sourceIndex)}`,
    );
  }
  return { text: st.text, entities: entities.filter((e) => e.length > 0) };
}

// ---------------------------------------------------------------- legacy Markdown

function parseMarkdownLegacy(source: string): FormattedText {
  let text = '';
  const entities: MessageEntity[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === '\\' && '_*`['.includes(source[i + 1] ?? '')) {
      text += source[i + 1];
      i += 2;
      continue;
    }
    const marker = source.startsWith('```', i) ? '```' : '*_`['.includes(ch) ? ch : undefined;
    if (!marker) {
      text += ch;
      i += 1;
      continue;
    }
    const closing = marker === '[' ? ']' : marker;
    const end = source.indexOf(closing, i + marker.length);
    if (end === -1) {
      throw parseError(`Can't find end of the entity starting at byte offset ${byteOffset(source, i)}`);
    }
    const body = source.slice(i + marker.length, end);
    const start = text.length;
    if (marker === '[') {
      const url = /^\(([^)]*)\)/.exec(source.slice(end + 1));
      text += body;
      if (url) {
        if (body) entities.push({ type: 'text_link', offset: start, length: body.length, url: url[1] });
        i = end + 1 + url[0].length;
      } else i = end + 1;
      continue;
    }
    text += body;
    const type = marker === '*' ? 'bold' : marker === '_' ? 'italic' : marker === '`' ? 'code' : 'pre';
    if (body) entities.push({ type, offset: start, length: body.length } as MessageEntity);
    i = end + marker.length;
  }
  return { text, entities };
}

// ---------------------------------------------------------------- entities Telegram finds by itself

/** The entities Telegram's servers add to text typed by a user: commands, mentions, hashtags, links. */
export function detectEntities(text: string): MessageEntity[] {
  const found: MessageEntity[] = [];
  const patterns: [RegExp, MessageEntity['type']][] = [
    [/(?<=^|[\s(])\/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z0-9_]{3,32})?(?![\w/])/g, 'bot_command'],
    [/(?<=^|[^\w@])@[a-zA-Z][a-zA-Z0-9_]{3,31}\b/g, 'mention'],
    [/(?<=^|[^\w#])#[\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*/gu, 'hashtag'],
    [/\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'"]/g, 'url'],
  ];
  for (const [re, type] of patterns) {
    for (const m of text.matchAll(re)) {
      found.push({ type, offset: m.index ?? 0, length: m[0].length } as MessageEntity);
    }
  }
  return found.sort((a, b) => a.offset - b.offset);
}
