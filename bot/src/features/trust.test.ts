// /trust against the Bot API emulator over HTTP, with the real grammY bot; the proxy client is a recorder, so
// the test sees what each job asked for (minTrust) and what the answer says.
import { type Emulator, startBotApiEmulator } from '@cocoon/emulator';
import type { CocoonClient, RunJobOptions, RunJobResult } from '@cocoon/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadBotConfig } from '../config';
import type { HistoryMessage, HistoryStore } from '../history/store';
import { type RunningBot, startBot } from '../run';
import { createTrustSettings } from '../settings/trust';
import { TRUST_TEXT } from './trust';

const TOKEN = '7200001:trust-unit-token';
const KEY = Buffer.alloc(32, 3).toString('base64');

let emulator: Emulator;
let running: RunningBot | undefined;
beforeAll(async () => {
  emulator = await startBotApiEmulator({ bots: [{ token: TOKEN, username: 'trust_bot', firstName: 'T' }] });
});
afterAll(async () => {
  await emulator?.close();
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

function memoryHistory(): HistoryStore {
  const rows = new Map<number, HistoryMessage[]>();
  return {
    async append(chatId, m) {
      const list = rows.get(chatId) ?? [];
      list.push({ ...m, senderId: m.senderId === null ? null : String(m.senderId) });
      rows.set(chatId, list);
    },
    async list(chatId, o) {
      return (rows.get(chatId) ?? []).slice(-o.limit);
    },
    async forget(chatId) {
      const n = rows.get(chatId)?.length ?? 0;
      rows.delete(chatId);
      return n;
    },
  };
}

async function start(env: Record<string, string> = {}) {
  const jobs: RunJobOptions[] = [];
  const client = {
    async runJob(o: RunJobOptions): Promise<RunJobResult> {
      jobs.push(o);
      return {
        jobId: 'job-1',
        rigId: 'feedc0de-0000-4000-8000-000000000000',
        text: 'A summary.',
        costNano: 1_000_000n,
        promptTokens: 3,
        completionTokens: 2,
        finishReason: 'stop',
      } as RunJobResult;
    },
  } as unknown as CocoonClient;
  const config = loadBotConfig({
    BOT_TOKEN: TOKEN,
    SERVICE_KEY: 's'.repeat(32),
    HISTORY_KEY: 'h'.repeat(32),
    TELEGRAM_API_ROOT: emulator.url,
    EDIT_INTERVAL_MS: '100',
    ...env,
  });
  running = await startBot(
    config,
    { cocoonFor: () => client, history: memoryHistory(), trust: createTrustSettings() },
    { pollTimeoutS: 1 },
  );
  return { jobs };
}

function group(title: string) {
  const alice = emulator.createUser({ first_name: 'Alice' });
  const bob = emulator.createUser({ first_name: 'Bob' });
  const chat = emulator.createGroup({ title, creator: alice.id, members: [bob.id] });
  emulator.addBotToChat(chat.id);
  return { alice, bob, chat };
}

async function answer(chatId: number, userId: number, text: string, match?: RegExp) {
  const cmd = emulator.userSends(chatId, userId, text);
  return (
    await emulator.waitForBotMessage(chatId, (m) => (match ? match.test(m.text ?? '') : true), 10_000, {
      after: cmd.message_id,
    })
  ).text;
}

describe('/trust: a chat’s trust tier', () => {
  it('admins switch a group to TDX; its jobs then ask for minTrust tdx and say so in the cost line', async () => {
    const { jobs } = await start({ ATTESTATION_POLICY_KEY: KEY });
    const { alice, bob, chat } = group('Confidential');
    const other = group('Elsewhere');
    emulator.userSends(chat.id, bob.id, 'The plan is to ship on Friday.');

    expect(await answer(chat.id, bob.id, '/trust')).toContain(TRUST_TEXT.open);
    expect(await answer(chat.id, bob.id, '/trust tdx')).toBe(TRUST_TEXT.refused);
    expect(await answer(chat.id, bob.id, '/trust maybe')).toMatch(/^Usage: \/trust tdx/);
    expect(await answer(chat.id, alice.id, '/trust tdx')).toMatch(
      /^Done\. This chat's jobs run on confidential/,
    );
    expect(await answer(chat.id, bob.id, '/trust')).toContain(TRUST_TEXT.tdx);

    const summary = await answer(chat.id, bob.id, '/summarize', /TON ·/);
    expect(summary).toMatch(/— 0\.001 TON · confidential \(TDX\) rig feedc0de$/);
    const gen = await answer(chat.id, alice.id, '/generate a haiku', /TON ·/);
    expect(gen).toContain('confidential (TDX) rig');
    expect(jobs.map((j) => j.minTrust)).toEqual(['tdx', 'tdx']);

    // Another group is untouched; switching back to open works the same way.
    emulator.userSends(other.chat.id, other.bob.id, 'hello');
    expect(await answer(other.chat.id, other.bob.id, '/summarize', /TON ·/)).toMatch(/TON · rig feedc0de$/);
    expect(await answer(chat.id, alice.id, '/trust open')).toMatch(
      /^Done\. This chat's jobs run in the open tier/,
    );
    expect(await answer(chat.id, bob.id, '/summarize', /TON ·/)).toMatch(/TON · rig feedc0de$/);
    expect(jobs.map((j) => j.minTrust)).toEqual(['tdx', 'tdx', 'open', 'open']);

    const commands = emulator.calls('setMyCommands').at(-1)?.params.commands;
    const names = (typeof commands === 'string' ? JSON.parse(commands) : commands) as Array<{
      command: string;
    }>;
    expect(names.map((c) => c.command)).toContain('trust');
  });

  it('refuses tdx when the operator configured no attestation policy key', async () => {
    const { jobs } = await start();
    const { alice, bob, chat } = group('No key');
    expect(await answer(chat.id, alice.id, '/trust tdx')).toBe(TRUST_TEXT.noKey);
    expect(TRUST_TEXT.noKey).toContain('ATTESTATION_POLICY_KEY');
    expect(await answer(chat.id, alice.id, '/trust')).toMatch(/operator has not configured/);
    emulator.userSends(chat.id, bob.id, 'some text');
    expect(await answer(chat.id, bob.id, '/summarize', /TON ·/)).toMatch(/TON · rig feedc0de$/);
    expect(jobs.map((j) => j.minTrust)).toEqual(['open']);
  });
});
