import { contextFromHeaders, inSpan, SpanKind } from '@zocket/telemetry';
import type { KafkaMessage } from 'kafkajs';

/**
 * Runs one message's job in its own CONSUMER span, `process <topic>`, whose parent is the trace
 * context the message carries (the request's, through the outbox): the job's database, S3 and
 * Kafka spans then join that trace. kafkajs's own instrumentation would give a whole batch one
 * span in a trace of its own, with each message only linked.
 */
export function inJobSpan<T>(
  topic: string,
  partition: number,
  message: Pick<KafkaMessage, 'offset' | 'key' | 'headers'>,
  run: () => Promise<T>,
): Promise<T> {
  return inSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
        'messaging.kafka.offset': Number(message.offset),
        ...(message.key === null ? {} : { 'messaging.kafka.message.key': message.key.toString() }),
      },
    },
    async (span) => {
      const result = await run();
      if (typeof result === 'string') span.setAttribute('zocket.job.outcome', result);
      return result;
    },
    contextFromHeaders(message.headers),
  );
}
