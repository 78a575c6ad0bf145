// The Vitest projects (`npm test` runs them through scripts/test.mjs; `npx vitest run --project <name> <file>`
// runs one). The Mini App build is vite.config.ts; only the miniapp project extends it.
import { configDefaults, defineConfig } from 'vitest/config';

/** The reliability suites (e2e/reliability): the long chaos ones run in their own project. */
const CHAOS = 'e2e/reliability/**/*.chaos.test.ts';

export default defineConfig({
  test: {
    root: '.',
    projects: [
      {
        test: {
          name: 'unit',
          root: '.',
          include: [
            '{shared,worker,bot,gateway,emulator}/src/**/*.test.ts',
            'contracts/src/**/*.test.ts',
            'scripts/**/*.test.ts',
          ],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Suites that need a database: run on PGlite, and again on PostgreSQL when DATABASE_URL is set.
        test: {
          name: 'db',
          root: '.',
          include: [
            'proxy/src/**/*.test.ts',
            'bench/src/**/*.test.ts',
            'e2e/integration/**/*.test.ts',
            'e2e/reliability/**/*.test.ts',
          ],
          exclude: [...configDefaults.exclude, CHAOS],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // Chaos: cheaters among real worker processes, audits and bonds as the network runs them. Once per
        // `npm test` (on PGlite), not in both database passes: it takes minutes.
        test: {
          name: 'chaos',
          root: '.',
          include: [CHAOS],
          environment: 'node',
          testTimeout: 900_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // Browser specs: the whole network plus Debian's Chromium through playwright-core.
        test: {
          name: 'e2e',
          root: '.',
          include: ['e2e/specs/**/*.spec.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        extends: './vite.config.ts',
        test: {
          name: 'miniapp',
          root: '.',
          include: ['miniapp/src/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
        },
      },
    ],
  },
});
