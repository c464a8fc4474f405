import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type RequestListener,
} from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Allowlist,
  FetchError,
  isPublicAddress,
  parseAllowlist,
  type SafeFetchOptions,
  safeFetch,
} from '../src/fetch/safe-fetch.js';

interface TestServer {
  port: number;
  /** Requests (HTTP) or connections (raw TCP) received so far. */
  hits: number;
  headers: IncomingHttpHeaders[];
  close(): Promise<void>;
}

async function httpServer(handler: RequestListener, host = '127.0.0.1'): Promise<TestServer> {
  const server = createHttpServer();
  const state: TestServer = {
    port: 0,
    hits: 0,
    headers: [],
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  server.on('request', (req, res) => {
    state.hits += 1;
    state.headers.push(req.headers);
    handler(req, res);
  });
  server.listen(0, host);
  await once(server, 'listening');
  state.port = (server.address() as AddressInfo).port;
  return state;
}

/** A raw TCP server for responses Node's HTTP server refuses to send (lying Content-Length). */
async function rawServer(
  onConnection: (socket: Socket) => void,
  host = '127.0.0.1',
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    state.hits += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  const state: TestServer = {
    port: 0,
    hits: 0,
    headers: [],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
  server.listen(0, host);
  await once(server, 'listening');
  state.port = (server.address() as AddressInfo).port;
  return state;
}

const LOCAL = parseAllowlist('127.0.0.1');
const NOTHING = parseAllowlist('');

function opts(allowlist: Allowlist, overrides: Partial<SafeFetchOptions> = {}): SafeFetchOptions {
  return {
    allowlist,
    connectTimeoutMs: 1_000,
    totalTimeoutMs: 3_000,
    maxBytes: 1_024,
    ...overrides,
  };
}

async function fetchError(promise: Promise<unknown>): Promise<FetchError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FetchError);
    return error as FetchError;
  }
  throw new Error('expected the fetch to fail');
}

const servers: TestServer[] = [];
async function track(server: Promise<TestServer>): Promise<TestServer> {
  const started = await server;
  servers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('isPublicAddress', () => {
  it.each([
    '8.8.8.8',
    '93.184.216.34',
    '1.1.1.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
  ])('accepts the public address %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });

  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '0.1.2.3',
    '224.0.0.1',
    '255.255.255.255',
    '192.0.0.8',
    '192.0.2.1',
    '198.18.0.1',
    '198.51.100.7',
    '203.0.113.9',
    '240.0.0.1',
    '::',
    '::1',
    '::7f00:1',
    '::ffff:127.0.0.1',
    '::ffff:8.8.8.8',
    '64:ff9b::7f00:1',
    '64:ff9b:1::a00:1',
    'fe80::1',
    'fe80::1%lo',
    'fc00::1',
    'fd12:3456::1',
    'fec0::1',
    'ff02::1',
    '2001:db8::1',
    '2002:7f00:1::1',
    '2001:0:4136:e378::1',
    '100::1',
    'not-an-ip',
    '127.1',
    '0x7f.0.0.1',
  ])('refuses %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });
});

describe('parseAllowlist', () => {
  it('reads hostnames, IPs and CIDRs from a comma-separated list', () => {
    const list = parseAllowlist(' 127.0.0.1, ::1 ,10.1.0.0/16, Images.Test., fd00::/8 ,');
    expect([...list.hostnames]).toEqual(['images.test']);
    expect(list.networks.map(([ip, prefix]) => `${ip.toString()}/${prefix}`)).toEqual([
      '127.0.0.1/32',
      '::1/128',
      '10.1.0.0/16',
      'fd00::/8',
    ]);
  });

  it('allows nothing for an empty string', () => {
    const list = parseAllowlist('');
    expect(list.hostnames.size).toBe(0);
    expect(list.networks).toHaveLength(0);
  });

  it.each(['10.0.0.0/33', 'bad host', 'http://x', '127.1', '0x7f000001', '10.0.0.0/x'])(
    'rejects the malformed entry %s',
    (entry) => {
      expect(() => parseAllowlist(entry)).toThrow(/invalid allowlist entry/);
    },
  );
});

describe('safeFetch', () => {
  it('returns the body, content type and final URL from an allowlisted server', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);
    const server = await track(
      httpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(png);
      }),
    );
    const url = `http://127.0.0.1:${server.port}/a.png?x=1`;
    const fetched = await safeFetch(url, opts(LOCAL));
    expect(fetched.body.equals(png)).toBe(true);
    expect(fetched.contentType).toBe('image/png');
    expect(fetched.finalUrl).toBe(url);
  });

  it('asks for images and sends no credentials or cookies', async () => {
    const server = await track(httpServer((_req, res) => res.end('ok')));
    await safeFetch(
      `http://user:secret@127.0.0.1:${server.port}/`,
      opts(LOCAL, { userAgent: 'zocket-test' }),
    );
    const headers = server.headers[0];
    expect(headers?.accept).toBe('image/*');
    expect(headers?.['user-agent']).toBe('zocket-test');
    expect(headers?.authorization).toBeUndefined();
    expect(headers?.cookie).toBeUndefined();
  });

  it('reaches a loopback server through an allowlisted hostname', async () => {
    const server = await track(httpServer((_req, res) => res.end('hi')));
    const fetched = await safeFetch(
      `http://LOCALHOST:${server.port}/`,
      opts(parseAllowlist('localhost')),
    );
    expect(fetched.body.toString()).toBe('hi');
  });

  describe('with an empty allowlist', () => {
    let canary4: TestServer;
    let canary6: TestServer;
    beforeAll(async () => {
      canary4 = await httpServer((_req, res) => res.end('canary'), '127.0.0.1');
      canary6 = await httpServer((_req, res) => res.end('canary'), '::1');
    });
    afterAll(async () => {
      await Promise.all([canary4.close(), canary6.close()]);
    });

    const cases: [string, (p4: number, p6: number) => string][] = [
      ['loopback 127.0.0.1', (p) => `http://127.0.0.1:${p}/`],
      ['loopback ::1', (_, p6) => `http://[::1]:${p6}/`],
      ['private 10.0.0.1', (p) => `http://10.0.0.1:${p}/`],
      ['private 172.16.0.1', (p) => `http://172.16.0.1:${p}/`],
      ['private 192.168.1.1', (p) => `http://192.168.1.1:${p}/`],
      ['cloud metadata 169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/'],
      ['CGNAT 100.64.0.1', (p) => `http://100.64.0.1:${p}/`],
      ['unspecified 0.0.0.0', (p) => `http://0.0.0.0:${p}/`],
      ['multicast 224.0.0.1', (p) => `http://224.0.0.1:${p}/`],
      ['IPv4-mapped [::ffff:127.0.0.1]', (p) => `http://[::ffff:127.0.0.1]:${p}/`],
      ['NAT64 [64:ff9b::7f00:1]', (p) => `http://[64:ff9b::7f00:1]:${p}/`],
      ['link-local [fe80::1]', (p) => `http://[fe80::1]:${p}/`],
      ['unique-local [fc00::1]', (p) => `http://[fc00::1]:${p}/`],
      ['unspecified [::]', (_, p6) => `http://[::]:${p6}/`],
      ['decimal loopback 2130706433', (p) => `http://2130706433:${p}/`],
      ['octal loopback 017700000001', (p) => `http://017700000001:${p}/`],
      ['hex loopback 0x7f.1', (p) => `http://0x7f.1:${p}/`],
      ['hex loopback 0x7f000001', (p) => `http://0x7f000001:${p}/`],
      ['short loopback 127.1', (p) => `http://127.1:${p}/`],
      ['hostname localhost (IPv4 canary)', (p) => `http://localhost:${p}/`],
      ['hostname localhost (IPv6 canary)', (_, p6) => `http://localhost:${p6}/`],
      ['https to loopback', (p) => `https://127.0.0.1:${p}/`],
    ];

    it.each(cases)('refuses %s before connecting', async (_name, makeUrl) => {
      const error = await fetchError(safeFetch(makeUrl(canary4.port, canary6.port), opts(NOTHING)));
      expect(error.code).toBe('SOURCE_REFUSED');
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(/not a public address/);
      expect(canary4.hits + canary6.hits).toBe(0);
    });

    it.each([
      'ftp://127.0.0.1/x.png',
      'file:///etc/passwd',
      'gopher://example.com/',
      'data:image/png;base64,AAAA',
    ])('refuses the non-http URL %s', async (url) => {
      const error = await fetchError(safeFetch(url, opts(NOTHING)));
      expect(error.code).toBe('SOURCE_REFUSED');
      expect(error.message).toMatch(/only http and https/);
    });
  });

  describe('redirects', () => {
    it('follows a relative Location and reports the final URL', async () => {
      const server = await track(
        httpServer((req, res) => {
          if (req.url === '/start') {
            res.writeHead(302, { location: '/images/final.jpg' });
            res.end();
          } else {
            res.writeHead(200, { 'content-type': 'image/jpeg' });
            res.end(`served ${req.url}`);
          }
        }),
      );
      const fetched = await safeFetch(`http://127.0.0.1:${server.port}/start`, opts(LOCAL));
      expect(fetched.body.toString()).toBe('served /images/final.jpg');
      expect(fetched.finalUrl).toBe(`http://127.0.0.1:${server.port}/images/final.jpg`);
    });

    it.each([301, 303, 307, 308])('follows a %i redirect', async (status) => {
      const server = await track(
        httpServer((req, res) => {
          if (req.url === '/a') res.writeHead(status, { location: '/b' }).end();
          else res.end('b');
        }),
      );
      const fetched = await safeFetch(`http://127.0.0.1:${server.port}/a`, opts(LOCAL));
      expect(fetched.body.toString()).toBe('b');
    });

    it.each([
      ['127.0.0.2', (p: number) => `http://127.0.0.2:${p}/`, '127.0.0.2'],
      ['decimal 2130706434 (127.0.0.2)', (p: number) => `http://2130706434:${p}/`, '127.0.0.2'],
      ['[::1]', (p: number) => `http://[::1]:${p}/`, '::1'],
    ])(
      're-checks a redirect to the non-allowlisted %s and never connects',
      async (_name, target, canaryHost) => {
        const canary = await track(httpServer((_req, res) => res.end('canary'), canaryHost));
        const entry = await track(
          httpServer((_req, res) => res.writeHead(302, { location: target(canary.port) }).end()),
        );
        const error = await fetchError(safeFetch(`http://127.0.0.1:${entry.port}/`, opts(LOCAL)));
        expect(error.code).toBe('SOURCE_REFUSED');
        expect(entry.hits).toBe(1);
        expect(canary.hits).toBe(0);
      },
    );

    it('refuses a redirect to a non-http scheme', async () => {
      const server = await track(
        httpServer((_req, res) => res.writeHead(301, { location: 'ftp://127.0.0.1/x' }).end()),
      );
      const error = await fetchError(safeFetch(`http://127.0.0.1:${server.port}/`, opts(LOCAL)));
      expect(error.code).toBe('SOURCE_REFUSED');
      expect(error.message).toMatch(/redirect to ftp:/);
    });

    it('closes a redirect at once instead of reading its endless body', async () => {
      let written = 0;
      let redirectClosed = false;
      const server = await track(
        httpServer((req, res) => {
          if (req.url !== '/start') {
            res.writeHead(200, { 'content-type': 'image/jpeg' }).end('final');
            return;
          }
          res.writeHead(302, { location: '/final.jpg' });
          const chunk = Buffer.alloc(64 * 1024, 1);
          // As fast as the client reads it: only a client that keeps the socket open drains this.
          const pump = (): void => {
            while (!res.destroyed) {
              written += chunk.length;
              if (!res.write(chunk)) break;
            }
          };
          res.on('drain', pump);
          res.on('close', () => {
            redirectClosed = true;
          });
          pump();
        }),
      );
      const fetched = await safeFetch(`http://127.0.0.1:${server.port}/start`, opts(LOCAL));
      expect(fetched.body.toString()).toBe('final');
      await expect.poll(() => redirectClosed, { timeout: 2_000 }).toBe(true);
      // What the kernel's socket buffers took before the close (about 4 MiB on Linux loopback); a
      // client that kept reading would take hundreds of MiB a second.
      expect(written).toBeLessThan(10 * 1024 * 1024);
    });

    function chain(): RequestListener {
      return (req, res) => {
        const step = Number(req.url?.slice(1));
        if (step > 0) res.writeHead(302, { location: `/${step - 1}` }).end();
        else res.end('done');
      };
    }

    it('follows exactly five redirects', async () => {
      const server = await track(httpServer(chain()));
      const fetched = await safeFetch(`http://127.0.0.1:${server.port}/5`, opts(LOCAL));
      expect(fetched.body.toString()).toBe('done');
      expect(server.hits).toBe(6);
    });

    it('refuses a sixth redirect', async () => {
      const server = await track(httpServer(chain()));
      const error = await fetchError(safeFetch(`http://127.0.0.1:${server.port}/6`, opts(LOCAL)));
      expect(error.code).toBe('SOURCE_REFUSED');
      expect(error.message).toMatch(/too many redirects/);
      expect(server.hits).toBe(6);
    });

    it('honours a smaller maxRedirects', async () => {
      const server = await track(httpServer(chain()));
      const error = await fetchError(
        safeFetch(`http://127.0.0.1:${server.port}/2`, opts(LOCAL, { maxRedirects: 1 })),
      );
      expect(error.code).toBe('SOURCE_REFUSED');
    });
  });

  describe('status classification', () => {
    it.each([
      [404, 'SOURCE_NOT_FOUND', false],
      [410, 'SOURCE_NOT_FOUND', false],
      [403, 'SOURCE_NOT_FOUND', false],
      [400, 'SOURCE_NOT_FOUND', false],
      [408, 'SOURCE_UNAVAILABLE', true],
      [429, 'SOURCE_UNAVAILABLE', true],
      [500, 'SOURCE_UNAVAILABLE', true],
      [503, 'SOURCE_UNAVAILABLE', true],
    ] as const)('maps %i to %s (retryable: %s)', async (status, code, retryable) => {
      const server = await track(
        httpServer((_req, res) => res.writeHead(status).end('<html>secret error page</html>')),
      );
      const error = await fetchError(safeFetch(`http://127.0.0.1:${server.port}/x`, opts(LOCAL)));
      expect(error.code).toBe(code);
      expect(error.retryable).toBe(retryable);
      expect(error.status).toBe(status);
      expect(error.message).toContain(String(status));
      expect(error.message).not.toContain('secret');
    });

    it('maps a refused connection to a retryable SOURCE_UNAVAILABLE', async () => {
      const server = await httpServer((_req, res) => res.end());
      const port = server.port;
      await server.close();
      const error = await fetchError(safeFetch(`http://127.0.0.1:${port}/`, opts(LOCAL)));
      expect(error.code).toBe('SOURCE_UNAVAILABLE');
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/ECONNREFUSED/);
    });

    it('maps a connection reset mid-body to a retryable SOURCE_UNAVAILABLE', async () => {
      const server = await track(
        rawServer((socket) => {
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc', () => socket.destroy());
        }),
      );
      const error = await fetchError(safeFetch(`http://127.0.0.1:${server.port}/`, opts(LOCAL)));
      expect(error.code).toBe('SOURCE_UNAVAILABLE');
      expect(error.retryable).toBe(true);
    });
  });

  describe('size cap', () => {
    it('accepts a body of exactly maxBytes', async () => {
      const server = await track(httpServer((_req, res) => res.end(Buffer.alloc(1_024, 1))));
      const fetched = await safeFetch(`http://127.0.0.1:${server.port}/`, opts(LOCAL));
      expect(fetched.body.length).toBe(1_024);
    });

    it('refuses an honest Content-Length over the cap before reading the body', async () => {
      const server = await track(httpServer((_req, res) => res.end(Buffer.alloc(5_000))));
      const error = await fetchError(safeFetch(`http://127.0.0.1:${server.port}/`, opts(LOCAL)));
      expect(error.code).toBe('SOURCE_TOO_LARGE');
      expect(error.retryable).toBe(false);
    });

    it('stops an endless chunked body as soon as it passes the cap', async () => {
      let closed = false;
      const server = await track(
        httpServer((_req, res) => {
          const timer = setInterval(() => res.write(Buffer.alloc(256)), 5);
          res.on('close', () => {
            closed = true;
            clearInterval(timer);
          });
        }),
      );
      const error = await fetchError(safeFetch(`http://127.0.0.1:${server.port}/`, opts(LOCAL)));
      expect(error.code).toBe('SOURCE_TOO_LARGE');
      await expect.poll(() => closed).toBe(true);
    });

    it('refuses a body without Content-Length that runs past the cap', async () => {
      const server = await track(
        rawServer((socket) => {
          socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
          socket.write(Buffer.alloc(4_000, 7));
        }),
      );
      const error = await fetchError(safeFetch(`http://127.0.0.1:${server.port}/`, opts(LOCAL)));
      expect(error.code).toBe('SOURCE_TOO_LARGE');
    });

    it('never delivers the bytes sent past a lying small Content-Length', async () => {
      // The HTTP parser ends the body at the declared length and rejects the bytes that follow as
      // an invalid response, so a lying server cannot smuggle a larger body past the cap.
      const server = await track(
        rawServer((socket) => {
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n');
          socket.write(Buffer.alloc(4_000, 7));
        }),
      );
      const error = await fetchError(safeFetch(`http://127.0.0.1:${server.port}/`, opts(LOCAL)));
      expect(error.code).toBe('SOURCE_UNAVAILABLE');
      expect(error.message).toMatch(/invalid HTTP response/);
    });

    it('refuses a finite chunked body that runs past the cap', async () => {
      const server = await track(
        rawServer((socket) => {
          socket.write(
            'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
          );
          for (let i = 0; i < 8; i++) socket.write(`200\r\n${'x'.repeat(512)}\r\n`);
          socket.write('0\r\n\r\n');
        }),
      );
      const error = await fetchError(safeFetch(`http://127.0.0.1:${server.port}/`, opts(LOCAL)));
      expect(error.code).toBe('SOURCE_TOO_LARGE');
    });

    it('refuses a chunked body that also claims a small Content-Length', async () => {
      // Both headers at once is a smuggling pattern; the parser rejects the response outright.
      const server = await track(
        rawServer((socket) => {
          socket.write(
            'HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n',
          );
          for (let i = 0; i < 8; i++) socket.write(`200\r\n${'x'.repeat(512)}\r\n`);
          socket.write('0\r\n\r\n');
        }),
      );
      const error = await fetchError(safeFetch(`http://127.0.0.1:${server.port}/`, opts(LOCAL)));
      expect(error.code).toBe('SOURCE_UNAVAILABLE');
      expect(error.message).toMatch(/invalid HTTP response/);
    });
  });

  describe('timeouts', () => {
    it('fails a body sent one byte per second within the total deadline', async () => {
      const server = await track(
        httpServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'image/png' });
          const timer = setInterval(() => res.write('x'), 1_000);
          res.on('close', () => clearInterval(timer));
        }),
      );
      const started = performance.now();
      const error = await fetchError(
        safeFetch(`http://127.0.0.1:${server.port}/`, opts(LOCAL, { totalTimeoutMs: 1_500 })),
      );
      const elapsed = performance.now() - started;
      expect(error.code).toBe('SOURCE_TIMEOUT');
      expect(error.retryable).toBe(true);
      // Not before the deadline; well before the test's own timeout (the drip never ends), with room
      // for a busy machine.
      expect(elapsed).toBeGreaterThanOrEqual(1_400);
      expect(elapsed).toBeLessThan(6_000);
    });

    it('fails a server that never answers within the total deadline', async () => {
      const server = await track(rawServer(() => {}));
      const started = performance.now();
      const error = await fetchError(
        safeFetch(`http://127.0.0.1:${server.port}/`, opts(LOCAL, { totalTimeoutMs: 500 })),
      );
      expect(error.code).toBe('SOURCE_TIMEOUT');
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(5_000);
    });

    it('counts redirects against the same deadline', async () => {
      const server = await track(
        httpServer((req, res) => {
          setTimeout(() => res.writeHead(302, { location: `${req.url}x` }).end(), 200);
        }),
      );
      const error = await fetchError(
        safeFetch(`http://127.0.0.1:${server.port}/`, opts(LOCAL, { totalTimeoutMs: 500 })),
      );
      expect(error.code).toBe('SOURCE_TIMEOUT');
    });

    it('stops when the caller aborts', async () => {
      const server = await track(rawServer(() => {}));
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('shutting down')), 100);
      const error = await fetchError(
        safeFetch(`http://127.0.0.1:${server.port}/`, opts(LOCAL, { signal: controller.signal })),
      );
      expect(error.code).toBe('SOURCE_UNAVAILABLE');
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/aborted/);
    });
  });
});
