import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signInitData, validateInitData } from './telegram-init-data';

const token = '123456:TEST-token';
const user = { id: 42, first_name: 'Ada', username: 'ada' };

describe('Telegram initData', () => {
  it('accepts data signed with the bot token', () => {
    const raw = signInitData({ user, query_id: 'AAE' }, token);
    const res = validateInitData(raw, token, 3600);
    expect(res).toMatchObject({ ok: true, user: { id: 42, first_name: 'Ada' } });
  });

  it('matches the reference HMAC for a fixed input', () => {
    // Computed independently with node:crypto, following Telegram's documented algorithm.
    const raw = signInitData({ user, auth_date: 1_700_000_000 }, token);
    const secret = createHmac('sha256', 'WebAppData').update(token).digest();
    const check = `auth_date=1700000000\nuser=${JSON.stringify(user)}`;
    expect(new URLSearchParams(raw).get('hash')).toBe(
      createHmac('sha256', secret).update(check).digest('hex'),
    );
    expect(validateInitData(raw, token, 10, new Date(1_700_000_005_000))).toMatchObject({ ok: true });
  });

  it('rejects forged, tampered, expired and malformed data', () => {
    const raw = signInitData({ user }, token);
    expect(validateInitData(raw, 'other:token', 3600)).toEqual({ ok: false, reason: 'bad_signature' });
    const tampered = raw.replace('Ada', 'Eve');
    expect(validateInitData(tampered, token, 3600)).toEqual({ ok: false, reason: 'bad_signature' });
    const old = signInitData({ user, auth_date: Math.floor(Date.now() / 1000) - 7200 }, token);
    expect(validateInitData(old, token, 3600)).toEqual({ ok: false, reason: 'expired' });
    expect(validateInitData('garbage', token, 3600)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses initData dated in the future, which would never expire (small clock skew is fine)', () => {
    const now = Math.floor(Date.now() / 1000);
    const future = signInitData({ user, auth_date: now + 10 * 365 * 86_400 }, token);
    expect(validateInitData(future, token, 3600)).toEqual({ ok: false, reason: 'from_the_future' });
    const skewed = signInitData({ user, auth_date: now + 60 }, token);
    expect(validateInitData(skewed, token, 3600)).toMatchObject({ ok: true });
  });
});
