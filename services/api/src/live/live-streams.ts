import { PING_INTERVAL_MS } from './sse-wire.js';

/** A stream the process writes itself: pinged when idle, ended at its deadline. */
export interface DirectStream {
  /** When it must end (epoch ms). */
  readonly deadline: number;
  /** When it last wrote (epoch ms). */
  readonly lastWrite: number;
  ping(): void;
  /** Ends it without tRPC's "return" event, so the client reconnects by its last event id. */
  end(): void;
}

/**
 * The open server-sent-event responses of this process. Each ends after `maxDurationMs`, and all
 * end at shutdown, by closing the stream without tRPC's "return" event: the client reconnects
 * (to this or another replica) with its last event id and misses nothing.
 */
export class LiveStreams {
  private readonly open = new Set<() => void>();
  /** Streams written directly (product-stream.ts): one timer pings and ends all of them. */
  private readonly direct = new Set<DirectStream>();
  private tick: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxDurationMs: number,
    private readonly pingIntervalMs: number = PING_INTERVAL_MS,
  ) {}

  get size(): number {
    return this.open.size + this.direct.size;
  }

  /** The time a stream opened now must end by: the maximum duration, ±10 %. */
  deadline(): number {
    // Spread, so streams opened together (after a deploy, say) do not all reconnect together.
    return Date.now() + this.maxDurationMs * (0.9 + Math.random() * 0.2);
  }

  /** Pings `stream` when idle and ends it at its deadline or at shutdown, until removed. */
  add(stream: DirectStream): void {
    this.direct.add(stream);
    // A second is fine enough for a deadline of minutes and a ping of seconds.
    this.tick ??= setInterval(() => this.sweep(), Math.min(1_000, this.pingIntervalMs));
    this.tick.unref();
  }

  remove(stream: DirectStream): void {
    this.direct.delete(stream);
    if (this.direct.size === 0 && this.tick !== undefined) {
      clearInterval(this.tick);
      this.tick = undefined;
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const stream of this.direct) {
      if (now >= stream.deadline) stream.end();
      else if (now - stream.lastWrite >= this.pingIntervalMs) stream.ping();
    }
  }

  /** Wraps an SSE response so that it can be ended from here. */
  track(response: Response): Response {
    const body = response.body;
    if (body === null) return response;
    const reader = body.getReader();
    let end: () => void = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        // ±10 %, so streams opened together (after a deploy, say) do not all reconnect together.
        const timer = setTimeout(() => end(), this.maxDurationMs * (0.9 + Math.random() * 0.2));
        end = () => {
          if (!this.open.delete(end)) return;
          clearTimeout(timer);
          // Cancelling the inner stream aborts the procedure's signal, ending its generator.
          void reader.cancel().catch(() => {});
          try {
            controller.close();
          } catch {
            // already closed or errored
          }
        };
        this.open.add(end);
      },
      pull: async (controller) => {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            end();
            return;
          }
          controller.enqueue(chunk.value);
        } catch {
          // The producer failed: end this stream like any other; the client reconnects.
          end();
        }
      },
      cancel: () => end(),
    });
    return new Response(stream, { status: response.status, headers: response.headers });
  }

  /** Ends every open stream (shutdown). */
  closeAll(): void {
    for (const end of [...this.open]) end();
    for (const stream of [...this.direct]) stream.end();
  }
}
