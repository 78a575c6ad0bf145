// What a device choice resolves to on this machine, found by opening a one-node session.
// Without an injected factory the probe runs in a child process: when the CUDA libraries are missing,
// onnxruntime prints its own native error lines to stderr ("Failed to load library ..."), and those stay in
// the child's captured stderr instead of the rig owner's console. The answer is cached per process and told
// to createOrtSession, so later sessions skip a CUDA attempt that can only fail (and print the same lines).

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { stripVTControlCharacters } from 'node:util';
import { silentEngineLogger } from './logger';
import { GraphBuilder } from './onnx-builder';
import {
  createOrtSession,
  type DeviceChoice,
  noteCudaProbe,
  type Provider,
  type SessionFactory,
} from './ort-session';

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

/** The child: opens the probe model (bytes on stdin) with the CUDA provider and answers JSON on stdout. */
const CHILD_SCRIPT = `
const ort = require(process.argv[1]);
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', async () => {
  let answer;
  try {
    const s = await ort.InferenceSession.create(new Uint8Array(Buffer.concat(chunks)), { executionProviders: ['cuda'] });
    await s.release();
    answer = { ok: true };
  } catch (err) {
    answer = { ok: false, reason: String(err && err.message ? err.message : err).split('\\n')[0] };
  }
  process.stdout.write(JSON.stringify(answer), () => process.exit(0));
});
`;

/** The native line that says why (onnxruntime's own "Failed to load library ..."), without colours. */
function nativeReason(stderr: string): string | undefined {
  const line = stripVTControlCharacters(stderr)
    .split('\n')
    .find((l) => /Failed to load|cannot open shared object|CUDA/i.test(l));
  const m = line && /(Failed to load library.*|[^:]*cannot open shared object.*)$/.exec(line);
  // Library paths as their file names: the reason fits on one line.
  return (m?.[1] ?? line)
    ?.replace(/\/\S*\/([^/\s:]+)/g, '$1')
    .trim()
    .slice(0, 300);
}

/** Probes CUDA in a child process so onnxruntime's native error output never reaches this one's stderr. */
export function probeCudaInChild(timeoutMs = 60_000): Promise<{ ok: boolean; reason?: string }> {
  return new Promise((resolve) => {
    let ortPath: string;
    try {
      ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    } catch (err) {
      resolve({ ok: false, reason: `onnxruntime-node not found: ${(err as Error).message}` });
      return;
    }
    const child = spawn(process.execPath, ['-e', CHILD_SCRIPT, ortPath], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      if (err.length < 64 * 1024) err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `the CUDA probe could not start: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        const answer = JSON.parse(out) as { ok: boolean; reason?: string };
        if (answer.ok) resolve({ ok: true });
        else {
          const native = nativeReason(err);
          resolve({ ok: false, reason: native ? `${answer.reason}: ${native}` : answer.reason });
        }
      } catch {
        resolve({
          ok: false,
          reason: `the CUDA probe ended without an answer (${signal ?? `exit ${code}`})${nativeReason(err) ? `: ${nativeReason(err)}` : ''}`,
        });
      }
    });
    child.stdin.end(Buffer.from(probe()));
  });
}

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
  if (useCache && !cachedCuda) {
    cachedCuda = probeCudaInChild().then((r) => {
      noteCudaProbe(r);
      return r;
    });
  }
  const result = useCache && cachedCuda ? await cachedCuda : await cudaLoads(opts.factory);
  if (result.ok) return { requested, provider: 'cuda' };
  return { requested, provider: requested === 'cuda' ? null : 'cpu', reason: result.reason };
}
