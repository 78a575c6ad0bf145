// What a device choice resolves to on this machine, found by opening a one-node session.
// The CPU/GPU answer is cached per process: probing CUDA makes onnxruntime print a native error
// line when the libraries are missing, once is enough.

import { silentEngineLogger } from './logger';
import { GraphBuilder } from './onnx-builder';
import { createOrtSession, type DeviceChoice, type Provider, type SessionFactory } from './ort-session';

export interface DeviceReport {
  requested: DeviceChoice;
  /** null: the request can't be met (cuda asked for, CUDA can't load). */
  provider: Provider | null;
  /** Why CUDA isn't used, when it isn't. */
  reason?: string;
}

let probeModel: Uint8Array | undefined;
function probe(): Uint8Array {
  if (!probeModel) {
    const g = new GraphBuilder('probe');
    g.input('x', 'float', [1]);
    g.op('Identity', ['x'], {}, 'y');
    g.output('y', 'float', [1]);
    probeModel = g.toBytes();
  }
  return probeModel;
}

let cachedCuda: Promise<{ ok: boolean; reason?: string }> | undefined;

async function cudaLoads(factory?: SessionFactory): Promise<{ ok: boolean; reason?: string }> {
  try {
    const { session } = await createOrtSession(probe(), {
      device: 'cuda',
      factory,
      logger: silentEngineLogger,
    });
    await session.release();
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

export async function detectDevice(
  requested: DeviceChoice = 'auto',
  opts: { factory?: SessionFactory; cache?: boolean } = {},
): Promise<DeviceReport> {
  if (requested === 'cpu') return { requested, provider: 'cpu', reason: 'CPU requested' };
  const useCache = opts.cache ?? !opts.factory;
  if (useCache && !cachedCuda) cachedCuda = cudaLoads();
  const result = useCache && cachedCuda ? await cachedCuda : await cudaLoads(opts.factory);
  if (result.ok) return { requested, provider: 'cuda' };
  return { requested, provider: requested === 'cuda' ? null : 'cpu', reason: result.reason };
}
