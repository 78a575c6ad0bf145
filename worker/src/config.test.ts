import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_DIR, parseWorkerConfig, workerChannelUrl } from './config';

const TOKEN = 'rig_0123456789abcdefghijklmnopqrstuvwxyz';

function ok(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const r = parseWorkerConfig(argv, env);
  if (r.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r.config;
}

function error(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = parseWorkerConfig(argv, env);
  if (r.kind !== 'error') throw new Error(`expected an error, got ${r.kind}`);
  return r.message;
}

describe('worker arguments', () => {
  it('reads flags, with defaults for the rest', () => {
    expect(ok(['--proxy', 'http://127.0.0.1:8080', '--token', TOKEN])).toEqual({
      proxy: 'http://127.0.0.1:8080',
      token: TOKEN,
      device: 'auto',
      slots: 1,
      tee: 'auto',
      configDir: DEFAULT_CONFIG_DIR,
      metricsHost: '127.0.0.1',
      logLevel: 'info',
      logFormat: 'json',
    });
    expect(
      ok([
        '--proxy=https://proxy.example',
        `--token=${TOKEN}`,
        '--models',
        '/m',
        '--device',
        'cpu',
        '--slots',
        '4',
        '--config-dir',
        '/tmp/k',
        '--tee',
        'tdx',
      ]),
    ).toMatchObject({ models: '/m', device: 'cpu', slots: 4, configDir: '/tmp/k', tee: 'tdx' });
  });

  it('falls back to env, and flags win over env', () => {
    const env = { COCOON_PROXY: 'ws://10.0.0.1:9', COCOON_RIG_TOKEN: TOKEN, COCOON_SLOTS: '3' };
    expect(ok([], env)).toMatchObject({ proxy: 'ws://10.0.0.1:9', token: TOKEN, slots: 3 });
    expect(ok(['--slots', '2'], env).slots).toBe(2);
    expect(ok([], env).threads).toBeUndefined();
    expect(ok(['--threads', '4'], { ...env, COCOON_THREADS: '2' }).threads).toBe(4);
    expect(ok([], { ...env, COCOON_THREADS: '2' }).threads).toBe(2);
  });

  it('names each bad field and says what to fix', () => {
    const msg = error(['--proxy', 'ftp://x', '--slots', '0', '--device', 'gpu']);
    expect(msg).toContain('--proxy (or COCOON_PROXY_URL): must start with http://');
    expect(msg).toContain('--token (or COCOON_RIG_TOKEN): is required');
    expect(msg).toContain('--slots (or COCOON_SLOTS): must be at least 1');
    expect(msg).toContain('--device (or COCOON_DEVICE): must be auto, cuda or cpu');
    expect(error(['--proxy', 'not a url', '--token', TOKEN])).toMatch(/--proxy .*must be a URL/);
    expect(error(['--proxy', 'http://h', '--token', TOKEN, '--slots', '2.5'])).toMatch(/whole number/);
    expect(error(['--proxy', 'http://h', '--token', TOKEN, '--slots', '65'])).toMatch(/at most 64/);
    expect(error(['--proxy', 'http://h', '--token', TOKEN, '--threads', '0'])).toMatch(
      /--threads \(or COCOON_THREADS\): must be at least 1/,
    );
    expect(error(['--proxy', 'http://h', '--token', TOKEN, '--tee', 'sgx'])).toMatch(
      /--tee \(or COCOON_TEE\): must be auto, tdx or none/,
    );
    expect(error(['--proxy', 'http://h', '--token', 'short'])).toMatch(/too short/);
    expect(error(['--bogus'])).toMatch(/Unknown option '--bogus'/);
  });

  it('answers --help', () => {
    expect(parseWorkerConfig(['-h'], {}).kind).toBe('help');
  });

  it('turns the proxy base URL into the worker channel URL', () => {
    expect(workerChannelUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/v1/worker');
    expect(workerChannelUrl('https://p.example/base/')).toBe('wss://p.example/base/v1/worker');
    expect(workerChannelUrl('ws://h:1')).toBe('ws://h:1/v1/worker');
  });

  it('reads the token from a file, so it is not on the command line; a token given directly wins', () => {
    const files: Record<string, string> = { '/run/secrets/rig': `${TOKEN}\n` };
    const read = (p: string) => {
      if (!(p in files)) throw new Error('ENOENT: no such file');
      return files[p];
    };
    const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
      parseWorkerConfig(argv, env, undefined, read);
    const withFile = parse(['--proxy', 'http://h', '--token-file', '/run/secrets/rig']);
    expect(withFile.kind === 'ok' && withFile.config.token).toBe(TOKEN);
    const fromEnv = parse(['--proxy', 'http://h'], { COCOON_RIG_TOKEN_FILE: '/run/secrets/rig' });
    expect(fromEnv.kind === 'ok' && fromEnv.config.token).toBe(TOKEN);
    const missing = parse(['--proxy', 'http://h', '--token-file=/nope']);
    expect(missing.kind === 'error' && missing.lines.join('\n')).toMatch(
      /--token-file \(or COCOON_RIG_TOKEN_FILE\): can't read \/nope: ENOENT/,
    );
    const direct = parse(['--proxy', 'http://h', '--token', `${TOKEN}x`, '--token-file', '/nope']);
    expect(direct.kind === 'ok' && direct.config.token).toBe(`${TOKEN}x`);
  });
});

describe('--dtype', () => {
  const base = ['--proxy', 'http://127.0.0.1:8080', '--token', TOKEN];
  it('takes one dtype for every folder, per-model dtypes, or both', () => {
    expect(ok([...base, '--dtype', 'q8']).dtype).toEqual({ all: 'q8' });
    expect(ok(base, { COCOON_DTYPE: 'q8, qwen=fp16,llama-3=q4f16' }).dtype).toEqual({
      all: 'q8',
      models: { qwen: 'fp16', 'llama-3': 'q4f16' },
    });
    expect(ok(base).dtype).toBeUndefined();
  });
  it('refuses an unknown dtype with the list of known ones', () => {
    expect(error([...base, '--dtype', 'int3'])).toMatch(
      /dtype.*unknown dtype "int3": use one of fp32, fp16, q8/,
    );
    expect(error([...base, '--dtype', 'qwen=fp64'])).toMatch(/unknown dtype "fp64"/);
    expect(error([...base, '--dtype', 'q8,fp16'])).toMatch(/more than one dtype for all models/);
  });
});
