import { expect, it } from 'vitest';
import { resolveProxyUrl } from './env';
import { pathFromHash } from './router/hash-router';

it('resolves the proxy URL: configured, dev default, or same origin', () => {
  expect(resolveProxyUrl('https://proxy.example/', false, 'https://app.example/x')).toBe(
    'https://proxy.example',
  );
  expect(resolveProxyUrl(undefined, true, 'http://127.0.0.1:5173/')).toBe('http://127.0.0.1:8080');
  expect(resolveProxyUrl(undefined, false, 'https://cocoon.example/#/rigs')).toBe('https://cocoon.example');
  expect(resolveProxyUrl('/', false, 'http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
});

it('reads routes from the hash, ignoring Telegram launch params', () => {
  expect(pathFromHash('#/rigs')).toBe('/rigs');
  expect(pathFromHash('#/rigs/')).toBe('/rigs');
  expect(pathFromHash('#tgWebAppData=abc&tgWebAppVersion=8')).toBe('/');
  expect(pathFromHash('#/wallet?tgWebAppVersion=8')).toBe('/wallet');
  expect(pathFromHash('')).toBe('/');
});
