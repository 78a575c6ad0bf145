// One place that decides which onnxruntime execution provider a session runs on.
// onnxruntime-node throws when the CUDA provider can't load (it never falls back by itself),
// so `auto` asks for CUDA first and retries on CPU, reporting what it actually got.
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { defaultEngineLogger, type EngineLogger, logDetail } from './logger';

export const deviceChoiceSchema = z.enum(['auto', 'cuda', 'cpu']);
export type DeviceChoice = z.infer<typeof deviceChoiceSchema>;
export type Provider = 'cuda' | 'cpu';

export type SessionFactory = (
  model: Uint8Array | string,
  options: ort.InferenceSession.SessionOptions,
) => Promise<ort.InferenceSession>;

export const defaultSessionFactory: SessionFactory = (model, options) =>
  typeof model === 'string'
    ? ort.InferenceSession.create(model, options)
    : ort.InferenceSession.create(model, options);

export interface CreateSessionOptions {
  device: DeviceChoice;
  /** Injected in tests to prove the fallback path; defaults to onnxruntime-node. */
  factory?: SessionFactory;
  logger?: EngineLogger;
  /** Extra session options (graph optimisation level, threads); providers are set here. */
  sessionOptions?: Omit<ort.InferenceSession.SessionOptions, 'executionProviders'>;
  /** Shown in logs so a rig owner can tell sessions apart; never message text. */
  label?: string;
}

export interface OrtSessionHandle {
  session: ort.InferenceSession;
  provider: Provider;
}

export class CudaUnavailableError extends Error {
  constructor(cause: unknown) {
    super(
      `CUDA execution provider could not be loaded (${errorMessage(cause)}). ` +
        'Install onnxruntime-node with its CUDA libraries (npm ci without ONNXRUNTIME_NODE_INSTALL=skip, ' +
        'CUDA 12 + cuDNN 9 on the library path), or start the worker with --device auto or cpu.',
      { cause },
    );
    this.name = 'CudaUnavailableError';
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

let cudaLoadFailure: string | undefined;

/**
 * What the CUDA probe (detectDevice, in a child process) found: after a failed probe, sessions in this process
 * go straight to CPU (`auto`) or throw CudaUnavailableError (`cuda`) without trying CUDA here.
 */
export function noteCudaProbe(result: { ok: boolean; reason?: string }): void {
  if (!result.ok) cudaLoadFailure = result.reason ?? 'the CUDA probe failed';
}

export async function createOrtSession(
  model: Uint8Array | string,
  opts: CreateSessionOptions,
): Promise<OrtSessionHandle> {
  const device = deviceChoiceSchema.parse(opts.device);
  const factory = opts.factory ?? defaultSessionFactory;
  const logger = opts.logger ?? defaultEngineLogger;
  const base = opts.sessionOptions ?? {};
  const label = opts.label ?? 'model';

  if (device === 'cpu') {
    const session = await factory(model, { ...base, executionProviders: ['cpu'] });
    logDetail(logger, { model: label, provider: 'cpu', requested: device }, 'onnxruntime session ready');
    return { session, provider: 'cpu' };
  }

  // With the real onnxruntime, a CUDA provider that failed to load once will fail again: skip the
  // retry (and its native error output) for later `auto` sessions in this process.
  if (device === 'cuda' && !opts.factory && cudaLoadFailure !== undefined) {
    throw new CudaUnavailableError(new Error(cudaLoadFailure));
  }
  if (device === 'auto' && !opts.factory && cudaLoadFailure !== undefined) {
    const session = await factory(model, { ...base, executionProviders: ['cpu'] });
    logDetail(
      logger,
      { model: label, provider: 'cpu', requested: device, reason: cudaLoadFailure },
      'onnxruntime session ready',
    );
    return { session, provider: 'cpu' };
  }

  try {
    const session = await factory(model, { ...base, executionProviders: ['cuda'] });
    logDetail(logger, { model: label, provider: 'cuda', requested: device }, 'onnxruntime session ready');
    return { session, provider: 'cuda' };
  } catch (err) {
    if (!opts.factory) cudaLoadFailure = errorMessage(err);
    if (device === 'cuda') throw new CudaUnavailableError(err);
    logger.warn(
      { model: label, provider: 'cpu', requested: device, reason: errorMessage(err) },
      'CUDA execution provider unavailable, falling back to CPU',
    );
  }
  const session = await factory(model, { ...base, executionProviders: ['cpu'] });
  logDetail(logger, { model: label, provider: 'cpu', requested: device }, 'onnxruntime session ready');
  return { session, provider: 'cpu' };
}
