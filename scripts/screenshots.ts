// Screenshots of every Mini App page at 390×844, light and dark, into .screenshots/.
// Needs a running proxy that serves a local-mode build (VITE_COCOON_LOCAL=1 npm run build), or a Vite dev
// server next to the proxy: MINIAPP_URL (default PROXY_URL, default http://127.0.0.1:8080).
// Outside Telegram the local mock signs in through /dev/init-data; `?theme=` forces the palette.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '@cocoon/e2e';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PAGES = [
  { name: 'home', hash: '#/', ready: '[data-testid="balance-card"]' },
  { name: 'market', hash: '#/market', ready: 'h1' },
  { name: 'playground', hash: '#/play', ready: '[data-testid="playground-input"]' },
  { name: 'wallet', hash: '#/wallet', ready: '[data-testid="deposit"]' },
  { name: 'rigs', hash: '#/rigs', ready: '[data-testid="rig-name"], [data-testid="rig-token"]' },
  { name: 'jobs', hash: '#/jobs', ready: '[data-testid="jobs"]' },
  { name: 'settings', hash: '#/settings', ready: '[data-testid="api-keys"]' },
];

export async function takeScreenshots(opts: { baseUrl?: string; outDir?: string; user?: number } = {}) {
  const baseUrl = (
    opts.baseUrl ??
    process.env.MINIAPP_URL ??
    process.env.PROXY_URL ??
    'http://127.0.0.1:8080'
  ).replace(/\/$/, '');
  const outDir = opts.outDir ?? path.join(ROOT, '.screenshots');
  await mkdir(outDir, { recursive: true });
  const browser = await launchChromium();
  const files: string[] = [];
  try {
    for (const theme of ['light', 'dark'] as const) {
      const context = await browser.newContext({
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        colorScheme: theme,
      });
      const page = await context.newPage();
      for (const p of PAGES) {
        const url = `${baseUrl}/?theme=${theme}&tgUser=${opts.user ?? 1_000_001}&tgName=Ada${p.hash}`;
        await page.goto(url, { waitUntil: 'domcontentloaded' });
        await page.waitForSelector(p.ready, { timeout: 8_000 }).catch(() => {});
        // Let queries settle (skeletons → data or error state) before the shot.
        await page.waitForLoadState('networkidle', { timeout: 4_000 }).catch(() => {});
        await page.waitForTimeout(300);
        const file = path.join(outDir, `${p.name}-${theme}.png`);
        await page.screenshot({ path: file, fullPage: false });
        files.push(file);
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return files;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const f of await takeScreenshots()) console.log(f);
}
