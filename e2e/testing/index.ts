// @cocoon/e2e: what other packages' scripts use from the browser specs' support (scripts/screenshots.ts
// drives the same Chromium).
export { CHROMIUM_ARGS, CHROMIUM_PATH, launchChromium } from './chromium';
