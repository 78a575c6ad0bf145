// The summarizing methods the summaries bench compares (recall.ts on the committed evaluation set,
// samsum.ts on SAMSum): the served chat summarizer, the old sentence summarizer, the `lexrank` npm package
// and Lead-3, each asked the same way for every chat.
import { maxLinesFor, type Summarizer } from '@cocoon/worker';
import { lexrankTop } from './lexrank-thread';

/** What the bot asks for (SUMMARIZE_MAX_TOKENS' default). */
const JOB_MAX_TOKENS = 512;

export type Method = 'chat (new)' | 'sentences (old)' | 'lexrank' | 'lead-3';
export const METHODS: Method[] = ['chat (new)', 'sentences (old)', 'lexrank', 'lead-3'];

/** lexrank's lines in chat order; lexrank runs in its own thread (lexrank-thread.ts says why). */
async function lexrankSummary(text: string, lines: number): Promise<string> {
  const top = await lexrankTop(text, lines);
  return [...top]
    .sort((a, b) => a.index - b.index)
    .map((t) => t.text)
    .join('\n');
}

/** Every method's summary of one chat (`plainText`: the chat as lexrank reads it, one sentence a line). */
export async function methodSummaries(
  summarizer: Summarizer,
  chat: Array<{ author?: string; text: string; id?: number; replyTo?: number; date?: number }>,
  plainText: string,
): Promise<Record<Method, string>> {
  return {
    'chat (new)': (await summarizer.summarizeChat(chat, { maxTokens: JOB_MAX_TOKENS })).text,
    'sentences (old)': (
      await summarizer.summarize(
        chat.map(({ author, text }) => ({ author, text })),
        { maxTokens: JOB_MAX_TOKENS, maxSentences: 8 },
      )
    ).text,
    lexrank: await lexrankSummary(plainText, maxLinesFor(chat.length)),
    'lead-3': chat
      .slice(0, 3)
      .map((m) => (m.author ? `${m.author}: ${m.text}` : m.text))
      .join('\n'),
  };
}
