// A reply that grows while a job streams: edits at most once per interval, spills into new messages past
// 4,096 characters (at most MAX_REPLY_MESSAGES of them), and shrugs off "message is not modified". 429s are retried by the auto-retry transformer.
import { type Api, GrammyError } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import { layoutReply } from './text';

const STREAMING_MARK = ' …';

export function isNotModified(err: unknown): boolean {
  return err instanceof GrammyError && err.description.includes('message is not modified');
}

export class StreamingReply {
  private readonly sent: Array<{ id: number; text: string; markup: boolean }> = [];
  private latest = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private lastRender = 0;
  private closed = false;

  constructor(
    private readonly api: Api,
    private readonly chatId: number,
    private readonly replyTo: number | undefined,
    private readonly intervalMs: number,
  ) {}

  /** Sends the placeholder the stream will edit. */
  async start(placeholder: string): Promise<void> {
    await this.enqueue(() => this.render(placeholder));
  }

  /** New text so far; shown at the next allowed edit. */
  update(text: string): void {
    this.latest = text;
    if (this.closed || this.timer) return;
    const wait = Math.max(0, this.lastRender + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed && this.latest.trim())
        void this.enqueue(() => this.render(this.latest + STREAMING_MARK)).catch(() => {});
    }, wait);
  }

  /** The final text and footer (and buttons on the last part); waits until every part is on screen. */
  async finish(text: string, markup?: InlineKeyboardMarkup, footer = ''): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain.catch(() => {});
    await this.enqueue(() => this.render(text, markup, footer));
  }

  /** The final text as one Telegram HTML message (the caller keeps it within 4,096 characters). */
  async finishHtml(html: string): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain.catch(() => {});
    await this.enqueue(async () => {
      this.lastRender = Date.now();
      const options = { parse_mode: 'HTML' as const, link_preview_options: { is_disabled: true } };
      const old = this.sent[0];
      if (!old) {
        const m = await this.api.sendMessage(this.chatId, html, {
          ...options,
          reply_parameters:
            this.replyTo === undefined
              ? undefined
              : { message_id: this.replyTo, allow_sending_without_reply: true },
        });
        this.sent.push({ id: m.message_id, text: html, markup: false });
        return;
      }
      try {
        await this.api.editMessageText(this.chatId, old.id, html, options);
      } catch (err) {
        if (!isNotModified(err)) throw err;
      }
      this.sent[0] = { id: old.id, text: html, markup: false };
      // Streamed text that spilled into more messages is replaced by the one above.
      for (const extra of this.sent.splice(1))
        await this.api.deleteMessage(this.chatId, extra.id).catch(() => {});
    });
  }

  get messageIds(): number[] {
    return this.sent.map((m) => m.id);
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }

  private async render(text: string, markup?: InlineKeyboardMarkup, footer = ''): Promise<void> {
    this.lastRender = Date.now();
    // Never more than MAX_REPLY_MESSAGES messages per command, however much a rig streams.
    const parts = layoutReply(text, footer);
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      const withMarkup = last && markup !== undefined;
      const old = this.sent[i];
      if (!old) {
        const m = await this.api.sendMessage(this.chatId, part, {
          reply_parameters:
            this.replyTo === undefined && i === 0
              ? undefined
              : {
                  message_id: i === 0 ? this.replyTo! : this.sent[0].id,
                  allow_sending_without_reply: true,
                },
          reply_markup: withMarkup ? markup : undefined,
          link_preview_options: { is_disabled: true },
        });
        this.sent.push({ id: m.message_id, text: part, markup: withMarkup });
      } else if (old.text !== part || withMarkup || old.markup) {
        try {
          await this.api.editMessageText(this.chatId, old.id, part, {
            reply_markup: withMarkup ? markup : undefined,
            link_preview_options: { is_disabled: true },
          });
        } catch (err) {
          if (!isNotModified(err)) throw err;
        }
        this.sent[i] = { id: old.id, text: part, markup: withMarkup };
      }
    }
  }
}
