import type { ImageChange } from '@zocket/contracts';
import {
  DatabaseUnavailableError,
  type Db,
  findProduct,
  hasImageChangesAfter,
  readImageChanges,
} from '@zocket/db';
import type { Logger } from '@zocket/service-kit';
import type { ChangeHub } from './change-hub.js';
import { trackedEvent } from './sse-wire.js';

/** Changes read at once; a longer backlog is read in several rounds. */
export const CHANGES_PAGE = 500;
/** Every feed reads again at least this often even if no doorbell rang (a safety net). */
const SAFETY_READ_MS = 60_000;
/** Wait after a failed read before the next. */
const RETRY_MS = 1_000;

/** One subscriber of a product's feed. */
export interface FeedMember {
  /** The last change number sent to it. */
  last: number;
  /** False while it catches up on its own (snapshot or replay): the feed sends it nothing yet. */
  live: boolean;
  /** Sends `change`; `event` is its text on the wire, made once for every member. */
  send(change: ImageChange, event: string): void;
  /** The product was deleted: nothing more will happen to it. */
  finish(): void;
  /** A read failed for a reason other than PostgreSQL being away. */
  fail(error: unknown): void;
}

/**
 * One feed per watched product, shared by all its subscribers in this process: a doorbell ring
 * makes one read of PostgreSQL, whose changes go to every subscriber that has not had them,
 * instead of one read per subscriber.
 */
export class ProductFeeds {
  private readonly feeds = new Map<string, Feed>();
  private safetyTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly hub: ChangeHub,
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  /** Feeds open now (products watched by at least one subscriber). */
  get size(): number {
    return this.feeds.size;
  }

  /**
   * Adds `member` (not live yet) to the feed of `productId`, whose doorbell is then registered:
   * join before the catch-up read so no ring is lost. The token goes back to `caughtUp` and `leave`.
   */
  join(productId: string, member: FeedMember): FeedTicket {
    let feed = this.feeds.get(productId);
    if (feed === undefined) {
      feed = new Feed(productId, this.db, this.logger);
      feed.off = this.hub.onRing(productId, () => void feed?.ring());
      this.feeds.set(productId, feed);
      this.safetyTimer ??= setInterval(() => this.ringAll(), SAFETY_READ_MS);
      this.safetyTimer.unref();
    }
    feed.members.add(member);
    return { feed, member, ringsAtJoin: feed.rings };
  }

  /** The member has read up to `last` on its own: from now on the feed sends it what follows. */
  caughtUp(ticket: FeedTicket, last: number): void {
    const { feed, member } = ticket;
    member.last = last;
    member.live = true;
    // A ring during the catch-up may be about a change the catch-up read did not see.
    if (feed.rings !== ticket.ringsAtJoin) void feed.ring();
  }

  leave(ticket: FeedTicket): void {
    const { feed, member } = ticket;
    feed.members.delete(member);
    if (feed.members.size > 0 || this.feeds.get(feed.productId) !== feed) return;
    this.feeds.delete(feed.productId);
    feed.off();
    if (this.feeds.size === 0 && this.safetyTimer !== undefined) {
      clearInterval(this.safetyTimer);
      this.safetyTimer = undefined;
    }
  }

  private ringAll(): void {
    for (const feed of this.feeds.values()) void feed.ring();
  }
}

export interface FeedTicket {
  readonly feed: Feed;
  readonly member: FeedMember;
  readonly ringsAtJoin: number;
}

class Feed {
  readonly members = new Set<FeedMember>();
  /** Rings so far: a member catching up compares it with the count when it joined. */
  rings = 0;
  off: () => void = () => {};
  private reading = false;
  private again = false;

  constructor(
    readonly productId: string,
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  /** Reads and sends what changed; a ring during a read makes one more read after it. */
  async ring(): Promise<void> {
    this.rings += 1;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        await this.read();
      } while (this.again && this.members.size > 0);
    } finally {
      this.reading = false;
    }
  }

  private async read(): Promise<void> {
    for (;;) {
      let after = Number.POSITIVE_INFINITY;
      for (const member of this.members) if (member.live) after = Math.min(after, member.last);
      if (after === Number.POSITIVE_INFINITY) return;
      try {
        if (!(await hasImageChangesAfter(this.db, this.productId, after))) return;
        const { changes } = await readImageChanges(this.db, this.productId, after, CHANGES_PAGE);
        for (const change of changes) {
          let event: string | undefined;
          for (const member of this.members) {
            if (!member.live || change.changeSeq <= member.last) continue;
            event ??= trackedEvent(String(change.changeSeq), change);
            member.last = change.changeSeq;
            member.send(change, event);
          }
        }
        if (
          changes.some((c) => c.image === null) &&
          (await findProduct(this.db, this.productId)) === undefined
        ) {
          for (const member of [...this.members]) if (member.live) member.finish();
          return;
        }
        if (changes.length < CHANGES_PAGE) return;
      } catch (error) {
        if (error instanceof DatabaseUnavailableError) {
          this.logger.warn({ err: error }, 'live read failed; trying again');
          // Read again once PostgreSQL may be back, unless everyone left meanwhile.
          setTimeout(() => {
            if (this.members.size > 0) void this.ring();
          }, RETRY_MS).unref();
          return;
        }
        for (const member of [...this.members]) if (member.live) member.fail(error);
        return;
      }
    }
  }
}
