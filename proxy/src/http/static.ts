// Serves the built Mini App (dist/; explicit routes win over its wildcard) and a TON Connect manifest that names this proxy's public URL, so
// wallets sign ton_proof for the host people actually open.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONTRACT } from '@cocoon/shared';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config';
import { serve } from './contract-route';

export function publicUrl(config: Config, port: number): string {
  return (config.PUBLIC_URL ?? `http://127.0.0.1:${port}`).replace(/\/$/, '');
}

export async function serveMiniApp(app: FastifyInstance, config: Config): Promise<void> {
  serve(app, CONTRACT.tonConnectManifest, async (_, req) => {
    const base =
      config.PUBLIC_URL?.replace(/\/$/, '') ?? `http://${req.headers.host ?? `127.0.0.1:${config.PORT}`}`;
    return {
      url: base,
      name: 'Cocoon',
      iconUrl: `${base}/icon-180.png`,
      termsOfUseUrl: `${base}/`,
      privacyPolicyUrl: `${base}/`,
    };
  });
  const root = resolve(config.STATIC_DIR);
  if (!existsSync(resolve(root, 'index.html'))) return;
  await app.register(fastifyStatic, { root, prefix: '/', index: 'index.html', wildcard: true });
}
