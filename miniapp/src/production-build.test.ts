// @vitest-environment node
// The production bundle must not contain the local-mode extras (mocked Telegram, sandbox wallet, /dev/*
// routes), and index.html's JS must stay within its size budget.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { measureDist } from '@cocoon/bench';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
let outDir = '';

describe('production build', () => {
  beforeAll(async () => {
    outDir = await mkdtemp(path.join(tmpdir(), 'cocoon-miniapp-'));
    const { build } = await import('vite');
    delete process.env.VITE_COCOON_LOCAL;
    // Vitest runs with NODE_ENV=test, which makes Vite build in development flavour (DEV=true, React dev).
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({
        configFile: path.join(ROOT, 'vite.config.ts'),
        mode: 'production',
        logLevel: 'silent',
        build: { outDir, emptyOutDir: true },
      });
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
  }, 180_000);
  afterAll(() => (outDir ? rm(outDir, { recursive: true, force: true }) : undefined));

  it('contains no mock Telegram environment, sandbox wallet or dev routes', async () => {
    const files = await readdir(path.join(outDir, 'assets'));
    const js = files.filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(3);
    for (const f of js) {
      const text = await readFile(path.join(outDir, 'assets', f), 'utf8');
      for (const needle of [
        '/dev/init-data',
        '/dev/sandbox-wallet',
        'cocoonSandboxWallet',
        'mockTelegramEnv',
      ]) {
        expect(text.includes(needle), `${needle} in ${f}`).toBe(false);
      }
    }
  });

  it('keeps the JS index.html loads within 110 KiB gzipped, with pages split out', async () => {
    const [initial, largest] = await measureDist(outDir);
    expect(initial.value).toBeLessThanOrEqual(110 * 1024);
    expect(largest.value).toBeGreaterThan(0);
  });
});
