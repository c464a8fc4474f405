import { parseArgs } from 'node:util';
import { topicNames } from '@zocket/contracts';
import { createKafka, PRODUCER_OPTIONS } from '@zocket/service-kit';
import { logLevel } from 'kafkajs';
import { loadConfig } from '../config.js';
import { replayDlq } from './dlq-replay.js';

const USAGE = `usage: npm run dlq:replay -- [--error-code CODE] [--product ID] [--image ID] [--dry-run] [--group ID]

Re-publishes dead-lettered image jobs to the topic they came from (all, or those matching every
filter given). Uses KAFKA_BROKERS and KAFKA_TOPIC_PREFIX from the environment. The consumer group
(default zocket-dlq-replay) remembers what a real run without filters replayed; --dry-run and
filtered runs commit nothing. Pass a new --group to re-read everything.`;

/**
 * The dlq:replay command: parses its arguments, wires a Kafka client and producer from the
 * environment and replays (see `replayDlq`). The bin entry only hands it the process's parts.
 */
export async function runDlqReplayCommand(
  args: string[],
  env: NodeJS.ProcessEnv,
  out: { write(text: string): unknown },
): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'error-code': { type: 'string' },
      product: { type: 'string' },
      image: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      group: { type: 'string', default: 'zocket-dlq-replay' },
      help: { type: 'boolean', default: false },
    },
  });

  if (values.help) {
    out.write(`${USAGE}\n`);
  } else {
    const config = loadConfig(env);
    const kafka = createKafka({
      clientId: 'zocket-dlq-replay',
      brokers: config.kafka.brokers,
      // kafkajs's defaults: an operator's one-off run may wait out a broker restart.
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 30_000 },
      logLevel: logLevel.ERROR,
    });
    const producer = kafka.producer(PRODUCER_OPTIONS);
    await producer.connect();
    try {
      const report = await replayDlq({
        kafka,
        producer,
        topics: topicNames(config.kafka.topicPrefix),
        groupId: values.group,
        dryRun: values['dry-run'],
        filter: {
          ...(values['error-code'] === undefined ? {} : { errorCode: values['error-code'] }),
          ...(values.product === undefined ? {} : { productId: values.product }),
          ...(values.image === undefined ? {} : { imageId: values.image }),
        },
      });
      out.write(
        `${values['dry-run'] ? 'would replay' : 'replayed'} ${report.replayed} of ${report.scanned} dead-lettered jobs (${report.skipped} did not match)\n`,
      );
    } finally {
      await producer.disconnect();
    }
  }
}
