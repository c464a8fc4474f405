import { isIP } from 'node:net';
import { AppError } from '@zocket/contracts';
import {
  type Allowlist,
  isAddressAllowed,
  isAllowlistedHostname,
  normaliseHostname,
  stripBrackets,
} from '@zocket/service-kit';

/*
 * Image URLs the processor's SSRF guard would refuse, refused when they are written: a literal
 * address that is not public (loopback, private, link-local such as the cloud metadata address
 * 169.254.169.254, IPv4-mapped, ...; the URL parser has already turned `0x7f000001`, `2130706433`
 * or `127.1` into `127.0.0.1`) and the `localhost` names, unless `FETCH_ALLOWLIST` names them.
 * A hostname is not resolved here: what it resolves to is checked by the processor when it
 * connects, the only moment the answer counts.
 */

const REFUSED_ADDRESS =
  'must not point at a loopback, private, link-local (cloud metadata) or other non-public address';

/** Throws VALIDATION_FAILED naming each refused `imageUrls.N`; the URLs are already valid http(s). */
export function checkImageUrls(urls: readonly string[] | undefined, allowlist: Allowlist): void {
  if (urls === undefined) return;
  const fields: Record<string, string[]> = {};
  urls.forEach((url, index) => {
    const reason = refusal(url, allowlist);
    if (reason !== undefined) fields[`imageUrls.${index}`] = [reason];
  });
  if (Object.keys(fields).length > 0) {
    throw new AppError('VALIDATION_FAILED', 'invalid input', { fields });
  }
}

function refusal(url: string, allowlist: Allowlist): string | undefined {
  const host = new URL(url).hostname;
  const bare = stripBrackets(host);
  if (isIP(bare) !== 0) return isAddressAllowed(allowlist, bare) ? undefined : REFUSED_ADDRESS;
  const name = normaliseHostname(host);
  const local = name === 'localhost' || name.endsWith('.localhost');
  return local && !isAllowlistedHostname(allowlist, name) ? REFUSED_ADDRESS : undefined;
}
