// Browser contexts for the specs: one per user (390×844, a phone), only 127.0.0.1 reachable, a Playwright
// trace running. After each test: a screenshot of every page (kept always, they are cheap), and the trace
// kept only when the test failed. Everything lands in e2e/artifacts/ (gitignored).
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const PHONE = { width: 390, height: 844 };
/** A desktop browser window, wide enough for TON Connect UI's desktop modal (it goes phone-sized at ≤ 440 px). */
export const DESKTOP = { width: 1024, height: 768 };
export const ARTIFACTS = path.resolve(import.meta.dirname, '..', 'artifacts');

interface Opened {
  label: string;
  context: BrowserContext;
  page: Page;
}

const slug = (s: string) =>
  s
    .replace(/[^\w-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 80);

export class Contexts {
  private opened: Opened[] = [];
  constructor(
    private readonly browser: Browser,
    private readonly spec: string,
  ) {}

  /** A fresh phone-sized (390×844 unless `viewport` says otherwise) browser for one user; `label` names its artifacts. */
  async open(label: string, viewport = PHONE): Promise<Page> {
    const context = await this.browser.newContext({
      viewport,
      deviceScaleFactor: 1,
      serviceWorkers: 'block',
    });
    // Nothing outside this machine: TON Connect UI's remote wallet list and the like fail fast, offline.
    await context.route(
      (url) => url.hostname !== '127.0.0.1' && url.protocol !== 'data:' && url.protocol !== 'blob:',
      (route) => route.abort('internetdisconnected'),
    );
    await context.tracing.start({ screenshots: true, snapshots: true });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    this.opened.push({ label, context, page });
    return page;
  }

  /** Screenshots every open page; keeps the traces when `failed`; closes the contexts. */
  async finish(testName: string, failed: boolean): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const base = `${slug(this.spec)}--${slug(testName)}`;
    for (const o of this.opened) {
      const name = `${base}--${slug(o.label)}`;
      // Artifacts of an earlier run of the same test must not pass for this one's.
      for (const old of [`${name}.png`, `${name}--FAILED.png`, `${name}.trace.zip`])
        rmSync(path.join(ARTIFACTS, old), { force: true });
      await o.page
        .screenshot({ path: path.join(ARTIFACTS, `${name}${failed ? '--FAILED' : ''}.png`), fullPage: true })
        .catch(() => {});
      await o.context.tracing
        .stop(failed ? { path: path.join(ARTIFACTS, `${name}.trace.zip`) } : undefined)
        .catch(() => {});
      await o.context.close().catch(() => {});
    }
    this.opened = [];
  }
}

/** A screenshot of a moment worth seeing later (kept in e2e/artifacts/ whatever the outcome). */
export async function snap(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${slug(name)}.png`), fullPage: true }).catch(() => {});
}
