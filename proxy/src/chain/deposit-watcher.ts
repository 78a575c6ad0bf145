// Polls the service wallet for inbound transfers and hands each one to the ledger.
// Exactly-once crediting is the LEDGER's job (unique txKey); this watcher only guarantees
// at-least-once delivery: the cursor is saved after every transfer of a tick was accepted, so a
// crash, a replay from an older cursor, or out-of-order pages only ever cause repeats.

import { formatTon } from '@cocoon/shared';
import type { ChainAdapter, InboundCursor, InboundTransfer } from './chain';
import { periodicTask } from './periodic';

export type DepositCredit = {
  /** `${txHash}:${lt}`: unique per inbound transfer on chain. */
  txKey: string;
  /** Normalized memo (`cocoon-xxxxxxxxxx`, lowercase) or null → credit the `unclaimed` account. */
  memo: string | null;
  amountNano: bigint;
  from: string;
  utime: number;
  /** The raw comment, for support (never parsed again). */
  comment: string | null;
};

export interface DepositSink {
  /** Must be idempotent on txKey (unique index); returning normally means "stored or already stored". */
  creditDeposit(deposit: DepositCredit): Promise<unknown>;
}

export interface CursorStore {
  load(): Promise<InboundCursor | null>;
  save(cursor: InboundCursor | null): Promise<void>;
}

type Log = {
  debug?(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
};

const MEMO = /^cocoon-([0-9a-z]{10})$/i;

/** `cocoon-<10 base32 chars>`: trimmed, case-insensitive; returns the lowercase memo or null. */
export function parseDepositMemo(comment: string | null | undefined): string | null {
  if (!comment) return null;
  const m = MEMO.exec(comment.trim());
  return m ? `cocoon-${m[1].toLowerCase()}` : null;
}

export function depositTxKey(t: Pick<InboundTransfer, 'txHash' | 'lt'>): string {
  return `${t.txHash}:${t.lt}`;
}

export function createMemoryCursorStore(
  initial: InboundCursor | null = null,
): CursorStore & { current(): InboundCursor | null } {
  let cursor = initial;
  return {
    async load() {
      return cursor;
    },
    async save(c) {
      cursor = c;
    },
    current: () => cursor,
  };
}

export type DepositWatcher = {
  /** One poll. Never overlaps itself: a call during a running tick waits for that one. */
  tick(): Promise<{ seen: number }>;
  start(): void;
  stop(): Promise<void>;
};

export function createDepositWatcher(opts: {
  chain: Pick<ChainAdapter, 'listInboundTransfers'>;
  sink: DepositSink;
  cursorStore: CursorStore;
  intervalMs?: number;
  log?: Log;
  /** Dust below this is ignored (still not an error), default 0. */
  minAmountNano?: bigint;
}): DepositWatcher {
  const intervalMs = opts.intervalMs ?? 5_000;
  const minAmount = opts.minAmountNano ?? 0n;

  async function runTick(): Promise<{ seen: number }> {
    const cursor = await opts.cursorStore.load();
    const { transfers, cursor: next } = await opts.chain.listInboundTransfers(cursor);
    for (const t of transfers) {
      if (t.amountNano < minAmount) continue;
      if (t.sandboxFunding) {
        logSandboxFunding(opts.log, t);
        continue;
      }
      const memo = parseDepositMemo(t.comment);
      // A throw here leaves the cursor where it was: the whole batch is re-read next tick.
      const outcome = await opts.sink.creditDeposit({
        txKey: depositTxKey(t),
        memo,
        amountNano: t.amountNano,
        from: t.from,
        utime: t.utime,
        comment: t.comment,
      });
      logDeposit(opts.log, outcome, depositTxKey(t), t.amountNano);
    }
    await opts.cursorStore.save(next);
    return { seen: transfers.length };
  }

  return periodicTask(runTick, intervalMs, (err: unknown) =>
    opts.log?.error({ err: err instanceof Error ? err.message : String(err) }, 'deposit tick failed'),
  );
}

/** One line per stored deposit: credited to a user, or kept unclaimed (no known memo); a re-read one at debug. */
function logDeposit(log: Log | undefined, outcome: unknown, txKey: string, amountNano: bigint): void {
  const o = (outcome ?? {}) as { credited?: boolean; userId?: string | null };
  const fields = { txKey, amount: `${formatTon(amountNano)} TON` };
  if (o.credited === false) log?.debug?.(fields, 'deposit already credited');
  else if (o.userId) log?.info({ ...fields, userId: o.userId }, 'deposit credited');
  else
    log?.info(fields, 'transfer without a known deposit memo, kept unclaimed (assign or refund it by hand)');
}

/** The sandbox chain funding its own service wallet: no deposit, so not booked; one line to say so. */
function logSandboxFunding(log: Log | undefined, t: InboundTransfer): void {
  log?.info(
    { amount: `${formatTon(t.amountNano)} TON` },
    'the sandbox chain funded its own service wallet (its float for fees, not a deposit)',
  );
}
