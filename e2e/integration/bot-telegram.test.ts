// The Cocoon bot end to end: the real grammY bot by long polling against the Bot API emulator over HTTP,
// the real proxy (PGlite or DATABASE_URL) and a protocol-real worker. Nothing in the bot is mocked.

import { createServer } from 'node:net';
import { loadBotConfig, type RunningBot, startBot, startLocalBot } from '@cocoon/bot';
import { type Emulator, startBotApiEmulator, type TgMessage, type TgUser } from '@cocoon/emulator';
import type { Db, ProxyServer } from '@cocoon/proxy';
import {
  openTestDb,
  PRODUCTION_SECRETS,
  resetDb,
  startTestProxy,
  startTestWorker,
  type TestWorker,
  type TestWorkerBehaviour,
  userClient,
} from '@cocoon/proxy/testing';
import { type CocoonClient, createCocoonClient } from '@cocoon/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { catalogueFile, memoryLog, serviceClient as serviceFor } from '../testing/bot-it';

const TOKEN = '7100001:bot-integration-token';
// A real token: the proxy and the bot run as in production, each secret its own.
const SECRETS = { ...PRODUCTION_SECRETS, BOT_TOKEN: TOKEN };
const HISTORY_KEY = 'bot-integration-history-key-of-the-bot-alone';
const MINIAPP = 'http://127.0.0.1:5173/';
const FOOTER = /— [\d.]+ TON · rig [0-9a-f]{8}$/;

let db: Db;
let emulator: Emulator;
let proxy: ProxyServer | undefined;
let worker: TestWorker | undefined;
let running: RunningBot | undefined;
const { logs, log } = memoryLog();

beforeAll(async () => {
  db = await openTestDb();
  emulator = await startBotApiEmulator({
    bots: [{ token: TOKEN, username: 'cocoon_it_bot', firstName: 'Cocoon' }],
  });
});
afterAll(async () => {
  await emulator?.close();
  await db?.close();
});
beforeEach(async () => {
  await resetDb(db);
  logs.length = 0;
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await worker?.close();
  worker = undefined;
  await proxy?.close();
  proxy = undefined;
});

// Outside local mode a proxy serves catalogued models only: the test rig's two, pinned to the digests it
// reports.
const MODELS = [
  { id: 'summarize-extractive', kinds: ['summarize' as const], digest: 'a'.repeat(64) },
  { id: 'demo-gen', kinds: ['generate' as const], digest: 'b'.repeat(64) },
];
const catalogue = () => catalogueFile(MODELS);

/** A proxy, one rig serving both bot models, and the bot polling the emulator. */
async function startNetwork(proxyEnv: Record<string, string> = {}, botEnv: Record<string, string> = {}) {
  proxy = await startTestProxy(db, { ...SECRETS, MODEL_CATALOGUE: catalogue(), ...proxyEnv });
  const owner = userClient(proxy, 990_001, 'RigOwner');
  const { rig, token } = await owner.registerRig('it-rig');
  worker = startTestWorker({
    url: proxy.url,
    token,
    models: MODELS,
    delayMs: Number(botEnv.WORKER_DELAY_MS ?? 0),
    slots: Number(botEnv.WORKER_SLOTS ?? 4),
    behaviour: (botEnv.WORKER_BEHAVIOUR as TestWorkerBehaviour | undefined) ?? 'ok',
  });
  await worker.rigId;
  await owner.setAsk(rig.id, 'summarize-extractive', 2_000_000n);
  await owner.setAsk(rig.id, 'demo-gen', 3_000_000n);
  const config = loadBotConfig({
    BOT_TOKEN: TOKEN,
    SERVICE_KEY: SECRETS.SERVICE_KEY,
    HISTORY_KEY,
    TELEGRAM_API_ROOT: emulator.url,
    COCOON_PROXY_URL: proxy.url,
    MINIAPP_URL: MINIAPP,
    EDIT_INTERVAL_MS: '200',
    SUMMARIZE_MAX_TOKENS: '3000',
    ...botEnv,
  });
  running = await startBot(config, { log }, { pollTimeoutS: 1 });
  botConfig = config;
  return { rigId: rig.id };
}

let botConfig: ReturnType<typeof loadBotConfig>;

const serviceClient = (user: TgUser): CocoonClient => serviceFor(proxy!.url, SECRETS.SERVICE_KEY, user);

function group(title: string) {
  const alice = emulator.createUser({ first_name: 'Alice' });
  const bob = emulator.createUser({ first_name: 'Bob' });
  const carol = emulator.createUser({ first_name: 'Carol' });
  const chat = emulator.createGroup({ title, creator: alice.id, members: [bob.id, carol.id] });
  emulator.addBotToChat(chat.id);
  return { alice, bob, carol, chat };
}

const finalReply = (chatId: number, after: number, timeoutMs = 20_000) =>
  emulator.waitForBotMessage(chatId, (m) => FOOTER.test(m.text ?? ''), timeoutMs, { after });

async function historyRows(chatId: number): Promise<number> {
  const r = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM chat_history WHERE chat_id = $1', [
    String(chatId),
  ]);
  return Number(r.rows[0].n);
}

/** Re-checks a database condition (outside the emulator's world), a bounded number of times. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

/** Delivers a message the emulator's userSends would refuse (over 4,096 characters), as a raw update. */
function deliverRaw(chatId: number, from: TgUser, fields: Partial<TgMessage>): TgMessage {
  const conv = emulator.world.conversationFor(chatId, emulator.bot());
  const m = emulator.world.appendMessage(conv, { from, ...fields });
  emulator.world.deliverToBots(conv, m, 'message');
  return m;
}

describe('the Cocoon bot in Telegram chats', () => {
  it('summarizes a group conversation and charges the sender exactly the settled cost', async () => {
    const { rigId } = await startNetwork();
    const { alice, bob, carol, chat } = group('Summit');
    const treaty = emulator.userSends(chat.id, bob.id, 'The treaty was signed at noon by both delegations.');
    emulator.userSends(chat.id, carol.id, 'Markets rallied after the announcement.');
    emulator.userSends(chat.id, alice.id, 'Ministers will meet again next week.');

    const me = serviceClient(alice);
    const before = BigInt((await me.me()).balanceNano);
    const cmd = emulator.userSends(chat.id, alice.id, '/summarize');
    const reply = await finalReply(chat.id, cmd.message_id);

    // The test rig's "summary" is the first message it was given: the oldest stored one. The bot formats it:
    // a header, the speaker in bold, the text, a link to the message (a supergroup: t.me/c/<internal id>/<id>).
    expect(reply.text).toMatch(
      /^Summary of the last 3 messages, last [^\n]+\n• Bob: The treaty was signed at noon by both delegations\. ↗\n\n— /,
    );
    const internalId = BigInt(String(chat.id).slice(4)).toString();
    expect(reply.entities).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'bold' }),
        expect.objectContaining({
          type: 'text_link',
          url: `https://t.me/c/${internalId}/${treaty.message_id}`,
        }),
      ]),
    );
    expect(reply.text).toContain(`rig ${rigId.slice(0, 8)}`);
    expect(reply.reply_to_message?.message_id).toBe(cmd.message_id);
    // The bot's service key reads balances, not accounts: the jobs list is read as in the Mini App.
    const jobs = (await userClient(proxy!, alice.id).myJobs()).jobs;
    expect(jobs).toHaveLength(1);
    const cost = BigInt(jobs[0].costNano!);
    expect(cost).toBeGreaterThan(0n);
    const after = await me.me();
    expect(BigInt(after.balanceNano)).toBe(before - cost);
    expect(after.heldNano).toBe('0');
    // Bob and Carol talked but paid nothing.
    expect((await userClient(proxy!, bob.id).myJobs()).jobs).toHaveLength(0);

    // A count argument is validated.
    const bad = emulator.userSends(chat.id, alice.id, '/summarize 5000');
    const usage = await emulator.waitForBotMessage(chat.id, () => true, 5_000, { after: bad.message_id });
    expect(usage.text).toMatch(/^Usage: \/summarize \[how many messages, 1–1000\]/);
    const last1 = emulator.userSends(chat.id, alice.id, '/summarize 1');
    expect((await finalReply(chat.id, last1.message_id)).text).toMatch(
      /^Summary of 1 message, last [^\n]+\n• Alice: Ministers will meet again/,
    );
  });

  it("/trust tdx (admins only) makes the group's jobs ask the proxy for the confidential tier", async () => {
    // The operator's policy key is set, so the bot can check TDX rigs; the one rig here is in the open tier.
    await startNetwork({}, { ATTESTATION_POLICY_KEY: Buffer.alloc(32, 4).toString('base64') });
    const { alice, bob, chat } = group('Confidential');
    emulator.userSends(chat.id, bob.id, 'The merger closes on Monday.');
    const next = async (from: number, text: string) => {
      const cmd = emulator.userSends(chat.id, from, text);
      return (await emulator.waitForBotMessage(chat.id, () => true, 5_000, { after: cmd.message_id })).text;
    };

    expect(await next(bob.id, '/trust tdx')).toBe(
      "Only the group's admins can change this chat's trust setting.",
    );
    expect(await next(bob.id, '/trust')).toMatch(/^This chat's jobs run in the open tier/);
    expect(await next(alice.id, '/trust tdx')).toMatch(
      /^Done\. This chat's jobs run on confidential \(TDX\) rigs only/,
    );
    expect(await next(bob.id, '/trust')).toMatch(/^This chat's jobs run on confidential \(TDX\) rigs only/);
    // The setting is kept on the proxy: a restarted bot still runs this chat's jobs on TDX rigs only.
    await running!.stop();
    running = await startBot(botConfig, { log }, { pollTimeoutS: 1 });
    expect(await next(bob.id, '/trust')).toMatch(/^This chat's jobs run on confidential \(TDX\) rigs only/);

    // The proxy has no rig in the TDX tier: the quote is refused (no_confidential_capacity) and nothing runs.
    const cmd = emulator.userSends(chat.id, bob.id, '/summarize');
    const refused = await emulator.waitForBotMessage(
      chat.id,
      (m) => m.text?.startsWith('No confidential (TDX) rig') === true,
      20_000,
      { after: cmd.message_id },
    );
    expect(refused.text).toContain('No confidential (TDX) rig is serving summarize-extractive right now');
    expect(logs.some((l) => l.includes('"kind":"no_confidential_capacity"'))).toBe(true);
    expect(worker!.received).toHaveLength(0);
    expect((await userClient(proxy!, bob.id).myJobs()).jobs).toHaveLength(0);

    // Back to open: the same command runs on the open rig.
    expect(await next(alice.id, '/trust open')).toMatch(/^Done\. This chat's jobs run in the open tier/);
    const again = emulator.userSends(chat.id, bob.id, '/summarize');
    expect((await finalReply(chat.id, again.message_id)).text).toMatch(/TON · rig [0-9a-f]{8}$/);
    expect(worker!.received).toHaveLength(1);
  });

  it('/trust tdx is refused when the bot has no attestation policy key', async () => {
    await startNetwork();
    const { alice, chat } = group('No key');
    const cmd = emulator.userSends(chat.id, alice.id, '/trust tdx');
    const no = await emulator.waitForBotMessage(chat.id, () => true, 5_000, { after: cmd.message_id });
    expect(no.text).toMatch(
      /the bot's operator must configure the network's attestation policy key \(ATTESTATION_POLICY_KEY\)/,
    );
  });

  it('/forget wipes the stored history for admins only, and leaving a chat wipes it too', async () => {
    await startNetwork();
    const { alice, bob, chat } = group('Forgetful');
    emulator.userSends(chat.id, bob.id, 'first thing to remember');
    emulator.userSends(chat.id, alice.id, 'second thing to remember');

    const refused = emulator.userSends(chat.id, bob.id, '/forget');
    const no = await emulator.waitForBotMessage(chat.id, () => true, 5_000, { after: refused.message_id });
    expect(no.text).toBe("Only the group's admins can delete its stored history.");
    expect(emulator.calls('getChatMember').some((c) => Number(c.params.user_id) === bob.id)).toBe(true);
    expect(await historyRows(chat.id)).toBe(2);

    const ok = emulator.userSends(chat.id, alice.id, '/forget');
    const done = await emulator.waitForBotMessage(chat.id, () => true, 5_000, { after: ok.message_id });
    expect(done.text).toBe('Done: I deleted the 2 stored messages of this chat.');
    expect(await historyRows(chat.id)).toBe(0);

    const empty = emulator.userSends(chat.id, alice.id, '/summarize');
    const nothing = await emulator.waitForBotMessage(
      chat.id,
      (m) => m.text?.startsWith("I haven't seen") === true,
      5_000,
      { after: empty.message_id },
    );
    expect(nothing.text).toContain("I haven't seen any text messages here yet");

    emulator.userSends(chat.id, bob.id, 'said before the bot leaves');
    await eventually(async () => (await historyRows(chat.id)) === 1, 'a stored message');
    emulator.removeBotFromChat(chat.id, { by: alice.id });
    await eventually(async () => (await historyRows(chat.id)) === 0, 'history deleted on leave');
  });

  it('/generate streams by editing its reply through 429s and "message is not modified"', async () => {
    await startNetwork({}, { WORKER_DELAY_MS: '60' });
    const dave = emulator.createUser({ first_name: 'Dave' });
    const words = Array.from({ length: 30 }, (_, i) => `word${i}`);
    emulator.failNext('sendMessage', {
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      retry_after: 1,
    });
    emulator.failNext('editMessageText', {
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      retry_after: 1,
    });
    emulator.failNext('editMessageText', {
      error_code: 400,
      description:
        'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
    });
    const editsBefore = emulator.calls('editMessageText').length;
    const cmd = emulator.userSends(dave.id, dave.id, `/generate ${words.join(' ')}`);
    const reply = await finalReply(dave.id, cmd.message_id, 30_000);
    expect(reply.text).toMatch(new RegExp(`^${words.join(' ').toUpperCase()}\\n\\n— `));
    // One message, edited several times: placeholder, partial text, final text.
    expect(emulator.botMessages(dave.id).filter((m) => m.message_id > cmd.message_id)).toHaveLength(1);
    const edits = emulator.calls('editMessageText').slice(editsBefore);
    expect(edits.length).toBeGreaterThanOrEqual(3);
    expect(edits.some((c) => String(c.params.text).endsWith(' …'))).toBe(true);

    const usage = emulator.userSends(dave.id, dave.id, '/generate');
    const hint = await emulator.waitForBotMessage(dave.id, () => true, 5_000, { after: usage.message_id });
    expect(hint.text).toMatch(/^Usage: \/generate <prompt>/);
  });

  it('/generate waits gracefully while the only rig is busy: its message says the place in line, then the answer', async () => {
    await startNetwork({}, { WORKER_DELAY_MS: '60', WORKER_SLOTS: '1' });
    const dave = emulator.createUser({ first_name: 'Dave' });
    const erin = emulator.createUser({ first_name: 'Erin' });
    const long = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const first = emulator.userSends(dave.id, dave.id, `/generate ${long}`);
    await eventually(
      async () => (await db.query("SELECT 1 FROM jobs WHERE state = 'running'")).rows.length === 1,
      "Dave's job running",
    );
    const cmd = emulator.userSends(erin.id, erin.id, '/generate my turn came');
    const reply = await finalReply(erin.id, cmd.message_id, 30_000);
    expect(reply.text).toMatch(/^MY TURN CAME\n\n— /);
    const waits = emulator
      .calls('editMessageText')
      .filter((c) => c.params.chat_id === erin.id)
      .map((c) => String(c.params.text));
    expect(waits.some((t) => /^Waiting for a rig \(1st in line, \d+ s so far\)/.test(t))).toBe(true);
    await finalReply(dave.id, first.message_id, 30_000);
  });

  it('/generate starts its streamed text over when the job moves to another rig mid-stream', async () => {
    await startNetwork({}, { WORKER_DELAY_MS: '60' });
    // A cheaper rig that streams two words and then fails the job; the proxy moves it to the first rig.
    const owner = userClient(proxy!, 990_002, 'FlakyOwner');
    const { rig, token } = await owner.registerRig('flaky-rig');
    const flaky = startTestWorker({
      url: proxy!.url,
      token,
      behaviour: 'fail-mid-stream',
      delayMs: 60,
      models: [MODELS[1]],
    });
    try {
      await flaky.rigId;
      await owner.setAsk(rig.id, 'demo-gen', 1_000_000n);
      const erin = emulator.createUser({ first_name: 'Erin' });
      const words = Array.from({ length: 12 }, (_, i) => `word${i}`);
      const editsBefore = emulator.calls('editMessageText').length;
      const cmd = emulator.userSends(erin.id, erin.id, `/generate ${words.join(' ')}`);
      const reply = await finalReply(erin.id, cmd.message_id, 30_000);
      const text = words.join(' ').toUpperCase();
      expect(reply.text).toMatch(new RegExp(`^${text}\\n\\n— `));
      expect(flaky.received).toHaveLength(1);
      // Every streamed edit shows a beginning of the final text: the failed rig's words are not repeated.
      const shown = emulator
        .calls('editMessageText')
        .slice(editsBefore)
        .map((c) => String(c.params.text).replace(/ …$/, ''))
        .filter((t) => t.startsWith('WORD'));
      expect(shown.length).toBeGreaterThan(1);
      for (const t of shown) expect(`${text}\n`.startsWith(t.split('\n')[0])).toBe(true);
    } finally {
      await flaky.close();
    }
  });

  it('a user without balance gets a buy button (web_app in private, url in groups)', async () => {
    await startNetwork({ TRIAL_CREDIT_NANO: '0' });
    const { alice, chat } = group('Broke');
    const cmd = emulator.userSends(alice.id, alice.id, '/generate hello there');
    const poor = await emulator.waitForBotMessage(alice.id, (m) => m.reply_markup !== undefined, 10_000, {
      after: cmd.message_id,
    });
    expect(poor.text).toMatch(/balance is too low/);
    expect(poor.reply_markup?.inline_keyboard[0][0]).toEqual({
      text: 'Buy compute',
      web_app: { url: `${MINIAPP}#/wallet` },
    });

    emulator.userSends(chat.id, alice.id, 'some chatter');
    const inGroup = emulator.userSends(chat.id, alice.id, '/summarize');
    const poorGroup = await emulator.waitForBotMessage(chat.id, (m) => m.reply_markup !== undefined, 10_000, {
      after: inGroup.message_id,
    });
    expect(poorGroup.reply_markup?.inline_keyboard[0][0]).toEqual({
      text: 'Buy compute',
      url: `${MINIAPP}#/wallet`,
    });
    expect((await serviceClient(alice).me()).balanceNano).toBe('0');
  });

  it('photos, stickers, edits, 10,000-character messages and unknown commands break nothing; long replies split', async () => {
    await startNetwork();
    const { alice, bob, chat } = group('Noisy');
    emulator.userSends(chat.id, bob.id, { photo: true });
    emulator.userSends(chat.id, bob.id, { photo: true, caption: 'a caption counts as text' });
    emulator.userSends(chat.id, bob.id, { sticker: true });
    emulator.userSends(chat.id, bob.id, '/nosuchcommand with args');
    const typo = emulator.userSends(chat.id, bob.id, 'an early typo');
    emulator.userEdits(chat.id, typo.message_id, 'the corrected sentence', { userId: bob.id });
    const long = Array.from({ length: 1251 }, (_, i) => `w${String(i).padStart(6, '0')}`).join(' ');
    expect(long.length).toBeGreaterThan(9_999);
    const big = deliverRaw(chat.id, alice, { text: long });

    // The edit replaced the stored text: a summary from that message on starts with the corrected one.
    const fromTypo = emulator.userSends(chat.id, alice.id, '/summarize', { replyTo: typo.message_id });
    expect((await finalReply(chat.id, fromTypo.message_id)).text).toMatch(
      /^Summary of the last \d+ messages, last [^\n]+\n• Bob: the corrected sentence ↗\n\n— /,
    );

    // A 10,000-character message summarized (the test rig echoes it): its line is cut with an ellipsis, and
    // the summary, streamed over several messages, ends as one message within Telegram's limit.
    const fromBig = emulator.userSends(chat.id, alice.id, '/summarize', { replyTo: big.message_id });
    const last = await finalReply(chat.id, fromBig.message_id, 30_000);
    expect((last.text ?? '').length).toBeLessThanOrEqual(4096);
    expect(last.text).toMatch(
      /^Summary of 1 message, last [^\n]+\n• Alice: w000000 w000001 [w\d ]+… ↗\n\n— /,
    );

    // Unknown commands in a private chat get a hint; the bot still answers afterwards.
    const unknown = emulator.userSends(bob.id, bob.id, '/frobnicate');
    const hint = await emulator.waitForBotMessage(bob.id, () => true, 5_000, { after: unknown.message_id });
    expect(hint.text).toContain("I don't know that command");
    const help = emulator.userSends(bob.id, bob.id, '/help');
    expect(
      (await emulator.waitForBotMessage(bob.id, () => true, 5_000, { after: help.message_id })).text,
    ).toMatch(/^Commands:/);
    expect(logs.filter((l) => l.includes('update failed') || l.includes('bot error'))).toEqual([]);
  });

  it('a rig that answers with all its token budget allows gets at most three messages per command', async () => {
    await startNetwork({}, { WORKER_BEHAVIOUR: 'whole-budget' });
    const { alice, chat } = group('Verbose');
    const cmd = emulator.userSends(chat.id, alice.id, '/generate tell me everything');
    const last = await finalReply(chat.id, cmd.message_id, 30_000);
    const parts = emulator
      .botMessages(chat.id)
      .filter((m) => m.message_id > cmd.message_id && m.message_id <= last.message_id);
    // 512 tokens of 60 characters (~31,000) would take eight messages; the bot posts three, cut with a mark,
    // and keeps the cost footer.
    expect(parts).toHaveLength(3);
    for (const p of parts) expect((p.text ?? '').length).toBeLessThanOrEqual(4096);
    expect(last.text).toContain('cut: the answer is longer than this chat reply allows');
    expect(last.text).toMatch(/— [\d.]+ TON · rig [0-9a-f]{8}$/);
  });

  it('the proxy stores only ciphertext: a canary is in no table and no log line', async () => {
    await startNetwork();
    const { alice, bob, chat } = group('Secret');
    const canary = 'canary-7f3a9c2e zebra marmalade';
    emulator.userSends(chat.id, bob.id, `The plan is ${canary}.`);
    emulator.userSends(chat.id, alice.id, 'Noted.');
    const cmd = emulator.userSends(chat.id, alice.id, '/summarize');
    const reply = await finalReply(chat.id, cmd.message_id);
    expect(reply.text).toContain(canary); // the bot and the rig could read it

    const rows = await db.query<{ sealed: string }>('SELECT * FROM chat_history WHERE chat_id = $1', [
      String(chat.id),
    ]);
    expect(rows.rows).toHaveLength(2);
    const tables = await db.query<{ tablename: string }>(
      'SELECT tablename FROM pg_tables WHERE schemaname = current_schema()',
    );
    for (const { tablename } of tables.rows) {
      const dump = JSON.stringify((await db.query(`SELECT * FROM "${tablename}"`)).rows);
      for (const needle of ['canary-7f3a9c2e', 'marmalade', 'Noted.'])
        expect(dump.includes(needle), `${needle} in ${tablename}`).toBe(false);
    }
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toMatch(/canary|marmalade|Noted/);
  });

  it('/start, /balance and /price answer with Mini App buttons; commands are registered', async () => {
    await startNetwork();
    const erin = emulator.createUser({ first_name: 'Erin' });
    const start = emulator.userSends(erin.id, erin.id, '/start');
    const hello = await emulator.waitForBotMessage(erin.id, () => true, 5_000, { after: start.message_id });
    expect(hello.text).toMatch(/^Cocoon is a confidential compute market on TON/);
    expect(hello.text).toContain('Balance: 0.5 TON');
    expect(hello.reply_markup?.inline_keyboard[0][0]).toEqual({
      text: 'Open Cocoon',
      web_app: { url: MINIAPP },
    });

    const price = emulator.userSends(erin.id, erin.id, '/price');
    const board = await emulator.waitForBotMessage(erin.id, () => true, 5_000, { after: price.message_id });
    expect(board.text).toContain('summarize-extractive: from 0.002 TON per 1,000 tokens · 1 rig');
    expect(board.text).toContain('demo-gen: from 0.003 TON per 1,000 tokens');
    expect(board.reply_markup?.inline_keyboard[0][0]).toEqual({
      text: 'Price board',
      web_app: { url: `${MINIAPP}#/market` },
    });

    const bal = emulator.userSends(erin.id, erin.id, '/balance');
    const b = await emulator.waitForBotMessage(erin.id, () => true, 5_000, { after: bal.message_id });
    expect(b.text).toBe('Balance: 0.5 TON');

    const commands = emulator.calls('setMyCommands').at(-1)?.params.commands;
    const names = (typeof commands === 'string' ? JSON.parse(commands) : commands) as Array<{
      command: string;
    }>;
    expect(names.map((c) => c.command)).toEqual(
      expect.arrayContaining([
        'summarize',
        'generate',
        'balance',
        'price',
        'forget',
        'trust',
        'help',
        'start',
      ]),
    );
  });

  it('runs in webhook mode with a secret token', async () => {
    const port = await freePort();
    await startNetwork(
      {},
      {
        BOT_MODE: 'webhook',
        WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/hook`,
        WEBHOOK_SECRET: 'it-webhook-secret',
        WEBHOOK_PORT: String(port),
      },
    );
    const info = emulator.calls('setWebhook').at(-1)?.params;
    expect(info?.secret_token).toBe('it-webhook-secret');
    // Without the secret header the bot refuses the update.
    const forged = await fetch(`http://127.0.0.1:${port}/telegram/hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ update_id: 1 }),
    });
    expect(forged.status).toBe(401);
    const fay = emulator.createUser({ first_name: 'Fay' });
    const cmd = emulator.userSends(fay.id, fay.id, '/generate over the hook');
    expect((await finalReply(fay.id, cmd.message_id)).text).toMatch(/^OVER THE HOOK\n\n— /);
  });

  it('startLocalBot runs the bot against a fresh emulator with demo users when no BOT_TOKEN is set', async () => {
    proxy = await startTestProxy(db);
    const local = await startLocalBot({ proxyUrl: proxy.url, emulatorPort: 0, env: {} });
    try {
      const emu = local.emulator!;
      expect(local.webChatUrl).toBe(`${emu.url}/`);
      expect(await (await fetch(local.webChatUrl!)).text()).toContain('<html');
      const alice = [...emu.world.users.values()].find((u) => u.first_name === 'Alice')!;
      const cmd = emu.userSends(alice.id, alice.id, '/start');
      const hello = await emu.waitForBotMessage(alice.id, () => true, 10_000, { after: cmd.message_id });
      expect(hello.text).toContain('Balance: 0.5 TON');
      // The web_app button opens the Mini App with initData the local proxy accepts.
      const press = emu.userPressesButton(alice.id, hello.message_id, alice.id, 'Open Cocoon');
      if (press.kind !== 'web_app') throw new Error('expected a web_app button');
      const initData = new URLSearchParams(new URL(press.url).hash.slice(1)).get('tgWebAppData')!;
      const me = createCocoonClient({ baseUrl: proxy.url, auth: { kind: 'tma', initData } });
      expect((await me.me()).telegramId).toBe(String(alice.id));
    } finally {
      await local.stop();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
