import { parseArgs } from 'node:util';
import { topicNames } from '@zocket/contracts';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { loadConfig } from '../config.js';
import { replayDlq } from '../dlq-replay.js';

const USAGE = `usage: npm run dlq:replay -- [--error-code CODE] [--product ID] [--image ID] [--bulk-job ID] [--dry-run] [--group ID]

Re-publishes dead-lettered image jobs to the topic they came from (all, or those matching every
filter given). Uses KAFKA_BROKERS and KAFKA_TOPIC_PREFIX from the environment. The consumer group
(default zocket-dlq-replay) remembers what a real run without filters replayed; --dry-run and
filtered runs commit nothing. Pass a new --group to re-read everything.`;

const { values } = parseArgs({
  options: {
    'error-code': { type: 'string' },
    product: { type: 'string' },
    image: { type: 'string' },
    'bulk-job': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    group: { type: 'string', default: 'zocket-dlq-replay' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
} else {
  const config = loadConfig(process.env);
  const kafka = new Kafka({
    clientId: 'zocket-dlq-replay',
    brokers: config.kafka.brokers,
    logLevel: logLevel.ERROR,
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
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
        ...(values['bulk-job'] === undefined ? {} : { bulkJobId: values['bulk-job'] }),
      },
    });
    process.stdout.write(
      `${values['dry-run'] ? 'would replay' : 'replayed'} ${report.replayed} of ${report.scanned} dead-lettered jobs (${report.skipped} did not match)\n`,
    );
  } finally {
    await producer.disconnect();
  }
}
