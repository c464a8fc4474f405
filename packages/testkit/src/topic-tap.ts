import { Kafka, logLevel } from 'kafkajs';
import { uniqueName, waitFor } from './isolation.js';

/** One record read from a topic, with its key, value and headers as strings. */
export interface KafkaRecord {
  topic: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Every record of a topic, read from the beginning by a consumer group of its own. */
export interface TopicTap {
  records: KafkaRecord[];
  /** Waits for a record matching `match` and returns it. */
  waitFor(
    match: (r: KafkaRecord) => boolean,
    what?: string,
    timeoutMs?: number,
  ): Promise<KafkaRecord>;
  stop(): Promise<void>;
}

/** Starts reading `topic` from the beginning with a fresh consumer group; `stop()` ends it. */
export async function tapTopic(brokers: readonly string[], topic: string): Promise<TopicTap> {
  const kafka = new Kafka({
    clientId: uniqueName('zt-tap'),
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  });
  const records: KafkaRecord[] = [];
  const consumer = kafka.consumer({
    groupId: uniqueName('zt-tap'),
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 200,
    retry: { retries: 20, initialRetryTime: 300, maxRetryTime: 3_000 },
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic: t, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) {
        if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : String(v);
      }
      records.push({
        topic: t,
        key: message.key?.toString('utf8') ?? null,
        value: message.value?.toString('utf8') ?? null,
        headers,
      });
    },
  });
  return {
    records,
    waitFor: (match, what = 'a Kafka record', timeoutMs = 20_000) =>
      waitFor(() => records.find(match), { timeoutMs, intervalMs: 50, what }),
    stop: () => consumer.disconnect(),
  };
}
