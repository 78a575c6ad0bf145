// Summarizes every determinism fixture on CPU with a given onnxruntime thread count and prints the
// selections as one JSON line. summarize-determinism.test.ts runs it once per thread count, each in
// its own process (onnxruntime keeps thread pools per process):
//   node --import tsx worker/src/models/summarizer/determinism-probe.ts <threads>
import { silentEngineLogger } from '../../engine/logger';
import { DETERMINISM_FIXTURES, type SelectionDigest } from './determinism-fixtures';
import { createSummarizer } from './summarize';

async function main(): Promise<void> {
  const threads = Number(process.argv[2]);
  const summarizer = await createSummarizer({ device: 'cpu', threads, logger: silentEngineLogger });
  const out: Record<string, SelectionDigest> = {};
  try {
    for (const [name, { messages, options }] of Object.entries(DETERMINISM_FIXTURES)) {
      const r = await summarizer.summarize(messages, options);
      out[name] = {
        picks: r.sentences.map((s) => ({ sentenceIndex: s.sentenceIndex, text: s.text })),
        text: r.text,
      };
    }
  } finally {
    await summarizer.release();
  }
  process.stdout.write(`${JSON.stringify({ threads, provider: summarizer.provider, selections: out })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
