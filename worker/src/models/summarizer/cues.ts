// What a reader wants from a chat, spotted by cue words: decisions, commitments, open questions, times,
// dates, places, amounts and links, in English and Russian. Each cue is a whole number of points, so the
// features that decide a summary are integers, the same on every rig (rank-select.ts explains why floats
// never decide). Regexes only: no model, no locale data, bounded work per message.

/** Cue kinds a unit can carry; `restate` is a message that sums up a plan ("so: 14th, 7am, station"). */
export type CueKind =
  | 'decision'
  | 'commitment'
  | 'question'
  | 'time'
  | 'date'
  | 'place'
  | 'amount'
  | 'link'
  | 'restate'
  | 'chatter';

// \b does not work for Cyrillic in JS regexes, so word edges are spelled out: start or a non-letter.
const L = '(?<![\\p{L}\\p{N}])';
const R = '(?![\\p{L}\\p{N}])';
const words = (list: string) => new RegExp(`${L}(?:${list})${R}`, 'iu');

const DECISION = words(
  [
    "let'?s",
    'let us',
    "we'?ll",
    'we will',
    "we'?re going to",
    'we are going to',
    'agreed',
    'agree',
    'decided',
    'decision',
    'final(?:ly)?',
    'confirmed?',
    'approved?',
    'settled',
    'go(?:ing)? with',
    'plan is',
    'the plan',
    'deal',
    'booked',
    'book(?:ing)?',
    'moved? to',
    'postpone[ds]?',
    'cancel(?:led|ed)?',
    'rollback',
    'rolled back',
    'roll(?:ing)? back',
    'postmortem',
    'action items?',
    'root cause',
    'fixed',
    'workaround',
    'resolved',
    'давай(?:те)?',
    'реши(?:ли|м|ла|л)',
    'решено',
    'решение',
    'договорились',
    'договоримся',
    'согласовали',
    'утвердили',
    'подтвержда\\p{L}*',
    'план',
    'берём',
    'берем',
    'идём',
    'идем',
    'едем',
    'встречаемся',
    'перенес\\p{L}*',
    'перенос\\p{L}*',
    'отмен\\p{L}*',
    'откат\\p{L}*',
    'откатили',
    'причина',
    'починили',
    'исправили',
    'забронировал\\p{L}*',
    'бронь',
  ].join('|'),
);

const COMMITMENT = words(
  [
    "i'?ll",
    'i will',
    "i'?m going to",
    'i am going to',
    'i can',
    'i take',
    "i'?ll take",
    'on it',
    'can you',
    'could you',
    'will you',
    'please',
    'by (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|eod|end of day|noon)',
    'owner',
    'assigned?',
    'todo',
    'deadline',
    'due',
    'я (?:сделаю|возьму|займусь|напишу|закажу|куплю|проверю|позвоню|подготовлю|отправлю|принесу|забронирую)',
    'сделаю',
    'возьму',
    'займусь',
    'беру на себя',
    'можешь',
    'сможешь',
    'можете',
    'сможете',
    'пожалуйста',
    'дедлайн',
    'срок',
    'к (?:понедельнику|вторнику|среде|четвергу|пятнице|субботе|воскресенью|вечеру|утру|обеду)',
  ].join('|'),
);

const RESTATE = new RegExp(
  `(?:^|[\\s(])(?:so|ok so|okay so|итак|итого|значит|в общем|короче|to recap|recap|summary|tl;?dr|plan)\\s*[:—-]|${L}(?:to recap|to sum up|final plan|so the plan|итак|итого|подытожим)${R}`,
  'iu',
);

const TIME = new RegExp(
  [
    `${L}\\d{1,2}[:.]\\d{2}${R}(?!\\s*(?:%|руб|\\$|€))`,
    `${L}\\d{1,2}\\s?(?:am|pm|a\\.m\\.|p\\.m\\.)`,
    words(
      "noon|midnight|morning|afternoon|evening|tonight|o'?clock|утром|утра|вечером|вечера|днём|днем|дня|ночью|полдень|полночь",
    ).source,
    `${L}в\\s\\d{1,2}(?:[:.]\\d{2})?${R}`,
    `${L}\\d{1,2}\\s?(?:h|hrs?|ч)${R}`,
  ].join('|'),
  'iu',
);

const DATE = new RegExp(
  [
    words(
      'monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun|today|tomorrow|tonight|yesterday|weekend|next week|this week|' +
        'january|february|march|april|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|' +
        'понедельник\\p{L}*|вторник\\p{L}*|сред[аеуы]|четверг\\p{L}*|пятниц\\p{L}*|суббот\\p{L}*|воскресень\\p{L}*|сегодня|завтра|послезавтра|выходны\\p{L}*|' +
        'январ\\p{L}*|феврал\\p{L}*|март\\p{L}*|апрел\\p{L}*|ма[йяе]|июн\\p{L}*|июл\\p{L}*|август\\p{L}*|сентябр\\p{L}*|октябр\\p{L}*|ноябр\\p{L}*|декабр\\p{L}*',
    ).source,
    `${L}\\d{1,2}(?:st|nd|rd|th)${R}`,
    `${L}\\d{1,2}-?(?:го|е|ое)${R}`,
    `${L}\\d{1,2}[./]\\d{1,2}(?:[./]\\d{2,4})?${R}`,
    `${L}\\d{4}-\\d{2}-\\d{2}${R}`,
  ].join('|'),
  'iu',
);

const PLACE = words(
  [
    'room',
    'office',
    'station',
    'airport',
    'terminal',
    'gate',
    'platform',
    'street',
    'st\\.',
    'avenue',
    'floor',
    'hall',
    'lobby',
    'entrance',
    'cafe',
    'café',
    'restaurant',
    'bar',
    'hotel',
    'cabin',
    'house',
    'park',
    'zoom',
    'google meet',
    'address',
    'комнат\\p{L}*',
    'переговорк\\p{L}*',
    'офис\\p{L}*',
    'вокзал\\p{L}*',
    'аэропорт\\p{L}*',
    'станци\\p{L}*',
    'метро',
    'улиц\\p{L}*',
    'ул\\.',
    'этаж\\p{L}*',
    'зал\\p{L}*',
    'вход\\p{L}*',
    'кафе',
    'ресторан\\p{L}*',
    'бар\\p{L}*',
    'отел\\p{L}*',
    'гостиниц\\p{L}*',
    'адрес\\p{L}*',
    'парк\\p{L}*',
  ].join('|'),
);

const AMOUNT = new RegExp(
  [
    '[$€£₽¥]\\s?\\d',
    `\\d[\\d\\s,.]*\\s?(?:k|m|%|usd|eur|rub|gbp|ton|dollars?|euros?|bucks|руб\\p{L}*|р\\.|тыс\\p{L}*|млн|евро|долл\\p{L}*|ms|gb|tb|mb|rps|qps)${R}`,
    `${L}\\d{3,}${R}`,
    `${L}\\d+[.,]\\d+${R}`,
  ].join('|'),
  'iu',
);

const LINK = /https?:\/\/|www\.|t\.me\//i;

const CHATTER = words(
  [
    'hi',
    'hey',
    'hello',
    'yo',
    'thanks?',
    'thank you',
    'thx',
    'ty',
    'lol',
    'lmao',
    'haha\\p{L}*',
    'hehe',
    'omg',
    'wow',
    'nice',
    'cool',
    'great',
    'good morning',
    'gm',
    'привет',
    'здравствуйте',
    'спасибо',
    'спс',
    'ахах\\p{L}*',
    'хаха\\p{L}*',
    'лол',
    'круто',
    'класс',
    'супер',
    'ого',
  ].join('|'),
);

/** A reply that only agrees or acknowledges: it adds weight to what it answers, not a line of its own. */
const ACK =
  /^(?:(?:yes|yep|yeah|yup|ok|okay|k|kk|sure|agreed|agree|deal|done|sounds good|works for me|same|fine|great|perfect|\+1|\+|да|ага|угу|ок|окей|хорошо|договорились|согласен|согласна|норм|го|ладно|принято|понял|поняла|отлично)[\s!.,)]*)+$|^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u200d|\ufe0f|[\s+!])+$/iu;

export function isAck(text: string): boolean {
  const t = text.trim().replace(/[\u2018\u2019]/g, "'");
  return t.length > 0 && t.length <= 40 && ACK.test(t);
}

/** The cue kinds in a unit of text (bounded: callers pass at most a few hundred characters). */
export function cuesOf(raw: string): Set<CueKind> {
  // Phones type curly apostrophes ("I’ll"); the cue lists spell the straight one.
  const text = raw.replace(/[\u2018\u2019\u02bc]/g, "'");
  const out = new Set<CueKind>();
  if (DECISION.test(text)) out.add('decision');
  if (COMMITMENT.test(text)) out.add('commitment');
  if (/[?？]\s*$/.test(text)) out.add('question');
  if (TIME.test(text)) out.add('time');
  if (DATE.test(text)) out.add('date');
  if (PLACE.test(text)) out.add('place');
  if (AMOUNT.test(text)) out.add('amount');
  if (LINK.test(text)) out.add('link');
  if (RESTATE.test(text)) out.add('restate');
  if (CHATTER.test(text)) out.add('chatter');
  return out;
}

/** Facts a unit names (times, dates, places, amounts, links): several at once mark a plan. */
export function factCount(cues: ReadonlySet<CueKind>): number {
  let n = 0;
  for (const k of ['time', 'date', 'place', 'amount', 'link'] as const) if (cues.has(k)) n++;
  return n;
}
