import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { detectDevice } from './detect-device';
import { resolveLmDevice } from './lm-device';
import type { EngineLogger } from './logger';
import { GraphBuilder } from './onnx-builder';
import {
  CudaUnavailableError,
  createOrtSession,
  defaultSessionFactory,
  type SessionFactory,
} from './ort-session';

function identityModel(): Uint8Array {
  const g = new GraphBuilder('identity');
  g.input('x', 'float', [2]);
  g.op('Identity', ['x'], {}, 'y');
  g.output('y', 'float', [2]);
  return g.toBytes();
}

function recordingLogger() {
  const events: { level: 'info' | 'warn'; obj: Record<string, unknown>; msg: string }[] = [];
  const logger: EngineLogger = {
    info: (obj, msg) => events.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => events.push({ level: 'warn', obj, msg }),
  };
  return { logger, events };
}

/** A factory whose CUDA provider "fails to load", like onnxruntime-node without CUDA libraries. */
function cudaBrokenFactory(calls: string[][]): SessionFactory {
  return async (model, options) => {
    const providers = (options.executionProviders ?? []).map(String);
    calls.push(providers);
    if (providers.includes('cuda'))
      throw new Error('Failed to load shared library libonnxruntime_providers_cuda.so');
    return defaultSessionFactory(model, options);
  };
}

describe('createOrtSession', () => {
  it('auto: falls back to CPU when CUDA session creation throws, and reports it', async () => {
    const calls: string[][] = [];
    const { logger, events } = recordingLogger();
    const { session, provider } = await createOrtSession(identityModel(), {
      device: 'auto',
      factory: cudaBrokenFactory(calls),
      logger,
    });
    expect(provider).toBe('cpu');
    expect(calls).toEqual([['cuda'], ['cpu']]);
    expect(events.some((e) => e.level === 'warn' && e.obj.provider === 'cpu')).toBe(true);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2]), [2]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([1, 2]);
  });

  it('auto: uses CUDA when the provider loads', async () => {
    const calls: string[][] = [];
    const factory: SessionFactory = async (model, options) => {
      calls.push((options.executionProviders ?? []).map(String));
      return defaultSessionFactory(model, { ...options, executionProviders: ['cpu'] });
    };
    const { provider } = await createOrtSession(identityModel(), {
      device: 'auto',
      factory,
      logger: recordingLogger().logger,
    });
    expect(provider).toBe('cuda');
    expect(calls).toEqual([['cuda']]);
  });

  it('cuda: fails with a clear error instead of silently using the CPU', async () => {
    const calls: string[][] = [];
    await expect(
      createOrtSession(identityModel(), {
        device: 'cuda',
        factory: cudaBrokenFactory(calls),
        logger: recordingLogger().logger,
      }),
    ).rejects.toBeInstanceOf(CudaUnavailableError);
    expect(calls).toEqual([['cuda']]);
  });

  it('cpu: never asks for CUDA', async () => {
    const calls: string[][] = [];
    const { provider } = await createOrtSession(identityModel(), {
      device: 'cpu',
      factory: cudaBrokenFactory(calls),
      logger: recordingLogger().logger,
    });
    expect(provider).toBe('cpu');
    expect(calls).toEqual([['cpu']]);
  });

  it('rejects an unknown device name', async () => {
    await expect(createOrtSession(identityModel(), { device: 'tpu' as never })).rejects.toThrow();
  });
});

describe('detectDevice', () => {
  it('reports CPU with the reason when CUDA cannot load', async () => {
    const result = await detectDevice('auto', { factory: cudaBrokenFactory([]), cache: false });
    expect(result.provider).toBe('cpu');
    expect(result.reason).toMatch(/Failed to load/);
  });

  it('reports CUDA when it loads, and CPU when CPU is asked for', async () => {
    const ok: SessionFactory = (model, options) =>
      defaultSessionFactory(model, { ...options, executionProviders: ['cpu'] });
    expect((await detectDevice('auto', { factory: ok, cache: false })).provider).toBe('cuda');
    expect((await detectDevice('cpu', { factory: ok, cache: false })).provider).toBe('cpu');
  });
});

describe('detectDevice with cuda requested', () => {
  it('says the request cannot be met when CUDA cannot load', async () => {
    const result = await detectDevice('cuda', { factory: cudaBrokenFactory([]), cache: false });
    expect(result.provider).toBeNull();
    expect(result.reason).toMatch(/CUDA execution provider could not be loaded/);
  });
});

describe('resolveLmDevice (transformers.js device policy)', () => {
  const quiet = recordingLogger().logger;
  it('auto: CUDA load throws → loads on CPU', async () => {
    const tried: string[] = [];
    const { value, provider } = await resolveLmDevice(
      'auto',
      async (p) => {
        tried.push(p);
        if (p === 'cuda') throw new Error('no cuda');
        return 'model';
      },
      { logger: quiet, detect: async (c) => ({ requested: c, provider: 'cuda' }) },
    );
    expect({ value, provider, tried }).toEqual({ value: 'model', provider: 'cpu', tried: ['cuda', 'cpu'] });
  });

  it('auto: skips CUDA when the probe says it cannot load', async () => {
    const tried: string[] = [];
    const { provider } = await resolveLmDevice('auto', async (p) => tried.push(p), {
      logger: quiet,
      detect: async (c) => ({ requested: c, provider: 'cpu', reason: 'missing' }),
    });
    expect({ provider, tried }).toEqual({ provider: 'cpu', tried: ['cpu'] });
  });

  it('cuda: a failing CUDA load is an error', async () => {
    await expect(
      resolveLmDevice(
        'cuda',
        async () => {
          throw new Error('no cuda');
        },
        { logger: quiet, detect: async (c) => ({ requested: c, provider: null }) },
      ),
    ).rejects.toBeInstanceOf(CudaUnavailableError);
  });
});
