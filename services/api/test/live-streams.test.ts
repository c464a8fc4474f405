import { describe, expect, it } from 'vitest';
import { type DirectStream, LiveStreams } from '../src/live/live-streams.js';

/** A stream that records what the shared timer did to it. */
function fakeStream(streams: LiveStreams, deadline: number, lastWrite: number) {
  const seen = { pings: 0, ended: false };
  const stream: DirectStream & { lastWrite: number } = {
    deadline,
    lastWrite,
    ping() {
      seen.pings += 1;
      stream.lastWrite = Date.now();
    },
    end() {
      seen.ended = true;
      streams.remove(stream);
    },
  };
  streams.add(stream);
  return seen;
}

describe('direct streams share one timer', () => {
  it('pings a stream idle for the ping interval, not one that just wrote', async () => {
    const streams = new LiveStreams(60_000, 100);
    const idle = fakeStream(streams, Date.now() + 60_000, Date.now() - 1_000);
    const busy = fakeStream(streams, Date.now() + 60_000, Date.now() + 60_000);
    await new Promise((r) => setTimeout(r, 250));
    expect(idle.pings).toBeGreaterThanOrEqual(1);
    expect(idle.pings).toBeLessThanOrEqual(3);
    expect(busy.pings).toBe(0);
    streams.closeAll();
    expect(streams.size).toBe(0);
  });

  it('ends a stream at its deadline and every stream at shutdown', async () => {
    const streams = new LiveStreams(60_000, 100);
    const due = fakeStream(streams, Date.now() + 50, Date.now());
    const later = fakeStream(streams, Date.now() + 60_000, Date.now());
    await new Promise((r) => setTimeout(r, 250));
    expect(due.ended).toBe(true);
    expect(later.ended).toBe(false);
    expect(streams.size).toBe(1);
    streams.closeAll();
    expect(later.ended).toBe(true);
    expect(streams.size).toBe(0);
  });

  it('spreads deadlines within ±10 % of the maximum duration', () => {
    const streams = new LiveStreams(100_000);
    const now = Date.now();
    for (let i = 0; i < 50; i += 1) {
      const left = streams.deadline() - now;
      expect(left).toBeGreaterThanOrEqual(90_000 - 5);
      expect(left).toBeLessThanOrEqual(110_000 + 5);
    }
  });
});
