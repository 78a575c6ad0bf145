// Turns "the decoded completion so far" into streamed deltas that never have to be taken back.
// Decoders may still change the tail of the text (a byte-level token that ends mid-character, a
// word-level decoder that removes the space before "." or "'"), and a stop sequence may be
// forming at the end, so the tail after the last whitespace and any partial stop is held back.
export class StopAwareTextStream {
  private emitted = '';
  private stoppedText: string | undefined;

  constructor(
    private readonly stops: readonly string[],
    private readonly onDelta?: (delta: string) => void,
  ) {}

  get stopped(): boolean {
    return this.stoppedText !== undefined;
  }

  /** Feed the full decoded completion; returns true when a stop sequence appeared. */
  update(text: string): boolean {
    if (this.stoppedText !== undefined) return true;
    const cut = firstStopIndex(text, this.stops);
    if (cut >= 0) {
      this.stoppedText = text.slice(0, cut);
      return true;
    }
    this.emitUpTo(this.stablePrefix(text));
    return false;
  }

  /**
   * Final text: emits whatever was held back and returns the completion, cut at the first stop sequence of
   * `text` (the full decode, as an auditor cuts it, whatever an incremental decode saw on the way).
   */
  finish(text: string): string {
    const cut = this.stoppedText === undefined ? -1 : firstStopIndex(text, this.stops);
    const final = cut >= 0 ? text.slice(0, cut) : (this.stoppedText ?? text);
    this.emitUpTo(final);
    return final;
  }

  private stablePrefix(text: string): string {
    let end = text.length;
    while (end > 0 && text[end - 1] === '\uFFFD') end--; // incomplete UTF-8 from a byte-level token
    const lastSpace = Math.max(text.lastIndexOf(' ', end - 1), text.lastIndexOf('\n', end - 1));
    end = Math.max(lastSpace, 0);
    // Hold back a suffix that could be the start of a stop sequence.
    for (const s of this.stops) {
      for (let len = Math.min(s.length - 1, end); len > 0; len--) {
        if (text.slice(end - len, end) === s.slice(0, len)) {
          end -= len;
          break;
        }
      }
    }
    return text.slice(0, end);
  }

  private emitUpTo(prefix: string): void {
    // A decoder may rewrite held text in ways that don't extend what was sent; then wait.
    if (prefix.length <= this.emitted.length || !prefix.startsWith(this.emitted)) return;
    const delta = prefix.slice(this.emitted.length);
    this.emitted = prefix;
    this.onDelta?.(delta);
  }
}

/**
 * Where the earliest stop sequence in `text` begins, or -1: a completion is cut there (what generation
 * returns, and what an auditor expects a claimed text to be).
 */
export function firstStopIndex(text: string, stops: readonly string[]): number {
  let cut = -1;
  for (const s of stops) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (cut < 0 || i < cut)) cut = i;
  }
  return cut;
}

/**
 * Text of a growing token list without decoding the whole list at every step (that is O(n²) and
 * dominated decode time). Tokens before `frozenCount` are decoded once into `frozenText`; each
 * step decodes only a short tail, with a few tokens of left context so that decoders that look at
 * neighbours (spacing, byte-level pieces, SentencePiece's leading space) see what they need. When
 * the context's text is not a prefix of the tail's text, it decodes everything instead.
 */
export class IncrementalDecoder {
  private frozenText = '';
  private frozenCount = 0;
  /** Text of the context tokens before the frozen boundary; changes only when the boundary moves. */
  private contextText = '';

  constructor(
    private readonly decode: (ids: bigint[]) => string,
    private readonly context = 4,
    private readonly maxTail = 12,
  ) {}

  text(ids: bigint[]): string {
    // Move the boundary first when the tail has grown, so the tail decoded below stays short: a caller
    // that asks only now and then pays one decode of the new tokens, not two.
    if (ids.length - this.frozenCount > this.maxTail) {
      const count = ids.length - this.context;
      const frozen = this.extend(ids, count) ?? this.decode(ids.slice(0, count));
      this.frozenText = frozen;
      this.frozenCount = count;
      this.contextText = this.decode(ids.slice(Math.max(0, count - this.context), count));
    }
    return this.extend(ids, ids.length) ?? this.decode(ids);
  }

  /** Text of ids[0:end] from the frozen part plus a tail decode, or undefined if that isn't safe. */
  private extend(ids: bigint[], end: number): string | undefined {
    const start = Math.max(0, this.frozenCount - this.context);
    const ctx = this.contextText;
    const tail = this.decode(ids.slice(start, end));
    if (!tail.startsWith(ctx) || ctx.endsWith('\uFFFD')) return undefined;
    return this.frozenText + tail.slice(ctx.length);
  }
}
