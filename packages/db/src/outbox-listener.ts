import pg from 'pg';
import { OUTBOX_CHANNEL } from './queries/outbox.js';

export interface OutboxListener {
  close(): Promise<void>;
}

/**
 * Holds one connection that LISTENs for new outbox rows and calls `onNotify`. It reconnects with
 * backoff after a lost connection and calls `onNotify` once reconnected, since notifications sent
 * meanwhile are lost: the relay then polls.
 */
export function createOutboxListener(
  url: string,
  handlers: { onNotify: () => void; onError: (error: unknown) => void },
): OutboxListener {
  let client: pg.Client | undefined;
  let closed = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;

  const connect = async () => {
    if (closed) return;
    const c = new pg.Client({ connectionString: url, application_name: 'zocket-outbox-listener' });
    c.on('notification', () => handlers.onNotify());
    c.on('error', (error) => {
      handlers.onError(error);
      retry(c);
    });
    c.on('end', () => retry(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${OUTBOX_CHANNEL}`);
      if (closed) {
        await c.end();
        return;
      }
      client = c;
      attempt = 0;
      handlers.onNotify();
    } catch (error) {
      handlers.onError(error);
      retry(c);
    }
  };

  const retry = (c: pg.Client) => {
    if (closed || (client !== undefined && client !== c) || timer !== undefined) return;
    client = undefined;
    c.removeAllListeners('end');
    c.end().catch(() => {});
    attempt += 1;
    timer = setTimeout(
      () => {
        timer = undefined;
        void connect();
      },
      Math.min(250 * 2 ** attempt, 10_000),
    );
    timer.unref();
  };

  void connect();
  return {
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      const c = client;
      client = undefined;
      if (c !== undefined) {
        c.removeAllListeners('end');
        await c.end().catch(() => {});
      }
    },
  };
}
