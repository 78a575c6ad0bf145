// @vitest-environment node
// The production bundle must not contain the local-mode extras (mocked Telegram, sandbox wallet, /dev/*
// routes), and index.html's JS must stay within its size budget. The TDX verifier (@phala/dcap-qvl and its
// ASN.1, elliptic-curve and Buffer code) is a lazy chunk of its own, and it verifies a real quote in Chromium.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DCAP_VERIFIER_MARKER, initialScripts, measureDist, verifierChunks } from '@cocoon/bench';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** A real TDX quote (upstream dcap-qvl's sample) and its collateral; UpToDate at 2025-07-01T00:00:00Z. */
const FIXTURES = path.resolve(import.meta.dirname, '../../shared/src/attestation/testing/samples');
const SAMPLE_NOW_SECS = Date.UTC(2025, 6, 1) / 1000;

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
        'emulator-payment-sheet',
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

  it('keeps the TDX verifier out of what index.html loads, in one lazy chunk', async () => {
    const html = await readFile(path.join(outDir, 'index.html'), 'utf8');
    // Everything the entry loads before any dynamic import: index.html's scripts and their static imports.
    const eager = new Set<string>();
    const queue = initialScripts(html).map((src) => path.basename(src));
    for (let name = queue.pop(); name; name = queue.pop()) {
      if (eager.has(name)) continue;
      eager.add(name);
      const text = await readFile(path.join(outDir, 'assets', name), 'utf8');
      for (const m of text.matchAll(/\bimport\s*(?:[\w$*{}\s,]+from\s*)?["']\.\/([^"']+\.js)["']/g))
        queue.push(m[1]);
    }
    const verifier = await verifierChunks(outDir);
    expect(verifier.map((c) => c.name)).toHaveLength(1);
    expect(eager.has(verifier[0].name), `${verifier[0].name} is loaded up front`).toBe(false);
    for (const name of eager) {
      const text = await readFile(path.join(outDir, 'assets', name), 'utf8');
      expect(text.includes(DCAP_VERIFIER_MARKER), `dcap-qvl in ${name}`).toBe(false);
    }
  });

  it.skipIf(!existsSync(CHROMIUM))(
    'verifies a real TDX quote with the built verifier chunk in Chromium',
    async () => {
      const [verifier] = await verifierChunks(outDir);
      const server = http
        .createServer(async (req, res) => {
          const url = (req.url ?? '/').split('?')[0];
          if (url === '/') {
            res.setHeader('content-type', 'text/html');
            res.end('<!doctype html><title>verifier</title>');
            return;
          }
          try {
            const body = await readFile(path.join(outDir, path.normalize(url).replace(/^(\.\.[/\\])+/, '')));
            res.setHeader(
              'content-type',
              url.endsWith('.js') ? 'text/javascript' : 'application/octet-stream',
            );
            res.end(body);
          } catch {
            res.statusCode = 404;
            res.end();
          }
        })
        .listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
        const quote = [...(await readFile(path.join(FIXTURES, 'tdx_quote')))];
        const collateral = JSON.parse(
          await readFile(path.join(FIXTURES, 'tdx_quote_collateral.json'), 'utf8'),
        );
        // As a string: Vitest would rewrite a dynamic import() in a function passed to evaluate().
        const outcome: { now: string; expired: string } = await page.evaluate(`(async () => {
          const lib = await import('/assets/${verifier.name}');
          const quote = new Uint8Array(${JSON.stringify(quote)});
          const collateral = ${JSON.stringify(collateral)};
          const verify = (at) => {
            try {
              return lib.intelQuoteVerifier.verify(quote, collateral, at).status;
            } catch (err) {
              return 'error: ' + err.message;
            }
          };
          // At the sample's time, and 40 days on, past its TCB info's nextUpdate (the check really runs).
          return { now: verify(${SAMPLE_NOW_SECS}), expired: verify(${SAMPLE_NOW_SECS + 40 * 86_400}) };
        })()`);
        expect(outcome.now).toBe('UpToDate');
        expect(outcome.expired).toMatch(/^error: .*expired/i);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
        server.close();
      }
    },
    60_000,
  );
});
