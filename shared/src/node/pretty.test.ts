import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { clock, prettyLine, wantsColor } from './pretty';

describe('pretty log lines', () => {
  it('one short line in local time: message, then the fields; no pid, host or name', () => {
    const time = new Date(2026, 0, 2, 3, 4, 5).getTime();
    const line = prettyLine({
      level: 30,
      time,
      pid: 1,
      hostname: 'h',
      name: 'cocoon-proxy',
      msg: 'job done',
      model: 'demo-gen',
      tokens: 40,
      cost: '0.00004 TON',
    });
    expect(line).toBe('03:04:05 job done  model=demo-gen tokens=40 cost="0.00004 TON"');
  });

  it('tags warnings and errors, and shows an error by its message', () => {
    const line = prettyLine({
      level: 50,
      time: 0,
      msg: 'sweep failed',
      err: { type: 'Error', message: 'db gone' },
    });
    expect(line).toMatch(/^\d\d:\d\d:\d\d error {2}sweep failed {2}err="db gone"$/);
    expect(prettyLine({ level: 40, time: 0, msg: 'x' })).toMatch(/ warn {2}x$/);
  });

  it('createLogger with format pretty writes no JSON, and still redacts', () => {
    const out: string[] = [];
    const log = createLogger({
      level: 'info',
      format: 'pretty',
      destination: { write: (s: string) => out.push(s) },
    });
    log.info({ token: 'secret-token', rigId: 'r1' }, 'rig online');
    log.debug({}, 'request');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d rig online {2}token=\[redacted\] rigId=r1\n$/);
    expect(out[0]).not.toContain('secret-token');
  });

  it('colours on a terminal or with FORCE_COLOR, never with NO_COLOR', () => {
    expect(wantsColor({ isTTY: true }, {})).toBe(true);
    expect(wantsColor({ isTTY: false }, {})).toBe(false);
    expect(wantsColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(clock(new Date(2026, 0, 1, 9, 8, 7))).toBe('09:08:07');
  });
});
