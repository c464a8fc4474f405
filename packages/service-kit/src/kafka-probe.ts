import type { Admin, Kafka } from 'kafkajs';

/**
 * Whether the Kafka cluster answers, for readiness probes: one Metadata request over an admin
 * connection kept from one probe to the next, so a probe every few seconds no longer opens and
 * closes a broker connection each time. A failed probe drops the connection and the next one
 * starts afresh. No retries: a probe reports what it sees, within the readiness check's bound.
 */
export class KafkaProbe {
  private admin: Admin | undefined;
  private stopped = false;

  constructor(private readonly kafka: Kafka) {}

  async check(): Promise<void> {
    if (this.stopped) throw new Error('stopping');
    const admin = this.admin ?? this.kafka.admin({ retry: { retries: 0 } });
    this.admin = admin;
    try {
      await admin.connect(); // returns at once while the connection is up
      await admin.describeCluster();
    } catch (error) {
      if (this.admin === admin) this.admin = undefined;
      await admin.disconnect().catch(() => {});
      throw error;
    } finally {
      // A probe that was under way when stop() ran must not leave its connection behind.
      if (this.stopped) await admin.disconnect().catch(() => {});
    }
  }

  /** Closes the kept connection; later checks fail. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => {});
  }
}
