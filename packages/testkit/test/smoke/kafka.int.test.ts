import { type Consumer, Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTopics, type TestTopics, uniqueName, waitFor } from '../../src/isolation.js';
import { testServices } from '../../src/services.js';

/*
 * Proves the kafkajs 2.2.4 / Apache Kafka 4.x pairing that the services rely on: admin topic
 * creation, produce with acks=all, group join and rebalance, fetch.
 */
describe('Kafka through kafkajs', () => {
  const services = testServices();
  const kafka = new Kafka({
    clientId: 'zocket-smoke',
    brokers: services.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  let topics: TestTopics;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    topics = await createTestTopics(services, [{ name: 'smoke', partitions: 4 }]);
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    await topics?.delete();
  });

  it('describes the cluster and lists the created topic', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(1);
      const metadata = await admin.fetchTopicMetadata({ topics: topics.names });
      expect(metadata.topics[0]?.partitions).toHaveLength(4);
    } finally {
      await admin.disconnect();
    }
  });

  it('splits partitions between two group members, which together receive every message', async () => {
    const [topic] = topics.names as [string];
    const groupId = uniqueName('smoke-group');
    const received = new Map<string, { member: number; partition: number; owned: boolean }>();
    const assignments: number[][] = [[], []];

    const startMember = async (member: number) => {
      const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
      consumers.push(consumer);
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        assignments[member] = [...(event.payload.memberAssignment[topic] ?? [])].sort();
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message, partition }) => {
          // Checked on receipt: a later rebalance may move the partition on.
          const owned = assignments[member]?.includes(partition) ?? false;
          received.set(message.value?.toString() ?? '', { member, partition, owned });
        },
      });
    };

    await startMember(0);
    await waitFor(() => (assignments[0]?.length === 4 ? true : undefined), {
      what: 'the first member to own all 4 partitions',
    });
    // The second member joining forces a rebalance that splits the partitions.
    await startMember(1);
    await waitFor(
      () => {
        const [a = [], b = []] = assignments;
        return a.length > 0 && b.length > 0 && a.length + b.length === 4 ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'a rebalance splitting the partitions' },
    );
    const [a = [], b = []] = assignments;
    expect([...a, ...b].sort()).toEqual([0, 1, 2, 3]);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const values = Array.from({ length: 40 }, (_, i) => `message-${i}`);
    try {
      const records = await producer.send({
        topic,
        acks: -1,
        messages: values.map((value, i) => ({ key: `product-${i}`, value })),
      });
      expect(records.every((r) => r.errorCode === 0)).toBe(true);
    } finally {
      await producer.disconnect();
    }

    await waitFor(() => (received.size === values.length ? true : undefined), {
      timeoutMs: 30_000,
      what: 'every message to be consumed',
    });
    expect([...received.keys()].sort()).toEqual([...values].sort());
    const foreign = [...received.values()].filter((r) => !r.owned);
    expect(foreign).toEqual([]);
    const members = new Set([...received.values()].map((r) => r.member));
    expect(members).toEqual(new Set([0, 1]));
  });
});
