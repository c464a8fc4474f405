import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { MetricInputError, type RgbImage, Ssimulacra2Reference } from './ssimulacra2.js';

/** One image's prepared reference: scores distorted images of the same size against it. */
export interface ScoreSession {
  score(image: RgbImage): Promise<number>;
  /** Frees the prepared reference; a later score is refused. */
  release(): void;
}

/** Prepares references: undefined when the image is too small to score (under 8 px a side). */
export interface Scoring {
  prepare(image: RgbImage): Promise<ScoreSession | undefined>;
}

/** Scores on the calling thread, blocking it: for tests and tools, not for a service. */
export const inProcessScoring: Scoring = {
  async prepare(image) {
    let reference: Ssimulacra2Reference | undefined;
    try {
      reference = new Ssimulacra2Reference(image);
    } catch (error) {
      if (error instanceof MetricInputError) return undefined;
      throw error;
    }
    return {
      async score(distorted) {
        if (reference === undefined) throw new Error('score session already released');
        return reference.score(distorted);
      },
      release() {
        reference = undefined;
      },
    };
  },
};

interface WireImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export type WorkerTask =
  | { op: 'prepare' | 'score'; task: number; session: number; image: WireImage }
  | { op: 'release'; session: number };

export type WorkerReply =
  | { task: number; ok: true; score?: number }
  | { task: number; ok: false; error: { name: string; message: string } };

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve(score: number | undefined): void; reject(error: Error): void }>;
  sessions: number;
}

export class ScorePoolClosedError extends Error {
  override readonly name = 'ScorePoolClosedError';
  constructor() {
    super('the quality scorer is shut down');
  }
}

/*
 * The worker is compiled JavaScript, also when this module runs from its TypeScript source
 * (tests): both src/quality and dist/quality sit two levels below the package root.
 */
const WORKER_URL = new URL('../../dist/quality/score-worker.js', import.meta.url);

/**
 * SSIMULACRA2 on worker threads. A score of a 1280 px variant is about half a second of
 * arithmetic; on the event loop it would stall Kafka heartbeats, health checks and every other
 * image in flight. A session (one image width's prepared reference) stays on the worker that
 * prepared it; a new session goes to the worker with the fewest open sessions, and workers are
 * started as they are first needed, up to `size`. Idle workers do not keep the process alive.
 * A worker that dies fails its pending and later scores (the job is retried), and its slot starts
 * a new worker on the next session.
 */
export class ScorePool implements Scoring {
  private readonly slots: (Slot | undefined)[];
  private nextTask = 1;
  private nextSession = 1;
  private closed = false;

  constructor(
    readonly size: number = availableParallelism(),
    private readonly workerUrl: URL = WORKER_URL,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('ScorePool size must be >= 1');
    this.slots = Array.from({ length: size }, () => undefined);
  }

  async prepare(image: RgbImage): Promise<ScoreSession | undefined> {
    const slot = this.pick();
    const session = this.nextSession++;
    // Counted from the start, so that sessions prepared at the same time spread over the workers.
    slot.sessions++;
    try {
      await this.run(slot, 'prepare', session, image);
    } catch (error) {
      slot.sessions--;
      if (error instanceof MetricInputError) return undefined;
      throw error;
    }
    let open = true;
    return {
      score: async (distorted) => {
        if (!open) throw new Error('score session already released');
        return (await this.run(slot, 'score', session, distorted)) as number;
      },
      release: () => {
        if (!open) return;
        open = false;
        slot.sessions--;
        if (this.slots.includes(slot)) slot.worker.postMessage({ op: 'release', session });
      },
    };
  }

  /** Stops every worker; pending and later scores fail with ScorePoolClosedError. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.filter((s): s is Slot => s !== undefined);
    this.slots.fill(undefined);
    for (const slot of slots) this.fail(slot, new ScorePoolClosedError());
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private pick(): Slot {
    if (this.closed) throw new ScorePoolClosedError();
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (slot !== undefined && (best === undefined || slot.sessions < best.sessions)) best = slot;
    }
    if (best !== undefined && best.sessions === 0) return best;
    const free = this.slots.indexOf(undefined);
    return free === -1 ? (best as Slot) : this.start(free);
  }

  private start(index: number): Slot {
    // No inherited flags: the parent's `--import` would start telemetry again in every worker.
    const worker = new Worker(this.workerUrl, { execArgv: [] });
    const slot: Slot = { worker, pending: new Map(), sessions: 0 };
    this.slots[index] = slot;
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const pending = slot.pending.get(reply.task);
      if (pending === undefined) return;
      slot.pending.delete(reply.task);
      if (slot.pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve(reply.score);
      else if (reply.error.name === 'MetricInputError')
        pending.reject(new MetricInputError(reply.error.message));
      else pending.reject(new Error(`quality scorer: ${reply.error.message}`));
    });
    const gone = (error: Error) => {
      const at = this.slots.indexOf(slot);
      if (at !== -1) this.slots[at] = undefined;
      this.fail(slot, error);
    };
    worker.on('error', (error) =>
      gone(new Error(`quality scorer worker failed: ${error.message}`)),
    );
    worker.on('exit', (code) => gone(new Error(`quality scorer worker exited with code ${code}`)));
    return slot;
  }

  private fail(slot: Slot, error: Error): void {
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    for (const p of pending) p.reject(error);
  }

  private run(
    slot: Slot,
    op: 'prepare' | 'score',
    session: number,
    image: RgbImage,
  ): Promise<number | undefined> {
    if (this.closed) return Promise.reject(new ScorePoolClosedError());
    if (!this.slots.includes(slot)) {
      return Promise.reject(new Error('quality scorer worker is gone'));
    }
    // A copy of exactly the pixels, handed over without a second copy.
    const data = new Uint8Array(image.data);
    const task = this.nextTask++;
    return new Promise((resolve, reject) => {
      slot.pending.set(task, { resolve, reject });
      if (slot.pending.size === 1) slot.worker.ref();
      const message: WorkerTask = {
        op,
        task,
        session,
        image: { data, width: image.width, height: image.height, channels: image.channels },
      };
      slot.worker.postMessage(message, [data.buffer]);
    });
  }
}
