/**
 * The open server-sent-event responses of this process. Each ends after `maxDurationMs`, and all
 * end at shutdown, by closing the stream without tRPC's "return" event: the client reconnects
 * (to this or another replica) with its last event id and misses nothing.
 */
export class LiveStreams {
  private readonly open = new Set<() => void>();

  constructor(private readonly maxDurationMs: number) {}

  get size(): number {
    return this.open.size;
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
  }
}
