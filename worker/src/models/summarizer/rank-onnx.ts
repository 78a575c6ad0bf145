// Runs the ranking graph through the engine (CUDA when asked and available, else CPU).
import * as ort from 'onnxruntime-node';
import type { EngineLogger } from '../../engine/logger';
import {
  createOrtSession,
  type DeviceChoice,
  type Provider,
  type SessionFactory,
} from '../../engine/ort-session';
import { RANK_INPUTS, RANK_OUTPUTS, rankGraphBytes } from './rank-graph';
import type { RankInput } from './rank-math';

export interface OnnxRanker {
  provider: Provider;
  /** Scores per sentence (sum ≈ 1); `withSimilarity` also returns the n×n matrix. */
  rank(
    input: RankInput,
    withSimilarity?: boolean,
  ): Promise<{ scores: Float32Array; similarity?: Float32Array }>;
  release(): Promise<void>;
}

export interface OnnxRankerOptions {
  device: DeviceChoice;
  /** onnxruntime intra-op threads (CPU kernels); inter-op threads are then 1. Default: onnxruntime's. */
  threads?: number;
  factory?: SessionFactory;
  logger?: EngineLogger;
}

/**
 * Session options for the ranking graph. Graph optimisation stops at 'basic' (constant folding,
 * no fusions): the extended fusions are chosen per execution provider and change the arithmetic
 * (MatMul·scale → FusedMatMul takes the damping as a float32 attribute, 1.5e-7 off), so CPU and
 * CUDA would not run the same model. Threads: onnxruntime's default unless given.
 */
export function rankSessionOptions(threads: number | undefined): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'basic' };
  if (threads === undefined) return options;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`threads must be a positive integer, got ${threads}`);
  }
  return { ...options, intraOpNumThreads: threads, interOpNumThreads: 1 };
}

export async function createOnnxRanker(opts: OnnxRankerOptions): Promise<OnnxRanker> {
  const { session, provider } = await createOrtSession(rankGraphBytes(), {
    device: opts.device,
    factory: opts.factory,
    logger: opts.logger,
    sessionOptions: rankSessionOptions(opts.threads),
    label: 'summarize-extractive',
  });
  return {
    provider,
    async rank(input, withSimilarity = false) {
      const { n, v } = input;
      if (n === 0) return { scores: new Float32Array(0), similarity: new Float32Array(0) };
      const feeds = {
        [RANK_INPUTS.tfidf]: new ort.Tensor('float32', input.tfidf, [n, v]),
        [RANK_INPUTS.residualSq]: new ort.Tensor('float32', input.residualSq, [n]),
        [RANK_INPUTS.prior]: new ort.Tensor('float32', input.prior, [n]),
      };
      const fetches = withSimilarity ? [RANK_OUTPUTS.scores, RANK_OUTPUTS.similarity] : [RANK_OUTPUTS.scores];
      const out = await session.run(feeds, fetches);
      return {
        scores: out[RANK_OUTPUTS.scores].data as Float32Array,
        similarity: withSimilarity ? (out[RANK_OUTPUTS.similarity].data as Float32Array) : undefined,
      };
    },
    release: () => session.release(),
  };
}
