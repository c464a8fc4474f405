import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

// Below the kernel's ephemeral range (32768 and up on Linux, 49152 and up on macOS and Windows):
// an outgoing connection never takes one of these ports, so a server that a test stops and starts
// again on its port (a Kafka broker outage) finds it free.
const LOWEST = 20_000;
const PAST_HIGHEST = 32_768;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback TCP port that was free a moment ago (for servers a test starts). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = randomInt(LOWEST, PAST_HIGHEST);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free loopback port between ${LOWEST} and ${PAST_HIGHEST - 1}`);
}
