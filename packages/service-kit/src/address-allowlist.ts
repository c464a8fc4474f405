import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Hosts and networks an image URL may name (the API) and the fetcher may reach (the processor)
 * even though they are not public, e.g. the local MinIO in development or `127.0.0.1` in tests.
 * Built once from config by `parseAllowlist`.
 */
export interface Allowlist {
  /** Lower-case hostnames without a trailing dot, matched exactly. */
  readonly hostnames: ReadonlySet<string>;
  /** Networks as `[address, prefixLength]`; a single IP is a /32 or /128. */
  readonly networks: readonly (readonly [Address, number])[];
}

/** The global unicast block; IPv6 outside it is never a public destination. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * Parses `"127.0.0.1,::1,10.1.0.0/16,images.test"`: hostnames (exact, case-insensitive) or
 * IPs/CIDRs. An empty string allows nothing beyond public addresses. Throws on a bad entry so a
 * typo in config fails at boot rather than silently refusing (or allowing) traffic.
 */
export function parseAllowlist(csv: string): Allowlist {
  const hostnames = new Set<string>();
  const networks: (readonly [Address, number])[] = [];
  for (const raw of csv.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry.includes('/')) {
      networks.push(parseNetwork(entry));
    } else if (isIP(stripBrackets(entry)) !== 0) {
      const address = ipaddr.parse(stripBrackets(entry));
      networks.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else {
      const hostname = normaliseHostname(entry);
      // Non-standard IPv4 spellings ("127.1", "0x7f.1") look like hostnames; refusing them keeps
      // the list unambiguous.
      if (!HOSTNAME.test(hostname) || /^[0-9.]+$|^0x/i.test(hostname)) {
        throw new Error(`invalid allowlist entry "${entry}": expected a hostname, IP or CIDR`);
      }
      hostnames.add(hostname);
    }
  }
  return { hostnames, networks };
}

function parseNetwork(entry: string): readonly [Address, number] {
  const [ip = '', prefix = ''] = entry.split('/');
  const valid =
    /^\d{1,3}$/.test(prefix) &&
    (ipaddr.IPv4.isValidCIDRFourPartDecimal(entry) ||
      (isIP(ip) === 6 && ipaddr.IPv6.isValidCIDR(entry)));
  if (!valid) throw new Error(`invalid allowlist entry "${entry}": not a valid CIDR`);
  return ipaddr.parseCIDR(entry);
}

/** A URL's hostname as an address: `[::1]` becomes `::1`; anything else is returned as it is. */
export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Lower-cases and drops the trailing root dot, so `Images.Test.` matches `images.test`. */
export function normaliseHostname(hostname: string): string {
  const lower = hostname.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

export function isAllowlistedHostname(allowlist: Allowlist, hostname: string): boolean {
  return allowlist.hostnames.has(normaliseHostname(hostname));
}

/** True when `ip` falls inside an allowlisted network of the same family. */
export function isAllowlistedAddress(allowlist: Allowlist, ip: string): boolean {
  const address = parseStrict(ip);
  if (address === undefined) return false;
  return allowlist.networks.some(
    ([network, prefix]) => network.kind() === address.kind() && address.match(network, prefix),
  );
}

/**
 * True for addresses that are safe to connect to from inside our network: ipaddr.js must class
 * them as plain `unicast` (so loopback, RFC1918, fc00::/7, link-local incl. 169.254.169.254,
 * CGNAT, multicast, unspecified, broadcast, reserved, documentation, benchmarking, NAT64, 6to4,
 * Teredo and IPv4-mapped are all refused), and IPv6 must also sit in 2000::/3. IPv4-mapped IPv6
 * is refused outright rather than unwrapped: no legitimate image host is published that way.
 */
export function isPublicAddress(ip: string): boolean {
  const address = parseStrict(ip);
  if (address === undefined) return false;
  if (address.kind() === 'ipv4') return address.range() === 'unicast';
  const v6 = address as ipaddr.IPv6;
  return v6.range() === 'unicast' && v6.match(GLOBAL_UNICAST_V6);
}

/** Parses only the canonical textual forms `net.isIP` accepts (no "127.1" or "0x7f.0.0.1"). */
function parseStrict(ip: string): Address | undefined {
  const bare = stripBrackets(ip);
  if (isIP(bare) === 0) return undefined;
  try {
    return ipaddr.parse(bare);
  } catch {
    return undefined;
  }
}

/** Whether the fetcher may connect to `ip`: public, or inside an allowlisted network. */
export function isAddressAllowed(allowlist: Allowlist, ip: string): boolean {
  return isPublicAddress(ip) || isAllowlistedAddress(allowlist, ip);
}
