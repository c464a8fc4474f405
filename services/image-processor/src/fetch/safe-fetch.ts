import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { ImageFailureCode } from '@zocket/contracts';
import {
  type Allowlist,
  isAddressAllowed,
  isAllowlistedHostname,
  stripBrackets,
} from '@zocket/service-kit';

export { type Allowlist, isPublicAddress, parseAllowlist } from '@zocket/service-kit';

export interface SafeFetchOptions {
  /** From `parseAllowlist(config)`; hosts and networks allowed beyond public addresses. */
  allowlist: Allowlist;
  /** Per connection: DNS lookup plus TCP connect. */
  connectTimeoutMs: number;
  /** The whole fetch, including redirects and the body. */
  totalTimeoutMs: number;
  /** Body cap, enforced while streaming. */
  maxBytes: number;
  /** Default 5. */
  maxRedirects?: number;
  userAgent?: string;
  signal?: AbortSignal;
}

export interface FetchedSource {
  body: Buffer;
  contentType: string | undefined;
  finalUrl: string;
}

export type FetchErrorCode = Extract<
  ImageFailureCode,
  | 'SOURCE_NOT_FOUND'
  | 'SOURCE_REFUSED'
  | 'SOURCE_TOO_LARGE'
  | 'SOURCE_TIMEOUT'
  | 'SOURCE_UNAVAILABLE'
>;

const RETRYABLE: Record<FetchErrorCode, boolean> = {
  SOURCE_NOT_FOUND: false,
  SOURCE_REFUSED: false,
  SOURCE_TOO_LARGE: false,
  SOURCE_TIMEOUT: true,
  SOURCE_UNAVAILABLE: true,
};

/** Why a source could not be fetched. Messages are stored as failure reasons: no bodies in them. */
export class FetchError extends Error {
  override readonly name = 'FetchError';
  readonly code: FetchErrorCode;
  readonly retryable: boolean;
  readonly status?: number;

  constructor(
    code: FetchErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = RETRYABLE[code];
    if (options.status !== undefined) this.status = options.status;
  }
}

const DEFAULT_MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Fetches an image source over http(s) without letting the URL reach our own network: every
 * address is checked at connect time (inside the socket's DNS lookup, so a rebinding DNS answer
 * cannot slip past), IP literals are checked before connecting, and every redirect starts over.
 */
export async function safeFetch(url: string, options: SafeFetchOptions): Promise<FetchedSource> {
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const deadline = new AbortController();
  const timer = setTimeout(() => {
    deadline.abort(
      new FetchError(
        'SOURCE_TIMEOUT',
        `fetch did not complete within ${options.totalTimeoutMs} ms`,
      ),
    );
  }, options.totalTimeoutMs);
  const signal =
    options.signal === undefined
      ? deadline.signal
      : AbortSignal.any([deadline.signal, options.signal]);
  try {
    let current = parseSourceUrl(url);
    for (let redirects = 0; ; redirects++) {
      const outcome = await requestOnce(current, options, signal);
      if (outcome.kind === 'body') {
        return { body: outcome.body, contentType: outcome.contentType, finalUrl: current.href };
      }
      if (redirects >= maxRedirects) {
        throw new FetchError('SOURCE_REFUSED', `too many redirects (more than ${maxRedirects})`);
      }
      current = parseSourceUrl(outcome.location, current);
    }
  } finally {
    clearTimeout(timer);
  }
}

function parseSourceUrl(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch (cause) {
    const what = base === undefined ? 'source URL' : 'redirect Location';
    throw new FetchError('SOURCE_REFUSED', `${what} is not a valid URL`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const how = base === undefined ? '' : 'redirect to ';
    throw new FetchError(
      'SOURCE_REFUSED',
      `${how}${url.protocol} URL refused: only http and https are fetched`,
    );
  }
  if (url.hostname === '') throw new FetchError('SOURCE_REFUSED', 'source URL has no host');
  return url;
}

type Outcome =
  | { kind: 'body'; body: Buffer; contentType: string | undefined }
  | { kind: 'redirect'; location: string };

function requestOnce(url: URL, options: SafeFetchOptions, signal: AbortSignal): Promise<Outcome> {
  const host = stripBrackets(url.hostname);
  // Node connects to IP literals without calling `lookup`, so they are checked here instead.
  if (isIP(host) !== 0 && !isAddressAllowed(options.allowlist, host)) {
    return Promise.reject(refusedAddress(url.host, host));
  }
  if (signal.aborted) return Promise.reject(abortError(signal));

  return new Promise<Outcome>((resolve, reject) => {
    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;
    const finish = (error: FetchError | undefined, outcome?: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      signal.removeEventListener('abort', onAbort);
      // Only a body read to its end leaves nothing on the wire. Anything else (an error, a
      // redirect whose body we never read) closes the socket now: once we return, no deadline or
      // byte cap watches it, and a server could stream into it for as long as it liked.
      if (outcome?.kind !== 'body') req.destroy();
      if (error !== undefined) {
        reject(error);
      } else if (outcome !== undefined) {
        resolve(outcome);
      }
    };
    const onAbort = (): void => finish(abortError(signal));

    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req: ClientRequest = send({
      protocol: url.protocol,
      host,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      // Credentials in the URL (user:pass@) are deliberately not sent, nor are cookies.
      headers: {
        Host: url.host,
        Accept: 'image/*',
        'Accept-Encoding': 'identity',
        'User-Agent': options.userAgent ?? 'zocket-image-processor',
      },
      agent: false,
      lookup: guardedLookup(options.allowlist, url.host),
    });

    signal.addEventListener('abort', onAbort, { once: true });
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      connectTimer = setTimeout(() => {
        finish(
          new FetchError(
            'SOURCE_TIMEOUT',
            `could not connect to ${url.host} within ${options.connectTimeoutMs} ms`,
          ),
        );
      }, options.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(connectTimer));
    });
    req.on('error', (error) => finish(classifyNetworkError(error, url.host)));
    req.on('response', (res) => {
      readResponse(res, url, options.maxBytes).then(
        (outcome) => finish(undefined, outcome),
        (error: unknown) =>
          finish(error instanceof FetchError ? error : classifyNetworkError(error, url.host)),
      );
    });
    req.end();
  });
}

function readResponse(res: IncomingMessage, url: URL, maxBytes: number): Promise<Outcome> {
  const status = res.statusCode ?? 0;
  if (REDIRECT_STATUSES.has(status)) {
    // The body is not read: requestOnce closes the connection as soon as this settles.
    const location = res.headers.location;
    if (location === undefined || location === '') {
      return Promise.reject(
        new FetchError('SOURCE_NOT_FOUND', `${url.host} answered ${status} without a Location`, {
          status,
        }),
      );
    }
    return Promise.resolve({ kind: 'redirect', location });
  }
  if (status < 200 || status > 299) {
    res.resume();
    return Promise.reject(statusError(status, url.host));
  }
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.reject(tooLarge(url.host, maxBytes, `declares ${declared} bytes`));
  }

  const contentType = res.headers['content-type'];
  return new Promise<Outcome>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      // Content-Length is never trusted: the cap is counted on the bytes that actually arrive.
      if (received > maxBytes) {
        reject(tooLarge(url.host, maxBytes, 'sent more'));
        res.destroy();
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => {
      resolve({ kind: 'body', body: Buffer.concat(chunks, received), contentType });
    });
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) {
        reject(
          new FetchError(
            'SOURCE_UNAVAILABLE',
            `${url.host} closed the connection before the body was complete`,
          ),
        );
      }
    });
  });
}

/**
 * A `lookup` for http.request that resolves every address and refuses the connection when any
 * one of them is not allowed, so the address checked is the address connected to.
 */
function guardedLookup(allowlist: Allowlist, displayHost: string): LookupFunction {
  return (hostname, options: LookupOptions, callback) => {
    const trusted = isAllowlistedHostname(allowlist, hostname);
    dnsLookup(
      hostname,
      { family: options.family ?? 0, hints: options.hints, all: true },
      (error, addresses) => {
        if (error !== null) {
          callback(error, '', 0);
          return;
        }
        const list: LookupAddress[] = addresses;
        const bad = trusted
          ? undefined
          : list.find((entry) => !isAddressAllowed(allowlist, entry.address));
        if (bad !== undefined) {
          callback(refusedAddress(displayHost, bad.address), '', 0);
          return;
        }
        const first = list[0];
        if (first === undefined) {
          callback(
            new FetchError('SOURCE_NOT_FOUND', `${displayHost} did not resolve to any address`),
            '',
            0,
          );
          return;
        }
        if (options.all === true) callback(null, list);
        else callback(null, first.address, first.family);
      },
    );
  };
}

function refusedAddress(host: string, address: string): FetchError {
  const shown = host.includes(address) ? host : `${host} (${address})`;
  return new FetchError('SOURCE_REFUSED', `${shown} is not a public address; refused`);
}

function tooLarge(host: string, maxBytes: number, detail: string): FetchError {
  return new FetchError(
    'SOURCE_TOO_LARGE',
    `source at ${host} is larger than ${maxBytes} bytes (${detail})`,
  );
}

function abortError(signal: AbortSignal): FetchError {
  const reason: unknown = signal.reason;
  if (reason instanceof FetchError) return reason;
  return new FetchError('SOURCE_UNAVAILABLE', 'fetch aborted', { cause: reason });
}

function statusError(status: number, host: string): FetchError {
  if (status === 404 || status === 410) {
    return new FetchError('SOURCE_NOT_FOUND', `${host} answered ${status}: source not found`, {
      status,
    });
  }
  if (status === 408 || status === 429 || status >= 500) {
    return new FetchError('SOURCE_UNAVAILABLE', `${host} answered ${status}: try again later`, {
      status,
    });
  }
  return new FetchError('SOURCE_NOT_FOUND', `${host} answered ${status}: source not available`, {
    status,
  });
}

function classifyNetworkError(error: unknown, host: string): FetchError {
  if (error instanceof FetchError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOTFOUND':
      return new FetchError('SOURCE_NOT_FOUND', `${host} does not resolve (ENOTFOUND)`, {
        cause: error,
      });
    case 'ETIMEDOUT':
      return new FetchError('SOURCE_TIMEOUT', `connection to ${host} timed out`, { cause: error });
    default: {
      if (typeof code === 'string' && code.startsWith('HPE_')) {
        return new FetchError(
          'SOURCE_UNAVAILABLE',
          `${host} sent an invalid HTTP response (${code})`,
          {
            cause: error,
          },
        );
      }
      const detail = code ?? (error instanceof Error ? error.message : 'network error');
      return new FetchError('SOURCE_UNAVAILABLE', `could not fetch from ${host}: ${detail}`, {
        cause: error,
      });
    }
  }
}
