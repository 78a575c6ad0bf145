// `npm start` as a newcomer sees it: everything before the URL table is one short line per event, prefixed
// by its service, with no JSON and none of onnxruntime's native error lines (its CUDA probe runs in a child).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

let child: ChildProcess | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'cocoon-start-'));

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start console', () => {
  it('prints no JSON and no native error lines before the URL table', async () => {
    const [port, clientPort, emulatorPort] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      CLIENT_PORT: String(clientPort),
      EMULATOR_PORT: String(emulatorPort),
      DATA_DIR: dataDir,
      NO_COLOR: '1',
    };
    for (const k of ['BOT_TOKEN', 'LOG_FORMAT', 'LOG_LEVEL', 'MODEL_CATALOGUE', 'FORCE_COLOR']) delete env[k];
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const ready = await new Promise<boolean>((resolve) => {
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('Cocoon is running.')) resolve(true);
      };
      child?.stdout?.on('data', onData);
      child?.stderr?.on('data', onData);
      child?.once('exit', () => resolve(false));
    });
    expect(ready, out).toBe(true);
    const before = out
      .slice(0, out.indexOf('Cocoon is running.'))
      .split('\n')
      .filter((l) => l.trim());
    // Each line: a service, the local time, the event.
    for (const line of before) {
      expect(line, out).toMatch(/^(cocoon|proxy|worker|gateway|bot) +\d\d:\d\d:\d\d \S/);
      expect(line, out).not.toMatch(/\{"level"|^\S+ +\{/);
      expect(line, out).not.toMatch(/onnxruntime|Failed to load|\[E:|provider_bridge|ONNXRuntimeError/i);
    }
    const text = before.join('\n');
    expect(text).toMatch(/^proxy +\S+ started on http/m);
    expect(text).toMatch(/^worker +\S+ no CUDA here; running on CPU$|^worker +\S+ CUDA found/m);
    expect(text).toMatch(/^proxy +\S+ rig online/m);
    // Request logs are debug: the launcher's polling of /v1/rigs leaves no trace.
    expect(text).not.toMatch(/\/v1\/rigs|request completed|incoming request/);
  }, 300_000);
});
