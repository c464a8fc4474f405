import { AppError } from '@zocket/contracts';

export interface SubscriptionLimitConfig {
  /** Open subscriptions in this process. */
  maxTotal: number;
  /** Per user (token subject), or per client address for anonymous subscribers. */
  maxPerUser: number;
  /** Per TCP connection (HTTP/2 can carry many streams on one). */
  maxPerConnection: number;
}

/** Counts open subscriptions by key; `acquire` refuses with TOO_MANY_REQUESTS above a limit. */
export class SubscriptionLimits {
  private readonly counts = new Map<string, number>();
  private total = 0;

  constructor(private readonly config: SubscriptionLimitConfig) {}

  get open(): number {
    return this.total;
  }

  /** Takes one slot for the user key and the connection key; the returned function frees them. */
  acquire(userKey: string, connectionKey: string): () => void {
    if (this.total >= this.config.maxTotal) {
      throw new AppError('TOO_MANY_REQUESTS', 'this server holds its maximum of subscriptions');
    }
    if ((this.counts.get(userKey) ?? 0) >= this.config.maxPerUser) {
      throw new AppError(
        'TOO_MANY_REQUESTS',
        `at most ${this.config.maxPerUser} open subscriptions per user`,
      );
    }
    if ((this.counts.get(connectionKey) ?? 0) >= this.config.maxPerConnection) {
      throw new AppError(
        'TOO_MANY_REQUESTS',
        `at most ${this.config.maxPerConnection} open subscriptions per connection`,
      );
    }
    this.add(userKey, 1);
    this.add(connectionKey, 1);
    this.total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.add(userKey, -1);
      this.add(connectionKey, -1);
      this.total -= 1;
    };
  }

  private add(key: string, delta: number): void {
    const next = (this.counts.get(key) ?? 0) + delta;
    if (next <= 0) this.counts.delete(key);
    else this.counts.set(key, next);
  }
}
