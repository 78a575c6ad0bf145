// One causal LM in its own process with a chosen onnxruntime thread count, for the reproducibility tests and
// the bench: `node --import tsx probe-process.ts < request.json` prints the generations and scores as JSON.
// onnxruntime keeps its thread pools per process, so "another rig" has to be another process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { silentEngineLogger } from '../../engine/logger';
import { type GenerateResult, loadCausalLM, type ScoreParams, type ScoreResult } from './runner';

const request = z.object({
  dir: z.string(),
  threads: z.number().int().positive().optional(),
  generate: z.array(z.record(z.string(), z.unknown())).default([]),
  score: z.array(z.record(z.string(), z.unknown())).default([]),
});
export type ProbeRequest = z.input<typeof request>;

export interface ProbeResponse {
  generated: GenerateResult[];
  scores: ScoreResult[];
  /** Wall time of all generations, and of all scoring passes, in ms. */
  generateMs: number;
  scoreMs: number;
}

const SELF = fileURLToPath(import.meta.url);

/** Runs a probe in a child process and returns its answer. */
export function runProbe(req: ProbeRequest): Promise<ProbeResponse> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SELF], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`probe exited ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(out) as ProbeResponse);
    });
    child.stdin.end(JSON.stringify(req));
  });
}

async function main(): Promise<void> {
  let raw = '';
  for await (const chunk of process.stdin) raw += chunk;
  const req = request.parse(JSON.parse(raw));
  const lm = await loadCausalLM(req.dir, { device: 'cpu', threads: req.threads, logger: silentEngineLogger });
  const generated: GenerateResult[] = [];
  let t = performance.now();
  for (const g of req.generate) generated.push(await lm.generate(g as Parameters<typeof lm.generate>[0]));
  const generateMs = performance.now() - t;
  const scores: ScoreResult[] = [];
  t = performance.now();
  for (const s of req.score) scores.push(await lm.score(s as ScoreParams));
  const scoreMs = performance.now() - t;
  await lm.dispose();
  process.stdout.write(JSON.stringify({ generated, scores, generateMs, scoreMs } satisfies ProbeResponse));
}

if (process.argv[1] === SELF) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
