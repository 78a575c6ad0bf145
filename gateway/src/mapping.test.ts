import { describe, expect, it } from 'vitest';
import {
  AppendOnlyText,
  asSummarizePlan,
  chatChunk,
  chatCompletion,
  chatPlan,
  completionPlan,
  DEFAULT_MAX_TOKENS,
  InvalidRequest,
  summarySources,
  textCompletion,
  unsentText,
  unsupportedKindMessage,
  usageOf,
} from './mapping';

function invalid(fn: () => unknown): InvalidRequest {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequest);
    return err as InvalidRequest;
  }
  throw new Error('expected InvalidRequest');
}

const user = (content: string) => ({ role: 'user', content });

describe('chat completion requests → chat job bodies', () => {
  it('maps messages, limits and sampling', () => {
    const p = chatPlan({
      model: 'test-echo',
      messages: [
        { role: 'developer', content: 'be brief' },
        {
          role: 'user',
          name: 'ann',
          content: [
            { type: 'text', text: 'hi ' },
            { type: 'text', text: 'there' },
          ],
        },
        { role: 'assistant', content: null },
      ],
      max_tokens: 10,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      seed: 1234,
      stop: 'END',
      stream: true,
      stream_options: { include_usage: true },
      max_price: '2000000',
      timeout: 1.5,
      user: 'ignored-extra-field',
    });
    expect(p).toEqual({
      model: 'test-echo',
      stream: true,
      includeUsage: true,
      maxPriceNanoPer1k: 2_000_000n,
      timeoutMs: 1500,
      body: {
        kind: 'chat',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', author: 'ann', content: 'hi there' },
          { role: 'assistant', content: '' },
        ],
        maxTokens: 10,
        temperature: 0.5,
        topP: 0.9,
        topK: 40,
        seed: 1234,
        stop: ['END'],
      },
    });
  });

  it('prefers max_completion_tokens, defaults the rest, and takes max_price as a number', () => {
    const p = chatPlan({
      model: 'm',
      messages: [user('x')],
      max_tokens: 5,
      max_completion_tokens: 7,
      max_price: 1000,
      stop: ['a', 'b'],
    });
    expect(p.body).toMatchObject({ maxTokens: 7, stop: ['a', 'b'] });
    expect(p.maxPriceNanoPer1k).toBe(1000n);
    expect(p.stream).toBe(false);
    const d = chatPlan({ model: 'm', messages: [user('x')], temperature: null, stop: null });
    expect(d.body).toEqual({
      kind: 'chat',
      messages: [{ role: 'user', content: 'x' }],
      maxTokens: DEFAULT_MAX_TOKENS,
    });
    expect(d.maxPriceNanoPer1k).toBeUndefined();
    // Two minutes to wait and start, then 256 tokens at the slowest rate the proxy accepts (1 token/s).
    expect(d.timeoutMs).toBe(120_000 + 30_000 + DEFAULT_MAX_TOKENS * 1000);
  });

  it('a request naming no timeout gets one that grows with max tokens, to fit a slow rig that keeps producing', () => {
    // The proxy lets a rig produce at 1 token/s (its run time cap): 4,000 tokens may take over an hour.
    const long = chatPlan({ model: 'm', messages: [user('x')], max_tokens: 4000 });
    expect(long.timeoutMs).toBeGreaterThanOrEqual(4000 * 1000);
    // A timeout the request names is kept as it is.
    expect(chatPlan({ model: 'm', messages: [user('x')], max_tokens: 4000, timeout: 10 }).timeoutMs).toBe(
      10_000,
    );
  });

  it.each([
    [{ messages: [user('x')] }, 'model', /model: is required/],
    [{ model: 'm' }, 'messages', /messages: is required/],
    [{ model: 'm', messages: [] }, 'messages', /at least one message/],
    [
      { model: 'm', messages: [{ role: 'tool', content: 'x' }] },
      'messages[0].role',
      /tools are not supported/,
    ],
    [
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url' }] }] },
      'messages[0].content',
      /text parts/,
    ],
    [{ model: 'm', messages: [user('x')], temperature: 3 }, 'temperature', /0 to 2/],
    [{ model: 'm', messages: [user('x')], top_p: 0 }, 'top_p', /above 0/],
    [{ model: 'm', messages: [user('x')], seed: 1.5 }, 'seed', /whole number/],
    [{ model: 'm', messages: [user('x')], seed: -1 }, 'seed', /0 or more/],
    [{ model: 'm', messages: [user('x')], top_k: 'x' }, 'top_k', /whole number/],
    [{ model: 'm', messages: [user('x')], max_tokens: 0 }, 'max_tokens', /at least 1/],
    [{ model: 'm', messages: [user('x')], max_tokens: 100_001 }, 'max_tokens', /at most 100000/],
    [
      { model: 'm', messages: [user('x')], max_completion_tokens: 1.5 },
      'max_completion_tokens',
      /whole number/,
    ],
    [{ model: 'm', messages: [user('x')], stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', /at most 4/],
    [{ model: 'm', messages: [user('x')], stop: '' }, 'stop', /1 to 64/],
    [{ model: 'm', messages: [user('x')], n: 2 }, 'n', /n = 1/],
    [{ model: 'm', messages: [user('x')], max_price: -1 }, 'max_price', /nanoTON/],
    [{ model: 'm', messages: [user('x')], max_price: '1.5' }, 'max_price', /nanoTON/],
    [{ model: 'm', messages: [user('x')], timeout: 0 }, 'timeout', /seconds/],
    [{ model: 'm', messages: [user('x')], stream: 'yes' }, 'stream', /boolean/],
    [{ model: 'm', messages: [user('x')], cocoon_min_trust: 'sgx' }, 'cocoon_min_trust', /"open" or "tdx"/],
    [{ model: 'm', messages: [user('x')], cocoon_min_trust: 1 }, 'cocoon_min_trust', /"open" or "tdx"/],
    [{ model: 'm', messages: [user('x')], cocoon_priority: 'fast' }, 'cocoon_priority', /"price" or "speed"/],
    [{ model: 'm', messages: [user('x')], cocoon_priority: 2 }, 'cocoon_priority', /"price" or "speed"/],
  ])('refuses %j naming %s', (body, param, message) => {
    const err = invalid(() => chatPlan(body));
    expect(err.param).toBe(param);
    expect(err.message.startsWith(`${param}: `)).toBe(true);
    expect(err.message).toMatch(message);
  });

  it('refuses a body that is not a JSON object', () => {
    for (const body of [undefined, null, 'text', [1]]) {
      const err = invalid(() => chatPlan(body));
      expect(err.param).toBeNull();
      expect(err.message).toMatch(/JSON object/);
    }
  });
});

describe('the trust tier a request asks for', () => {
  it('takes cocoon_min_trust on chat and text completions, and leaves it to the gateway when unset', () => {
    expect(chatPlan({ model: 'm', messages: [user('x')], cocoon_min_trust: 'tdx' }).minTrust).toBe('tdx');
    expect(chatPlan({ model: 'm', messages: [user('x')], cocoon_min_trust: 'open' }).minTrust).toBe('open');
    expect(chatPlan({ model: 'm', messages: [user('x')], cocoon_min_trust: null }).minTrust).toBeUndefined();
    expect(chatPlan({ model: 'm', messages: [user('x')] }).minTrust).toBeUndefined();
    expect(completionPlan({ model: 'm', prompt: 'x', cocoon_min_trust: 'tdx' }).minTrust).toBe('tdx');
    const err = invalid(() => completionPlan({ model: 'm', prompt: 'x', cocoon_min_trust: 'TDX' }));
    expect(err.param).toBe('cocoon_min_trust');
    expect(err.message).toBe('cocoon_min_trust: must be "open" or "tdx"');
  });
});

describe('the priority a request asks for', () => {
  it('takes cocoon_priority on chat and text completions, and leaves the market default when unset', () => {
    expect(chatPlan({ model: 'm', messages: [user('x')], cocoon_priority: 'speed' }).priority).toBe('speed');
    expect(chatPlan({ model: 'm', messages: [user('x')], cocoon_priority: 'price' }).priority).toBe('price');
    expect(chatPlan({ model: 'm', messages: [user('x')], cocoon_priority: null }).priority).toBeUndefined();
    expect(chatPlan({ model: 'm', messages: [user('x')] }).priority).toBeUndefined();
    expect(completionPlan({ model: 'm', prompt: 'x', cocoon_priority: 'speed' }).priority).toBe('speed');
    const err = invalid(() => completionPlan({ model: 'm', prompt: 'x', cocoon_priority: 'SPEED' }));
    expect(err.param).toBe('cocoon_priority');
    expect(err.message).toBe('cocoon_priority: must be "price" or "speed"');
  });
});

describe('text completion requests → generate job bodies', () => {
  it('maps prompt (string or one-element array), limits and sampling', () => {
    const p = completionPlan({ model: 'm', prompt: ['say hi'], max_tokens: 3, stop: ['\n'], temperature: 0 });
    expect(p.body).toEqual({
      kind: 'generate',
      prompt: 'say hi',
      maxTokens: 3,
      stop: ['\n'],
      temperature: 0,
    });
    expect(completionPlan({ model: 'm', prompt: 'x', echo: false, logprobs: null, best_of: 1 }).body).toEqual(
      {
        kind: 'generate',
        prompt: 'x',
        maxTokens: DEFAULT_MAX_TOKENS,
      },
    );
  });

  it.each([
    [{ model: 'm' }, 'prompt'],
    [{ model: 'm', prompt: ['a', 'b'] }, 'prompt'],
    [{ model: 'm', prompt: 'x', echo: true }, 'echo'],
    [{ model: 'm', prompt: 'x', logprobs: 2 }, 'logprobs'],
    [{ model: 'm', prompt: 'x', best_of: 3 }, 'best_of'],
    [{ model: 'm', prompt: 'x', suffix: 'y' }, 'suffix'],
  ])('refuses %j naming %s', (body, param) => {
    expect(invalid(() => completionPlan(body)).param).toBe(param);
  });
});

describe('responses', () => {
  const meta = { id: 'chatcmpl-1', created: 1700000000, model: 'test-echo' };
  const result = {
    text: 'HELLO',
    promptTokens: 3,
    completionTokens: 1,
    finishReason: 'length' as const,
    jobId: 'j',
    rigId: 'r',
    costNano: 123_456_789_012_345_678_901n,
  };

  it('carries OpenAI usage plus the exact cost as a string', () => {
    expect(usageOf(result)).toEqual({
      prompt_tokens: 3,
      completion_tokens: 1,
      total_tokens: 4,
      cost_nanoton: '123456789012345678901',
    });
  });

  it('builds chat.completion, chunks and text_completion objects', () => {
    expect(chatCompletion(meta, result)).toMatchObject({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'test-echo',
      choices: [{ index: 0, message: { role: 'assistant', content: 'HELLO' }, finish_reason: 'length' }],
      usage: { total_tokens: 4 },
    });
    expect(chatChunk(meta, { content: 'HE' }, null)).toMatchObject({
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { content: 'HE' }, finish_reason: null }],
    });
    expect(chatChunk(meta, { content: 'HE' }, null)).not.toHaveProperty('usage');
    expect(textCompletion(meta, result)).toMatchObject({
      object: 'text_completion',
      choices: [{ index: 0, text: 'HELLO', finish_reason: 'length' }],
    });
  });
});

describe('the end of a stream', () => {
  it('sends the part of the final text no chunk carried', () => {
    expect(unsentText('', 'HELLO WORLD')).toBe('HELLO WORLD');
    expect(unsentText('HELLO', 'HELLO WORLD')).toBe(' WORLD');
    expect(unsentText('HELLO WORLD', 'HELLO WORLD')).toBe('');
    expect(unsentText('OTHER', 'HELLO WORLD')).toBe('');
  });
});

describe('a stream that starts over on another rig', () => {
  it('holds the new rig back until it passes what was sent, then goes on from there', () => {
    const t = new AppendOnlyText();
    expect([t.push('HELLO'), t.push(' BIG')]).toEqual(['HELLO', ' BIG']);
    t.restart();
    expect([t.push('HEL'), t.push('LO'), t.push(' BIG W'), t.push('ORLD')]).toEqual(['', '', ' W', 'ORLD']);
    expect(t.sent).toBe('HELLO BIG WORLD');
    expect(t.diverged).toBe(false);
  });

  it('sends nothing more once the new rig says something else', () => {
    const t = new AppendOnlyText();
    t.push('HELLO WORLD');
    t.restart();
    expect(t.push('HELP')).toBe('');
    expect(t.diverged).toBe(true);
    expect(t.push(' ME AND MORE TEXT')).toBe('');
    expect(t.sent).toBe('HELLO WORLD');
  });
});

describe('requests for a model that serves another kind', () => {
  it('a chat completion becomes a summary of its conversation (system messages left out)', () => {
    const p = asSummarizePlan(
      chatPlan({
        model: 'summarize-extractive',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', name: 'ann', content: 'We meet Friday at 10' },
          { role: 'user', content: 'ok' },
        ],
      }),
    );
    expect(p.body).toEqual({
      kind: 'summarize',
      messages: [{ author: 'ann', text: 'We meet Friday at 10' }, { text: 'ok' }],
      maxTokens: DEFAULT_MAX_TOKENS,
    });
    expect(summarySources(p, 'ann: We meet Friday at 10')).toEqual([{ line: 0, message_index: 0 }]);
  });

  it('a text completion becomes a summary of its prompt', () => {
    const p = asSummarizePlan(completionPlan({ model: 'm', prompt: 'Ann: hi\nBob: bye', max_tokens: 50 }));
    expect(p.body).toEqual({ kind: 'summarize', messages: [{ text: 'Ann: hi\nBob: bye' }], maxTokens: 50 });
  });

  it('names what a model serves', () => {
    const msg = unsupportedKindMessage('demo-gen', 'chat', ['generate']);
    expect(msg).toContain('model demo-gen does not serve chat requests; it serves generate');
    expect(msg).toContain('POST /v1/completions');
  });
});
