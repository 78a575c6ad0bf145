// Builds bench/data/summaries/transcripts.json from scenes.ts: each scene's lines spread through a chat of
// its length, the rest chatter (deterministic, seeded by the scene id), with message ids, reply ids and
// times. Every third transcript is held out of tuning.
//   npx tsx bench/src/summaries/build-eval-set.ts
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { SCENES, type Scene } from './scenes';

export interface EvalMessage {
  id: number;
  author: string;
  text: string;
  replyTo?: number;
  date: number;
}
export interface EvalTranscript {
  id: string;
  title: string;
  lang: Scene['lang'];
  split: 'tune' | 'heldout';
  messages: EvalMessage[];
  facts: string[][];
}

const CHATTER_EN = [
  'lol',
  'haha',
  'ok',
  'brb',
  'anyone seen my charger?',
  'my cat just knocked the plant over again',
  'coffee time',
  'did you watch the new episode last night',
  'no spoilers please!!',
  'good morning everyone',
  'so tired today',
  'this weather is wild',
  'lmao',
  'nice',
  '😂😂',
  '🙈',
  'true',
  'same here',
  'wait what',
  'hmm not sure',
  'I’m back',
  'who ate my yogurt from the fridge',
  'my internet keeps dropping',
  'that meme is gold',
  'happy friday folks',
  'can’t believe it’s almost the end of the year',
  'the new phone update moved all my icons',
  'anyone want to grab lunch later?',
  'I’m starving',
  'traffic was terrible this morning',
  'just saw the funniest dog outside',
  'thanks!',
  'cool cool',
  'yeah maybe',
  'I’ll think about it',
  'did anyone try the new cafe downstairs',
  'the playlist from yesterday was great',
  'sorry, was in a call',
  'ok cool',
  'gm',
];
const CHATTER_RU = [
  'лол',
  'ахах',
  'ок',
  'привет всем',
  'кто видел мою зарядку?',
  'кот опять уронил цветок',
  'пойду за кофе',
  'смотрели вчера новую серию?',
  'без спойлеров!!',
  'доброе утро',
  'устал сегодня',
  'погода огонь',
  'ну да',
  'хмм не уверен',
  'я вернулся',
  'кто съел мой йогурт',
  'интернет опять тупит',
  'мем топ',
  'пятница наконец',
  'пробки ужасные с утра',
  'спасибо!',
  'класс',
  'может быть',
  'подумаю',
  'сорри, был на созвоне',
  '😂',
  'ого',
  'согласен, странно',
];

function rng(seed: string): () => number {
  let h = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    // mulberry32
    h = (h + 0x6d2b79f5) | 0;
    let t = h;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function buildTranscript(scene: Scene, index: number): EvalTranscript {
  const rand = rng(scene.id);
  const parsed = scene.lines.map((l) => {
    const bar = l.indexOf('|');
    const head = l.slice(0, bar);
    const [author, reply] = head.split('>');
    return { author, text: l.slice(bar + 1), replyTo: reply === undefined ? undefined : Number(reply) };
  });
  const authors = [...new Set(parsed.map((p) => p.author))];
  const total = Math.max(scene.length, parsed.length);
  // Scene lines at sorted random slots; the first scene line starts a third of the way in at most.
  const slots = new Set<number>();
  while (slots.size < parsed.length) slots.add(Math.floor(rand() * total));
  const positions = [...slots].sort((a, b) => a - b);
  const pool =
    scene.lang === 'ru' ? CHATTER_RU : scene.lang === 'mixed' ? [...CHATTER_EN, ...CHATTER_RU] : CHATTER_EN;
  const messages: EvalMessage[] = [];
  const sceneIds: number[] = [];
  let date = 1_772_355_600; // 2026-03-01 09:00 UTC
  let id = 1000 + index * 1000;
  let k = 0;
  for (let i = 0; i < total; i++) {
    id += 1;
    date += 20 + Math.floor(rand() * 240);
    if (k < parsed.length && positions[k] === i) {
      const p = parsed[k];
      sceneIds.push(id);
      messages.push({
        id,
        author: p.author,
        text: p.text,
        ...(p.replyTo !== undefined ? { replyTo: sceneIds[p.replyTo - 1] } : {}),
        date,
      });
      k++;
    } else {
      messages.push({
        id,
        author: authors[Math.floor(rand() * authors.length)],
        text: pool[Math.floor(rand() * pool.length)],
        date,
      });
    }
  }
  return {
    id: scene.id,
    title: scene.title,
    lang: scene.lang,
    split: index % 3 === 2 ? 'heldout' : 'tune',
    messages,
    facts: scene.facts,
  };
}

if (process.argv[1]?.endsWith('build-eval-set.ts')) {
  const out = SCENES.map(buildTranscript);
  const file = new URL('../../data/summaries/transcripts.json', import.meta.url);
  mkdirSync(new URL('.', file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
  console.log(
    `wrote ${out.length} transcripts (${out.filter((t) => t.split === 'heldout').length} held out)`,
  );
}
