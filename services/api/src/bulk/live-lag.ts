import type { Admin, Kafka } from 'kafkajs';

const CACHE_MS = 2_000;
const TIMEOUT_MS = 3_000;

/**
 * The live consumer group's lag on `image-jobs` (sum over partitions of end offset minus committed
 * offset; a partition it never committed counts from its start). Cached for two seconds, so a
 * dispatcher ticking twice a second asks Kafka at most every other tick. undefined when Kafka
 * cannot answer.
 */
export class LiveLagProbe {
  private admin: Admin | undefined;
  private cached: { at: number; lag: number | undefined } | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly groupId: string,
  ) {}

  async read(): Promise<number | undefined> {
    if (this.cached !== undefined && Date.now() - this.cached.at < CACHE_MS) {
      return this.cached.lag;
    }
    let lag: number | undefined;
    try {
      lag = await Promise.race([
        this.measure(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('lag probe timed out')), TIMEOUT_MS).unref(),
        ),
      ]);
    } catch {
      lag = undefined;
      await this.close();
    }
    this.cached = { at: Date.now(), lag };
    return lag;
  }

  private async measure(): Promise<number> {
    if (this.admin === undefined) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const [ends, committed] = await Promise.all([
      this.admin.fetchTopicOffsets(this.topic),
      this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] }),
    ]);
    const byPartition = new Map<number, number>();
    for (const p of committed[0]?.partitions ?? []) byPartition.set(p.partition, Number(p.offset));
    let lag = 0;
    for (const p of ends) {
      const done = byPartition.get(p.partition) ?? -1;
      const from = done < 0 ? Number(p.low) : done;
      lag += Math.max(0, Number(p.high) - from);
    }
    return lag;
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => {});
  }
}
