// What the bot's integration tests share: a log kept in memory (to check what was, and wasn't, logged), the
// model catalogue a production-mode proxy needs for the test rig, and the bot's own view of the proxy.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CocoonClient, createCocoonClient } from '@cocoon/shared';

export interface MemoryLog {
  /** Each line as JSON: its fields and its message (`m`). */
  logs: string[];
  log: {
    info(f: object, m: string): void;
    warn(f: object, m: string): void;
    error(f: object, m: string): void;
  };
}

export function memoryLog(): MemoryLog {
  const logs: string[] = [];
  const line = (f: object, m: string) => void logs.push(JSON.stringify({ ...f, m }));
  return { logs, log: { info: line, warn: line, error: line } };
}

export interface CatalogueModel {
  id: string;
  kinds: Array<'summarize' | 'generate' | 'chat'>;
  digest: string;
}

/**
 * Outside local mode a proxy serves catalogued models only: a catalogue file pinning the test rig's models to
 * the digests it reports (generation sampled, everything else deterministic).
 */
export function catalogueFile(models: CatalogueModel[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cocoon-bot-it-')), 'catalogue.json');
  const entries = models.map((m) => ({
    name: m.id,
    digest: m.digest,
    kinds: m.kinds,
    contextLength: 4096,
    demoGrade: false,
    deterministic: m.id !== 'demo-gen',
  }));
  writeFileSync(file, JSON.stringify({ models: entries }));
  return file;
}

/** The bot's client: the service key acting for a Telegram user. */
export function serviceClient(
  proxyUrl: string,
  serviceKey: string,
  user: { id: number; first_name: string },
): CocoonClient {
  return createCocoonClient({
    baseUrl: proxyUrl,
    auth: { kind: 'service', key: serviceKey, telegramId: user.id, name: user.first_name },
  });
}
