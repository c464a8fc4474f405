import { Kafka, logLevel, Partitioners, type ProducerConfig, type RetryOptions } from 'kafkajs';
import { mendKafkaRequestQueue } from './kafka-request-queue.js';

/** A Kafka client with the settings both services share; each service passes its own retry. */
export function createKafka(options: {
  clientId: string;
  brokers: string[];
  retry: RetryOptions;
  /** kafkajs's own logging; the services log what matters themselves. */
  logLevel?: logLevel;
}): Kafka {
  mendKafkaRequestQueue();
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: options.logLevel ?? logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: options.retry,
  });
}

/** Producer options of every producer: the default partitioner, and topics come from infra. */
export const PRODUCER_OPTIONS = {
  createPartitioner: Partitioners.DefaultPartitioner,
  allowAutoTopicCreation: false,
} as const satisfies ProducerConfig;
