// Checkable results (issue: pinned models, commitments, reproducible decoding): what it costs another rig to
// check an output, how closely honest rigs agree, and what pinning a model costs at start.
//   npx tsx bench/src/checkable.ts
// - scoring vs generation: the same seeded outputs, generated and then scored (one forward pass each), per
//   model; the baseline is generating them.
// - honest-vs-honest agreement: many seeded jobs generated in one process with 1 onnxruntime thread, scored by
//   processes with 2 and 4 threads ("other rigs"); min, p1 and median agreement, and how many ends agree. The
//   best score of a dishonest claim (another seed's output for the same prompt) is shown next to it.
// - digests: the bundled models hashed cold (no cache) and with the size+mtime cache; baseline: reading the
//   same files without hashing.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ensureDemoModel,
  fileDigestCache,
  folderDigest,
  type ProbeResponse,
  runProbe,
  summarizerDigest,
} from '@cocoon/worker';
import type { BenchResult } from './result';

const PROMPTS = [
  'The jury said',
  'In the morning the city council',
  'He looked at the house and',
  'The president of the United States',
  'She said that the new school',
  'After the war',
  'The church was',
  'It is not easy to',
  'The first thing',
  'When the boys came home',
];
const JOBS_PER_PROMPT = 6;
const MAX_TOKENS = 64;

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function jobs() {
  const out = [];
  let seed = 1;
  for (const prompt of PROMPTS) {
    for (let i = 0; i < JOBS_PER_PROMPT; i++) {
      // A spread of sampling settings, including greedy and top_p = 1.
      const temperature = [0.7, 1, 0.8, 0, 1.2, 0.9][i];
      const topP = [0.9, 1, 0.95, 1, 0.9, 0.8][i];
      out.push({ prompt, maxTokens: MAX_TOKENS, temperature, topP, seed: seed++ });
    }
  }
  return out;
}

function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

async function benchDigests(demoDir: string): Promise<BenchResult[]> {
  const files = filesOf(demoDir);
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const t0 = performance.now();
  for (const f of files) readFileSync(f);
  const readMs = performance.now() - t0;

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoon-digest-bench-'));
  try {
    const cache = fileDigestCache(path.join(tmp, 'cache.json'));
    let t = performance.now();
    const cold = folderDigest(demoDir, cache);
    const coldMs = performance.now() - t;
    t = performance.now();
    const warm = folderDigest(demoDir, cache);
    const cachedMs = performance.now() - t;
    if (cold !== warm) throw new Error('the cached digest differs from the cold one');
    t = performance.now();
    summarizerDigest();
    const summarizerMs = performance.now() - t;
    const mb = round(bytes / 2 ** 20, 1);
    return [
      {
        name: 'digest demo-gen cold',
        value: round(coldMs, 1),
        unit: 'ms',
        baseline: round(readMs, 1),
        ratio: round(coldMs / readMs, 2),
        note: `${files.length} files, ${mb} MiB; baseline: reading them without hashing`,
      },
      {
        name: 'digest demo-gen cached',
        value: round(cachedMs, 2),
        unit: 'ms',
        baseline: round(coldMs, 1),
        ratio: round(cachedMs / coldMs, 4),
        note: 'size+mtime cache hit; baseline: the cold digest',
      },
      {
        name: 'digest summarize-extractive',
        value: round(summarizerMs, 2),
        unit: 'ms',
        note: 'graph bytes built in memory + pinned library versions (no cache needed)',
      },
    ];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export async function benchCheckable(): Promise<BenchResult[]> {
  const demoDir = await ensureDemoModel();
  const rows = await benchDigests(demoDir);

  const js = jobs();
  const honest = await runProbe({ dir: demoDir, threads: 1, generate: js });
  const claims = js.map((j, i) => ({
    ...j,
    completion: honest.generated[i].text,
    finishReason: honest.generated[i].finishReason,
  }));
  // A dishonest claim: another job's output for the same prompt (same model, other seed or settings).
  const swapped = js.map((j, i) => {
    const other = i % JOBS_PER_PROMPT === 0 ? i + 1 : i - 1;
    return { ...claims[other], ...j, completion: honest.generated[other].text };
  });
  const checks: ProbeResponse[] = [];
  for (const threads of [2, 4]) {
    checks.push(await runProbe({ dir: demoDir, threads, generate: js, score: [...claims, ...swapped] }));
  }

  const honestScores = checks.flatMap((c) => c.scores.slice(0, js.length));
  const agreements = honestScores.map((s) => s.agreement).sort((a, b) => a - b);
  const endsAgree = honestScores.filter((s) => s.endAgrees).length;
  const sameTokens = checks.every((c) => c.generated.every((g, i) => g.text === honest.generated[i].text));
  const dishonest = checks
    .flatMap((c) => c.scores.slice(js.length))
    .filter((_s, i) => swapped[i % js.length].completion !== claims[i % js.length].completion);
  const bestDishonest = Math.max(...dishonest.map((s) => s.agreement));
  const dishonestPass = dishonest.filter((s) => s.agreement >= 0.99 && s.endAgrees).length;

  const tokens = honest.generated.reduce((n, g) => n + g.completionTokens, 0);
  const generateMs = checks.reduce((n, c) => n + c.generateMs, 0) / checks.length;
  const scoreMs = checks.reduce((n, c) => n + c.scoreMs / 2, 0) / checks.length; // honest + swapped claims
  rows.push(
    {
      name: 'demo-gen scoring vs generation',
      value: round(scoreMs, 1),
      unit: 'ms',
      baseline: round(generateMs, 1),
      ratio: round(scoreMs / generateMs, 3),
      note: `${js.length} seeded outputs, ${tokens} tokens: one scoring pass each vs generating them (mean of 2 and 4 threads)`,
    },
    {
      name: 'honest-vs-honest agreement min',
      value: round(agreements[0], 4),
      unit: 'share',
      note: `${agreements.length} scores (${js.length} jobs × threads 2, 4, generated with 1 thread)`,
    },
    { name: 'honest-vs-honest agreement p1', value: round(quantile(agreements, 0.01), 4), unit: 'share' },
    {
      name: 'honest-vs-honest agreement median',
      value: round(quantile(agreements, 0.5), 4),
      unit: 'share',
      note: `ends agreeing: ${endsAgree}/${honestScores.length}; same tokens across thread counts: ${sameTokens}`,
    },
    {
      name: 'dishonest claim best agreement',
      value: round(bestDishonest, 4),
      unit: 'share',
      note: `another seed's output for the same prompt, ${dishonest.length} claims; passing (≥ 0.99 and end agrees): ${dishonestPass}`,
    },
  );
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchCheckable()) console.log(r);
}
