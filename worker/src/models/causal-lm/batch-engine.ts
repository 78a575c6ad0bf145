// Continuous batching: one decode loop per loaded model serves every running job. Each decode step is one
// forward pass over all decoding sequences (a row each, left-padded cache, per-row attention mask and
// positions); a job joins at a step boundary once its prompt is in the cache and leaves when it finishes.
// Prompts are prefilled in chunks between decode steps, so a long prompt delays the others by one chunk per
// step rather than by its whole prefill. Scoring is a prefill that hands every position's logits to its job.
//
// The cache of the decoding rows is one tensor per layer, [rows, heads, len, dim], passed from a step's
// present.* to the next step's past without copying; it is repacked only when rows join or leave. Every
// admitted job counts against a KV budget in tokens, padding included: (jobs) × (the longest any of them may
// grow) ≤ budget, so the cache can never outgrow it. A job bigger than the budget runs alone.
import * as ort from 'onnxruntime-node';
import {
  type DecoderLayout,
  emptyKv,
  gatherKv,
  int64,
  logitsOf,
  readDecoderLayout,
  type SessionLike,
} from './decoder-session';

export interface EngineJob {
  /** Token ids to prefill: the prompt (for scoring: prompt + claimed completion). Not empty. */
  prompt: number[];
  /** The most tokens this job's cache may hold: prompt + completion limit, capped at the context. */
  maxTokens: number;
  /** Generation: gets the logits for the next token, returns the token to feed next, or null when done. */
  next?: (logits: Float32Array) => number | null;
  /**
   * Scoring: gets the logits of prompt positions [start, start + count), count × vocab floats, chunk by
   * chunk; the job ends after the last chunk.
   */
  onLogits?: (start: number, logits: Float32Array, count: number) => void;
  /** Checked at every step boundary: true ends the job where it is (an abort). */
  cancelled?: () => boolean;
}

export interface EngineOptions {
  /** Generation jobs decoded at once (the rig's slots); scoring jobs come on top, within the budget. */
  maxBatch: number;
  /** Cache tokens, padding included, for all admitted jobs together. */
  kvBudgetTokens: number;
  /** Prompt tokens per prefill pass. */
  prefillChunk: number;
}

export interface EngineStats {
  queued: number;
  prefilling: number;
  decoding: number;
  /** Cache positions allocated for the decoding rows (rows × len, padding included). */
  kvTokensAllocated: number;
  kvBytesPerToken: number;
  steps: number;
  prefillChunks: number;
}

interface Seq {
  job: EngineJob;
  /** Tokens in this sequence's cache. */
  cached: number;
  /** The token to feed at the next decode step. */
  pending: number;
  /** Own cache while prefilling (one row). */
  cache: ort.Tensor[] | null;
  resolve: () => void;
  reject: (e: unknown) => void;
  /** What the job's own callback threw: the job ends with it, the others go on. */
  error?: unknown;
}

export class BatchEngine {
  readonly layout: DecoderLayout;
  private readonly waiting: Seq[] = [];
  private readonly prefilling: Seq[] = [];
  /** Decoding rows, in cache row order. */
  private rows: Seq[] = [];
  private kv: ort.Tensor[] | null = null;
  private kvLen = 0;
  private running: Promise<void> | null = null;
  private closed = false;
  private steps = 0;
  private chunks = 0;

  constructor(
    private readonly session: SessionLike,
    private readonly opts: EngineOptions,
  ) {
    this.layout = readDecoderLayout(session);
  }

  /** Runs a job to its end; rejects if a forward pass fails or the engine closes first. */
  run(job: EngineJob): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the model is unloaded'));
    if (job.prompt.length === 0) return Promise.reject(new Error('nothing to prefill'));
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ job, cached: 0, pending: -1, cache: null, resolve, reject });
      this.kick();
    });
  }

  stats(): EngineStats {
    return {
      queued: this.waiting.length,
      prefilling: this.prefilling.length,
      decoding: this.rows.length,
      kvTokensAllocated: this.rows.length * this.kvLen,
      kvBytesPerToken: this.layout.kvBytesPerToken,
      steps: this.steps,
      prefillChunks: this.chunks,
    };
  }

  /** Stops taking jobs, fails the ones not finished, and waits for the pass in flight. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.waiting, ...this.prefilling, ...this.rows];
    this.waiting.length = 0;
    this.prefilling.length = 0;
    this.rows = [];
    this.kv = null;
    for (const s of all) s.reject(new Error('the model is unloaded'));
    await this.running?.catch(() => undefined);
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (!this.closed && this.hasWork()) this.kick();
    });
  }

  private hasWork(): boolean {
    return this.waiting.length + this.prefilling.length + this.rows.length > 0;
  }

  private async loop(): Promise<void> {
    while (!this.closed && this.hasWork()) {
      try {
        this.admit();
        const joined: Seq[] = [];
        if (this.prefilling.length > 0) {
          const s = this.prefilling[0];
          const state = await this.prefillChunk(s);
          if (state !== 'more') this.prefilling.shift();
          if (state === 'decode' && !this.closed) joined.push(s);
        }
        if (this.closed) return;
        const left = this.rows.length > 0 ? await this.decodeStep() : [];
        if (this.closed) return;
        this.dropCancelled(left);
        if (joined.length > 0 || left.length > 0) this.repack(joined, left);
        // Let timers and sockets run between passes (stream deltas, heartbeats, aborts).
        await new Promise<void>((r) => setImmediate(r));
      } catch (err) {
        this.failAll(err);
      }
    }
  }

  /** Moves waiting jobs in, first come first served, while the batch cap and the KV budget allow. */
  private admit(): void {
    for (let i = 0; i < this.waiting.length; ) {
      const s = this.waiting[i];
      if (s.job.cancelled?.()) {
        this.waiting.splice(i, 1);
        this.settle(s);
        continue;
      }
      const generating =
        this.rows.length + this.prefilling.filter((p) => p.job.next).length + (s.job.next ? 1 : 0);
      const admitted = [...this.rows, ...this.prefilling];
      const longest = Math.max(s.job.maxTokens, ...admitted.map((a) => a.job.maxTokens));
      const fits = (admitted.length + 1) * longest <= this.opts.kvBudgetTokens || admitted.length === 0;
      if (s.job.next && generating > this.opts.maxBatch) break; // keep arrival order for generation
      if (!fits) break;
      this.waiting.splice(i, 1);
      s.cache = emptyKv(this.layout, 1, 0);
      this.prefilling.push(s);
    }
  }

  /**
   * One chunk of a sequence's prompt: 'more' to come, 'decode' when the prompt is in and the first token
   * drawn (the sequence joins the batch), 'done' when the job ended (scored, finished at once, cancelled).
   */
  private async prefillChunk(s: Seq): Promise<'more' | 'decode' | 'done'> {
    if (s.job.cancelled?.()) {
      this.settle(s);
      return 'done';
    }
    const start = s.cached;
    const end = Math.min(s.job.prompt.length, start + this.opts.prefillChunk);
    const n = end - start;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(s.job.prompt.slice(start, end), [1, n]),
      attention_mask: int64(new Array(end).fill(1), [1, end]),
    };
    if (this.layout.hasPositionIds) feeds.position_ids = int64(range(start, end), [1, n]);
    const out = await this.forward(feeds, s.cache!, start, s.job.onLogits ? 0 : 1);
    this.chunks++;
    s.cache = this.layout.presentNames.map((name) => out[name]);
    s.cached = end;
    const logits = logitsOf(out.logits);
    const positions = out.logits.dims[1];
    const vocab = logits.length / positions;
    const onLogits = s.job.onLogits;
    if (onLogits) {
      if (positions !== n) {
        s.error = new Error(
          `the model returned logits for ${positions} of ${n} positions; scoring needs all`,
        );
      } else {
        this.guard(s, () => onLogits(start, logits, n));
      }
      if (s.error !== undefined) {
        this.settle(s);
        return 'done';
      }
    }
    if (end < s.job.prompt.length) return 'more';
    const next = s.job.next;
    const token = next
      ? this.guard(s, () => next(logits.subarray((positions - 1) * vocab, positions * vocab)))
      : null;
    if (token === null) {
      this.settle(s);
      return 'done';
    }
    s.pending = token;
    return 'decode';
  }

  /** One forward pass over every decoding row; returns the rows that finished. */
  private async decodeStep(): Promise<Seq[]> {
    const B = this.rows.length;
    const T = this.kvLen;
    const mask = new Array<number>(B * (T + 1)).fill(0);
    this.rows.forEach((s, r) => {
      for (let j = T - s.cached; j <= T; j++) mask[r * (T + 1) + j] = 1;
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(
        this.rows.map((s) => s.pending),
        [B, 1],
      ),
      attention_mask: int64(mask, [B, T + 1]),
    };
    if (this.layout.hasPositionIds) {
      feeds.position_ids = int64(
        this.rows.map((s) => s.cached),
        [B, 1],
      );
    }
    const out = await this.forward(feeds, this.kv!, T, 1);
    this.steps++;
    this.kv = this.layout.presentNames.map((name) => out[name]);
    this.kvLen = T + 1;
    const logits = logitsOf(out.logits);
    const positions = out.logits.dims[1];
    const vocab = logits.length / (B * positions);
    const left: Seq[] = [];
    this.rows.forEach((s, r) => {
      s.cached++;
      const at = (r * positions + positions - 1) * vocab;
      const next = this.guard(s, () => s.job.next!(logits.subarray(at, at + vocab)));
      if (next === null) left.push(s);
      else s.pending = next;
    });
    return left;
  }

  private dropCancelled(left: Seq[]): void {
    for (const s of this.rows) if (!left.includes(s) && s.job.cancelled?.()) left.push(s);
  }

  /** Rebuilds the decoding cache after rows leave or join: one copy for all the changes of a step. */
  private repack(joined: Seq[], left: Seq[]): void {
    for (const s of left) this.settle(s);
    const stay = this.rows.filter((s) => !left.includes(s));
    const all = [...stay, ...joined];
    if (all.length === 0) {
      this.rows = [];
      this.kv = null;
      this.kvLen = 0;
      return;
    }
    const len = Math.max(...all.map((s) => s.cached));
    const sources = [
      ...stay.map((s) => ({ from: this.kv!, row: this.rows.indexOf(s), keep: s.cached })),
      ...joined.map((s) => ({ from: s.cache!, row: 0, keep: s.cached })),
    ];
    this.kv = gatherKv(this.layout, len, sources);
    this.kvLen = len;
    for (const s of joined) s.cache = null;
    this.rows = all;
  }

  private async forward(
    feeds: Record<string, ort.Tensor>,
    past: ort.Tensor[],
    pastLen: number,
    keepLogits: number,
  ): Promise<Record<string, ort.Tensor>> {
    this.layout.pastNames.forEach((name, i) => {
      feeds[name] = past[i];
    });
    if (this.layout.hasUseCacheBranch) {
      feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(pastLen > 0 ? 1 : 0), [1]);
    }
    if (this.layout.hasNumLogitsToKeep) {
      feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(BigInt(keepLogits)), []);
    }
    return this.session.run(feeds);
  }

  /** Calls a job's callback: what it throws ends that job alone (null), not the loop. */
  private guard<T>(s: Seq, fn: () => T): T | null {
    try {
      return fn();
    } catch (err) {
      s.error = err;
      return null;
    }
  }

  private settle(s: Seq): void {
    s.cache = null;
    if (s.error !== undefined) s.reject(s.error);
    else s.resolve();
  }

  private failAll(err: unknown): void {
    const all = [...this.waiting, ...this.prefilling, ...this.rows];
    this.waiting.length = 0;
    this.prefilling.length = 0;
    this.rows = [];
    this.kv = null;
    this.kvLen = 0;
    for (const s of all) s.reject(err);
  }
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}
