// The shared path of /summarize and /generate: rate limits, then a background task that runs the sealed
// job through @cocoon/shared's client (plaintext stays in this process) and streams it into the chat.
import { type JobBody, jobTimeoutMs, type TrustTier, waitingForRigText } from '@cocoon/shared';
import type { Context } from 'grammy';
import { describeError, type Features, type TelegramUserRef } from './deps';
import { StreamingReply } from './stream';
import { classifyJobError, costFooter, jobErrorText } from './text';
import { keyboard, miniAppButton } from './ui';

/** Takes a token from the user's and the chat's bucket; replies and returns false when either is empty. */
export async function takeRateLimit(f: Features, ctx: Context): Promise<boolean> {
  const userId = ctx.from?.id;
  const chatId = ctx.chat?.id;
  if (userId === undefined || chatId === undefined) return false;
  const { user, chat } = f.deps.limits;
  let wait = user.take(`u:${userId}`);
  if (wait === 0) {
    wait = chat.take(`c:${chatId}`);
    if (wait > 0) user.refund(`u:${userId}`);
  }
  if (wait === 0) return true;
  const seconds = Math.max(1, Math.ceil(wait / 1000));
  await ctx.reply(`Too many requests. Try again in ${seconds} s.`, {
    reply_parameters: replyTo(ctx),
  });
  return false;
}

export function replyTo(ctx: Context) {
  const id = ctx.msg?.message_id;
  return id === undefined ? undefined : { message_id: id, allow_sending_without_reply: true };
}

export function buyMarkup(f: Features, chatType: string | undefined) {
  return keyboard(miniAppButton('Buy compute', f.config.MINIAPP_URL, 'wallet', chatType));
}

export interface ChatJob {
  name: 'summarize' | 'generate';
  model: string;
  payer: TelegramUserRef;
  chatId: number;
  chatType: string;
  replyToMessageId: number | undefined;
  placeholder: string;
  /** Builds the body (may read history); a string answer instead ends the task with that message. */
  prepare(): Promise<JobBody | string>;
  /** The final message as Telegram HTML (fits one message), from the result's text and the cost line. */
  formatHtml?(text: string, footer: string): string;
}

/** Runs the job beside the update loop; every outcome, error included, ends as a message in the chat. */
export function startChatJob(f: Features, ctx: Context, job: ChatJob): void {
  const { config, deps } = f;
  const api = ctx.api;
  deps.tasks.run(job.name, async () => {
    const reply = new StreamingReply(api, job.chatId, job.replyToMessageId, config.EDIT_INTERVAL_MS);
    await reply.start(job.placeholder);
    let body: JobBody | string;
    try {
      body = await job.prepare();
    } catch (err) {
      deps.log.warn({ job: job.name, chatId: job.chatId, err: describeError(err) }, 'job preparation failed');
      await reply.finish('Cocoon is unreachable right now. Try again in a minute.');
      return;
    }
    if (typeof body === 'string') {
      await reply.finish(body);
      return;
    }
    let streamed = '';
    // While every rig is busy the job waits in the proxy's queue: the message says its place and the time
    // waited, edited as they change (no more often than EDIT_INTERVAL_MS), until a rig takes the job.
    const waiting = { position: 0, since: 0, timer: undefined as NodeJS.Timeout | undefined };
    const showWait = () => {
      if (waiting.position && !streamed)
        reply.update(`${waitingForRigText(waiting.position, Date.now() - waiting.since)}`);
    };
    const stopWaiting = () => {
      waiting.position = 0;
      clearInterval(waiting.timer);
    };
    // The chat's tier as set by its admins (/trust): tdx seals only to rigs whose quote verified here.
    let minTrust: TrustTier | undefined;
    try {
      // Read inside the try: a setting that can't be read fails this job with the usual answer, never
      // falls back to any rig.
      minTrust = await deps.trust.get(job.chatId);
      const res = await deps.cocoonFor(job.payer).runJob({
        model: job.model,
        body,
        // At least JOB_TIMEOUT_MS, more for a long answer: a slow rig that keeps producing isn't cut off.
        timeoutMs: jobTimeoutMs(body.maxTokens, config.JOB_TIMEOUT_MS),
        minTrust,
        onQueued: ({ position }) => {
          if (!waiting.since) {
            waiting.since = Date.now();
            waiting.timer = setInterval(showWait, Math.max(config.EDIT_INTERVAL_MS, 5000));
          }
          waiting.position = position;
          showWait();
        },
        onRunning: () => {
          stopWaiting();
          reply.update(job.placeholder);
        },
        onDelta: (d) => {
          stopWaiting();
          streamed += d;
          reply.update(streamed);
        },
        // The job moved to another rig mid-stream: its text starts over and replaces what was shown.
        onRestart: () => {
          streamed = '';
        },
      });
      stopWaiting();
      const text = (res.text || streamed).trim() || '(the model returned no text)';
      const footer = costFooter(res.costNano, res.rigId, minTrust);
      if (job.formatHtml) await reply.finishHtml(job.formatHtml(text, footer));
      else await reply.finish(text, undefined, footer);
      deps.log.info(
        {
          job: job.name,
          jobId: res.jobId,
          rigId: res.rigId,
          costNano: res.costNano.toString(),
          minTrust,
          chatId: job.chatId,
          userId: job.payer.id,
          parts: reply.messageIds.length,
        },
        'job done',
      );
    } catch (err) {
      stopWaiting();
      const kind = classifyJobError(err);
      deps.log.warn(
        { job: job.name, kind, minTrust, chatId: job.chatId, userId: job.payer.id, err: describeError(err) },
        'job failed',
      );
      await reply.finish(
        jobErrorText(kind, job.model),
        kind === 'insufficient_funds' ? buyMarkup(f, job.chatType) : undefined,
      );
    }
  });
}
