// The key a per-address bound counts a client under. An IPv6 client usually holds a whole /64 (and can pick
// any address in it), so IPv6 addresses count by their /64; an IPv4 address written as IPv6 (::ffff:a.b.c.d)
// counts as that IPv4 address. Anything else (not an IP) is used as given, cut to a bounded length.
import { isIPv4, isIPv6 } from 'node:net';

/** The eight 16-bit groups of an IPv6 address, as numbers (an IPv4 tail becomes the last two). */
function ipv6Groups(ip: string): number[] {
  const [head, tail = ''] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const parts = (s: string | undefined) =>
    !s
      ? []
      : s.split(':').flatMap((g) => {
          if (!g.includes('.')) return [Number.parseInt(g, 16)];
          const [a, b, c, d] = g.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const left = parts(head);
  const right = parts(ip.includes('::') ? tail : undefined);
  return [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
}

export function clientAddressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(ip)) return ip;
  if (isIPv6(ip.split('%')[0])) {
    const groups = ipv6Groups(ip.split('%')[0]).slice(0, 4);
    return `${groups.map((g) => g.toString(16)).join(':')}::/64`;
  }
  return ip.slice(0, 64);
}
