import ipaddr from 'ipaddr.js';

/** IPv6 prefixes that embed or translate an IPv4 address, or are otherwise not a public destination. */
const EXTRA_BLOCKED_V6: [ipaddr.IPv6, number][] = [
  [ipaddr.IPv6.parse('::'), 96], // IPv4-compatible (deprecated): ::127.0.0.1
  [ipaddr.IPv6.parse('64:ff9b:1::'), 48], // local-use NAT64 (RFC 8215)
];

/**
 * Why `address` (an IP literal, any spelling ipaddr.js understands) must not be connected to, or
 * undefined when it is a public unicast address. Anything ipaddr.js does not rate `unicast` is
 * blocked: loopback, private, link-local (and so 169.254.169.254), CGNAT, unique-local
 * (and so fd00:ec2::254), multicast, broadcast, unspecified, reserved, IPv4-mapped / -translated IPv6.
 */
export function blockedAddressReason(address: string): string | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const withoutZone = bare.split('%')[0] ?? bare;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(withoutZone);
  } catch {
    return 'not a valid IP address';
  }
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) {
      const inner = blockedAddressReason(v6.toIPv4Address().toString());
      return `IPv4-mapped IPv6${inner ? ` of a ${inner} address` : ''}`;
    }
    for (const [prefix, bits] of EXTRA_BLOCKED_V6) {
      if (v6.match(prefix, bits)) {
        if (v6.toNormalizedString() === '0:0:0:0:0:0:0:0') return 'unspecified';
        if (v6.toNormalizedString() === '0:0:0:0:0:0:0:1') return 'loopback';
        return 'IPv4-embedding IPv6';
      }
    }
  }
  const range = parsed.range();
  return range === 'unicast' ? undefined : range;
}

/** True when `host` (a URL hostname, brackets allowed) is an IP literal rather than a DNS name. */
export function isIpLiteral(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return ipaddr.IPv4.isValidFourPartDecimal(bare) || ipaddr.IPv6.isValid(bare);
}
