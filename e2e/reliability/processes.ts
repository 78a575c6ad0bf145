// Spawns worker-process.ts as real OS processes for the kill -9 tests. The file is bundled once with
// esbuild (a tsx dependency) so each start costs ~0.15 s of CPU instead of ~0.75 s under `--import tsx`;
// if esbuild can't be loaded it falls back to `node --import tsx`.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { createInterface } from 'node:readline';
import type { ChaosWorkerEvent } from './chaos-worker';

const SOURCE = join(import.meta.dirname, 'worker-process.ts');

type EsbuildPlugin = import('esbuild').Plugin;

/**
 * The rig takes its test model from @cocoon/proxy/testing, whose entry also re-exports the proxy harness
 * (the whole proxy behind it). Marking the proxy package's modules free of side effects lets esbuild drop
 * everything the rig doesn't use, so the bundle is the rig alone and each process still starts in ~0.15 s.
 */
const proxyModulesArePure: EsbuildPlugin = {
  name: 'proxy-modules-are-pure',
  setup(build) {
    let proxySrc = '';
    build.onStart(async () => {
      const entry = await build.resolve('@cocoon/proxy', {
        kind: 'import-statement',
        resolveDir: import.meta.dirname,
      });
      if (entry.path) proxySrc = dirname(entry.path) + sep;
    });
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'resolved' || !proxySrc) return undefined;
      if (!args.path.startsWith('@cocoon/proxy') && !args.importer.startsWith(proxySrc)) return undefined;
      const r = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'resolved',
      });
      if (r.errors.length) return { errors: r.errors };
      return {
        path: r.path,
        external: r.external,
        namespace: r.namespace,
        sideEffects: !r.path.startsWith(proxySrc) && r.sideEffects,
      };
    });
  },
};

export interface WorkerLauncher {
  spawn(env: Record<string, string>): WorkerProcess;
  /** SIGKILLs every process this launcher started that is still alive. */
  killAll(): void;
  dispose(): void;
}

export interface WorkerProcess {
  pid: number;
  proc: ChildProcess;
  /** Resolves with the rig id at the welcome; rejects if the process exits first. */
  welcome: Promise<string>;
  assigned: string[];
  done: string[];
  /** Resolves at the next assignment (or when the process exits). */
  nextAssign(): Promise<string | null>;
  exited: Promise<number | null>;
  kill9(): void;
  /** Tells a CHAOS_STANDBY=1 process to connect now. */
  go(): void;
}

export async function workerLauncher(): Promise<WorkerLauncher> {
  const dir = mkdtempSync(join(tmpdir(), 'cocoon-chaos-'));
  let cmd: string[];
  try {
    const esbuild = await import('esbuild');
    const outfile = join(dir, 'worker.mjs');
    await esbuild.build({
      entryPoints: [SOURCE],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'silent',
      external: ['bufferutil', 'utf-8-validate'],
      plugins: [proxyModulesArePure],
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    cmd = [outfile];
  } catch {
    cmd = ['--import', 'tsx', SOURCE];
  }
  const live = new Set<ChildProcess>();
  const killAll = () => {
    for (const p of live) if (p.exitCode === null && p.signalCode === null) process.kill(p.pid!, 'SIGKILL');
    live.clear();
  };
  return {
    spawn(env) {
      const proc = spawn(process.execPath, cmd, {
        env: { ...process.env, ...env },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      live.add(proc);
      const assigned: string[] = [];
      const done: string[] = [];
      let assignWaiters: Array<(id: string | null) => void> = [];
      const exited = new Promise<number | null>((res) =>
        proc.on('exit', (code) => {
          live.delete(proc);
          for (const w of assignWaiters) w(null);
          assignWaiters = [];
          res(code);
        }),
      );
      const welcome = new Promise<string>((res, rej) => {
        void exited.then((code) => rej(new Error(`worker process exited (${code}) before its welcome`)));
        createInterface({ input: proc.stdout! }).on('line', (line) => {
          let e: ChaosWorkerEvent;
          try {
            e = JSON.parse(line) as ChaosWorkerEvent;
          } catch {
            return;
          }
          if (e.event === 'welcome') res(e.rigId);
          if (e.event === 'done') done.push(e.jobId);
          if (e.event === 'assign') {
            assigned.push(e.jobId);
            for (const w of assignWaiters) w(e.jobId);
            assignWaiters = [];
          }
        });
      });
      welcome.catch(() => {});
      proc.stdin!.on('error', () => {});
      return {
        pid: proc.pid!,
        proc,
        welcome,
        assigned,
        done,
        exited,
        nextAssign: () =>
          proc.exitCode !== null || proc.signalCode !== null
            ? Promise.resolve(null)
            : new Promise((res) => assignWaiters.push(res)),
        go: () => {
          proc.stdin!.write('go\n');
        },
        kill9: () => {
          if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, 'SIGKILL');
        },
      };
    },
    killAll,
    dispose() {
      killAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
