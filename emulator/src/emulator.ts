// The Emulator: a Bot API server over node:http plus the test-side controls of its world.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_HTTP_TIMEOUTS, httpServerOptions } from '@cocoon/shared/node';
import { parseBotRequest, type UploadedFile } from './body';
import { handleControl } from './control';
import { createDemo } from './demo';
import { ApiError, type ApiErrorShape, notFound, unauthorized } from './errors';
import { signInitData, webAppLaunchUrl } from './initdata';
import { handleInvoiceSheet, isInvoiceSheetPath } from './invoice-http';
import { methods } from './methods';
import type {
  BotConfig,
  ButtonPress,
  CallbackAnswer,
  NewUser,
  TgChat,
  TgMessage,
  TgUser,
  WorldEvent,
} from './model';
import { sendJson } from './send-json';
import { PRECHECKOUT_TIMEOUT_MS, preCheckoutTimeoutFromEnv, Stars } from './stars';
import { realisticThrottle, Throttle, type ThrottleOptions } from './throttle';
import type { UserContent } from './user-content';
import { webChatHtml } from './webchat';
import { type BotAccount, World } from './world';

export interface Logger {
  info(fields: object, event: string): void;
  warn(fields: object, event: string): void;
  error(fields: object, event: string): void;
}

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  bots?: BotConfig[];
  /** Creates two users, their private chats and a demo group with the bot, for the web chat. */
  demo?: boolean;
  /** Reject what Telegram rejects for local development URLs (http Web Apps, localhost buttons, http webhooks). */
  strictUrls?: boolean;
  /** Telegram-like send limits; `true` uses realisticThrottle. Off by default. */
  throttle?: boolean | ThrottleOptions;
  webhookMaxAttempts?: number;
  webhookRetryDelayMs?: number;
  webhookTimeoutMs?: number;
  /** pino-compatible; fields never hold message text. */
  logger?: Logger;
  /** How long a bot has to answer a pre_checkout_query (Telegram: 10 s); else env EMULATOR_PRECHECKOUT_TIMEOUT_MS. */
  preCheckoutTimeoutMs?: number;
  /** The address invoice links start with (createInvoiceLink); default the emulator's own address. */
  publicUrl?: string;
}

export interface ApiCall {
  method: string;
  botId: number;
  params: Record<string, unknown>;
}

export type ChatRef = { bot?: string | number };

export const defaultBot: BotConfig = {
  token: '1000000001:local-emulator-token',
  username: 'cocoon_local_bot',
  firstName: 'Cocoon',
};

const maxCallLog = 2000;

export class Emulator {
  readonly world: World;
  /** Stars balances, invoices, payments and refunds (see stars.ts; test helpers in @cocoon/emulator/testing). */
  readonly stars: Stars;
  url = '';
  port = 0;
  private server: Server | undefined;
  private readonly failures = new Map<string, { error: ApiErrorShape; times: number }[]>();
  private readonly callLog: ApiCall[] = [];
  private readonly throttle: Throttle | undefined;
  private readonly sseClients = new Set<ServerResponse>();
  private readonly logger: Logger | undefined;

  constructor(private readonly options: EmulatorOptions = {}) {
    this.logger = options.logger;
    this.world = new World((bot) => ({
      webhookMaxAttempts: options.webhookMaxAttempts ?? 5,
      webhookRetryDelayMs: options.webhookRetryDelayMs ?? 500,
      webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000,
      onWebhookReply: async (method, params) => {
        await this.invoke(bot(), method, params).catch(() => undefined);
      },
      onLog: (event, fields) => this.logger?.warn({ ...fields, botId: bot().user.id }, event),
    }));
    this.stars = new Stars(this.world, {
      preCheckoutTimeoutMs:
        options.preCheckoutTimeoutMs ?? preCheckoutTimeoutFromEnv(process.env) ?? PRECHECKOUT_TIMEOUT_MS,
      publicUrl: () => (options.publicUrl ?? this.url).replace(/\/$/, ''),
    });
    for (const config of options.bots?.length ? options.bots : [defaultBot]) this.world.addBot(config);
    if (options.throttle)
      this.throttle = new Throttle(options.throttle === true ? realisticThrottle : options.throttle);
    this.world.on((event) => this.broadcast(event));
  }

  async listen(): Promise<this> {
    // Request deadlines as on every Cocoon server (dev-only here); no idle timeout: getUpdates long-polls.
    const server = createServer(httpServerOptions(DEFAULT_HTTP_TIMEOUTS), (req, res) => {
      this.route(req, res).catch((err: unknown) => {
        this.logger?.error({ err: (err as Error).message }, 'emulator_request_failed');
        if (!res.headersSent)
          sendJson(res, 500, { ok: false, error_code: 500, description: 'Internal Server Error' });
        else res.end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const address = server.address() as AddressInfo;
    this.port = address.port;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `http://${host}:${this.port}`;
    if (this.options.demo) createDemo(this.world);
    this.logger?.info({ port: this.port, bots: this.world.bots.size }, 'emulator_listening');
    return this;
  }

  async close(): Promise<void> {
    this.stars.close();
    for (const bot of this.world.bots.values()) bot.queue.close();
    for (const client of this.sseClients) client.end();
    this.sseClients.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  // ------------------------------------------------------------ test controls

  /** The next `times` calls of `method` (any bot) fail with `error`, e.g. a 429 with retry_after. */
  failNext(method: string, error: ApiErrorShape, times = 1): void {
    const key = method.toLowerCase();
    const list = this.failures.get(key) ?? [];
    list.push({ error, times });
    this.failures.set(key, list);
  }

  /** API calls received so far (the latest 2000), optionally of one method. */
  calls(method?: string): ApiCall[] {
    const key = method?.toLowerCase();
    return this.callLog.filter((c) => key === undefined || c.method.toLowerCase() === key);
  }

  bot(ref?: string | number): BotAccount {
    return this.world.resolveBot(ref);
  }

  createUser(input: NewUser): TgUser {
    return this.world.createUser(input);
  }

  createGroup(input: {
    title: string;
    members?: number[];
    admins?: number[];
    creator?: number;
    type?: 'group' | 'supergroup';
    username?: string;
  }): TgChat {
    return this.world.createGroup(input);
  }

  /** Adds the bot to a group (my_chat_member + new_chat_members service message). */
  addBotToChat(
    chatId: number,
    status: 'member' | 'administrator' = 'member',
    options: ChatRef & { by?: number } = {},
  ): void {
    this.world.setBotStatus(chatId, status, options);
  }

  removeBotFromChat(chatId: number, options: ChatRef & { by?: number } = {}): void {
    this.world.setBotStatus(chatId, 'left', options);
  }

  userBlocksBot(userId: number, options: ChatRef = {}): void {
    this.world.setBlocked(userId, true, options.bot);
  }

  userUnblocksBot(userId: number, options: ChatRef = {}): void {
    this.world.setBlocked(userId, false, options.bot);
  }

  /** A user writes in a chat (private chat: chatId = userId). Returns the message the bot receives. */
  userSends(
    chatId: number,
    userId: number,
    content: UserContent | string,
    options: ChatRef & { replyTo?: number } = {},
  ): TgMessage {
    return this.world.userSends(
      chatId,
      userId,
      typeof content === 'string' ? { text: content } : content,
      options,
    );
  }

  userEdits(
    chatId: number,
    messageId: number,
    newText: string,
    options: ChatRef & { userId?: number } = {},
  ): TgMessage {
    return this.world.userEdits(chatId, messageId, options.userId, newText, options);
  }

  /** Presses an inline button by callback_data or text. Web App buttons return a signed launch URL. */
  userPressesButton(
    chatId: number,
    messageId: number,
    userId: number,
    button: string,
    options: ChatRef = {},
  ): ButtonPress {
    const result = this.world.pressButton(chatId, messageId, userId, button, options);
    if (result.kind === 'web_app')
      return { kind: 'web_app', url: this.webAppUrl(result.url, userId, { ...options, chatId }) };
    return result;
  }

  history(chatId: number, options: ChatRef = {}): TgMessage[] {
    return this.world.history(this.world.conversationFor(chatId, this.world.resolveBot(options.bot)));
  }

  botMessages(chatId: number, options: ChatRef = {}): TgMessage[] {
    return this.history(chatId, options).filter((m) => m.from?.is_bot === true);
  }

  /**
   * Resolves with the first bot message in the chat (already there or arriving) that matches and
   * has message_id > `after`. Pass the id of the message you sent to ignore older replies.
   */
  waitForBotMessage(
    chatId: number,
    predicate: (m: TgMessage) => boolean = () => true,
    timeoutMs = 5_000,
    options: ChatRef & { after?: number } = {},
  ): Promise<TgMessage> {
    const after = options.after ?? 0;
    return this.waitUntil(
      () => this.botMessages(chatId, options).find((m) => m.message_id > after && predicate(m)),
      timeoutMs,
      `a bot message in chat ${chatId}`,
    );
  }

  /** Resolves when message `messageId` has been edited and (now) matches `predicate`. */
  waitForEdit(
    chatId: number,
    messageId: number,
    predicate: (m: TgMessage) => boolean = () => true,
    timeoutMs = 5_000,
    options: ChatRef = {},
  ): Promise<TgMessage> {
    return this.waitUntil(
      () => {
        const m = this.history(chatId, options).find((x) => x.message_id === messageId);
        return m?.edit_date !== undefined && predicate(m) ? m : undefined;
      },
      timeoutMs,
      `an edit of message ${messageId} in chat ${chatId}`,
    );
  }

  waitForCallbackAnswer(queryId: string, timeoutMs = 5_000): Promise<CallbackAnswer> {
    return this.waitUntil(
      () => this.world.callbacks.get(queryId)?.answer,
      timeoutMs,
      `an answer to callback ${queryId}`,
    );
  }

  /** A Mini App URL with signed launch data for `userId`, as Telegram opens a web_app button. */
  webAppUrl(
    url: string,
    userId: number,
    options: ChatRef & { chatId?: number; startParam?: string } = {},
  ): string {
    const bot = this.world.resolveBot(options.bot);
    const user = this.world.requireUser(userId);
    const chat =
      options.chatId !== undefined ? this.world.conversationFor(options.chatId, bot).chat : undefined;
    const initData = signInitData({ botToken: bot.token, user, chat, startParam: options.startParam });
    return webAppLaunchUrl(url, initData);
  }

  /** Re-checks `check` on every world event until it yields a value; bounded by `timeoutMs`. */
  waitUntil<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let off: () => void = () => undefined;
      const attempt = (): boolean => {
        let value: T | undefined;
        try {
          value = check();
        } catch (err) {
          clearTimeout(timer);
          off();
          reject(err);
          return true;
        }
        if (value === undefined) return false;
        clearTimeout(timer);
        off();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      if (attempt()) return;
      // World events cover most conditions; the slow re-check covers ones outside the world
      // (a test's own counters). Both stop at the timeout.
      const recheck = setInterval(attempt, 25);
      const unsubscribe = this.world.on(() => {
        attempt();
      });
      off = () => {
        clearInterval(recheck);
        unsubscribe();
      };
    });
  }

  // ------------------------------------------------------------ Bot API

  /** Runs one Bot API method as `bot` (used by HTTP requests and webhook replies). */
  async invoke(
    bot: BotAccount,
    method: string,
    params: Record<string, unknown>,
    extra: { files?: Map<string, UploadedFile>; signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const key = method.toLowerCase();
    const handler = methods[key];
    if (!handler) throw notFound();
    this.callLog.push({ method, botId: bot.user.id, params });
    if (this.callLog.length > maxCallLog) this.callLog.splice(0, this.callLog.length - maxCallLog);
    this.world.emit({ type: 'api_call', method, botId: bot.user.id });
    const queued = this.failures.get(key);
    const failure = queued?.[0];
    if (failure) {
      failure.times -= 1;
      if (failure.times <= 0) queued.shift();
      throw ApiError.from(failure.error);
    }
    return handler({
      world: this.world,
      bot,
      stars: this.stars,
      params,
      files: extra.files ?? new Map(),
      signal: extra.signal ?? new AbortController().signal,
      strictUrls: this.options.strictUrls ?? false,
      throttle: this.throttle,
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    const api = /^\/bot([^/]+)\/(?:test\/)?([A-Za-z0-9_]+)\/?$/.exec(url.pathname);
    if (api) return this.serveBotApi(req, res, url, decodeURIComponent(api[1]), api[2]);
    if (/^\/(_emulator|control)\//.test(url.pathname)) return handleControl(this, req, res, url);
    if (isInvoiceSheetPath(url.pathname)) return handleInvoiceSheet(this.stars, req, res, url);
    if (url.pathname === '/' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(webChatHtml);
      return;
    }
    sendJson(res, 404, notFound().toJSON());
  }

  private async serveBotApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    token: string,
    method: string,
  ): Promise<void> {
    const bot = this.world.botByToken(token);
    try {
      if (!bot) throw unauthorized();
      const { params, files } = await parseBotRequest(req, url);
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableEnded) abort.abort();
      });
      const result = await this.invoke(bot, method, params, { files, signal: abort.signal });
      if (!res.destroyed) sendJson(res, 200, { ok: true, result });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.error_code !== 401 && err.error_code !== 404) {
        this.logger?.info({ method, botId: bot?.user.id, errorCode: err.error_code }, 'bot_api_error');
      }
      if (!res.destroyed) sendJson(res, err.error_code, err.toJSON());
    }
  }

  // ------------------------------------------------------------ live events for the web chat

  addSseClient(res: ServerResponse): void {
    this.sseClients.add(res);
    res.on('close', () => this.sseClients.delete(res));
  }

  private broadcast(event: WorldEvent): void {
    if (this.sseClients.size === 0 || event.type === 'api_call') return;
    const data = `data: ${JSON.stringify(event)}\n\n`;
    for (const client of this.sseClients) client.write(data);
  }
}

export async function startBotApiEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return new Emulator(options).listen();
}
