import type { Redis } from 'ioredis';

/** A run id and the connection it was learned on (see ConnectionRunId). */
export interface RunIdToken {
  readonly connection: number;
  readonly runId: string;
  /** The run id's bytes, as cached entries start with them (CACHE_ENTRY). */
  readonly runIdBytes: Buffer;
}

/**
 * The run id of the Redis instance behind the cache client's current connection, learned with one
 * `INFO server` per connection instead of one inside every cached read (the guard against a Redis
 * restarted from a snapshot): a hit is a plain `GET` whose entry starts with this run id.
 *
 * A run id is only as good as the connection it was read on, so connections are counted: every
 * `close` of the client's socket starts a new one. A command sent with a token may still reach
 * another instance (ioredis resends a command that was in flight when the socket closed, once it
 * has reconnected), so its answer counts only if it arrives while the token's connection is still
 * the current one (`answeredOn`). That holds because ioredis emits `close` (on the next tick) before
 * it can reconnect, and every reply over a new socket comes after that.
 */
export class ConnectionRunId {
  private connection = 0;
  private known: RunIdToken | undefined;
  private learning = false;

  constructor(private readonly redis: Redis) {
    redis.on('close', () => {
      this.connection += 1;
      this.known = undefined;
    });
    redis.on('ready', () => void this.learn());
  }

  /** The current connection's run id, or undefined while it is being learned. */
  current(): RunIdToken | undefined {
    const known = this.known;
    if (known !== undefined && known.connection === this.connection) return known;
    void this.learn();
    return undefined;
  }

  /** Whether an answer received now came over the connection `token` was learned on. */
  answeredOn(token: RunIdToken): boolean {
    return token.connection === this.connection;
  }

  private async learn(): Promise<void> {
    if (this.learning || this.redis.status !== 'ready') return;
    this.learning = true;
    const connection = this.connection;
    try {
      const runId = /run_id:([0-9a-f]+)/.exec(await this.redis.info('server'))?.[1];
      // An answer that came over a later connection says nothing about this one: learn again.
      if (runId !== undefined && connection === this.connection)
        this.known = { connection, runId, runIdBytes: Buffer.from(runId) };
    } catch {
      // Redis is away: the next read asks again once it is back.
    } finally {
      this.learning = false;
    }
  }
}
