import { describe, expect, it } from 'vitest';
import { clientAddressKey } from './address-key';

describe('the key a client address counts under', () => {
  it('counts an IPv6 client by its /64, however it writes the address', () => {
    const key = clientAddressKey('2001:db8::1');
    for (const ip of [
      '2001:db8::8',
      '2001:db8:0:0:ffff::1',
      '2001:0db8:0000:0000::abcd',
      '2001:db8::1.2.3.4',
    ])
      expect(clientAddressKey(ip)).toBe(key);
    expect(key).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey('2001:db8:0:1::1')).not.toBe(key);
    expect(clientAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
  });

  it('counts an IPv4 address written as IPv6 as the IPv4 address; bounds anything else', () => {
    expect(clientAddressKey('::ffff:198.51.100.9')).toBe('198.51.100.9');
    expect(clientAddressKey('198.51.100.9')).toBe('198.51.100.9');
    expect(clientAddressKey(`junk${'x'.repeat(500)}`)).toHaveLength(64);
  });
});
