import { freePort } from './ports.js';
import type { TestServices } from './services.js';

/* For machines with a Docker engine. Images match docker-compose.yml. */

export async function startContainers(): Promise<{
  services: TestServices;
  stop: () => Promise<void>;
}> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafkaPort = await freePort();

  const [postgres, redis, kafka, minio] = await Promise.all([
    new GenericContainer('postgres:17')
      .withEnvironment({
        POSTGRES_USER: 'zocket',
        POSTGRES_PASSWORD: 'zocket',
        POSTGRES_DB: 'zocket',
      })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start(),
    new GenericContainer('redis:7').withExposedPorts(6379).start(),
    // Kafka must advertise the address clients use, so the host port is fixed before start.
    new GenericContainer('apache/kafka:4.1.1')
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      })
      .withExposedPorts({ container: 9092, host: kafkaPort })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start(),
    new GenericContainer('minio/minio:latest')
      .withCommand(['server', '/data'])
      .withEnvironment({ MINIO_ROOT_USER: 'zocket', MINIO_ROOT_PASSWORD: 'zocketsecret' })
      .withExposedPorts(9000)
      .withWaitStrategy(Wait.forHttp('/minio/health/ready', 9000))
      .start(),
  ]);

  const services: TestServices = {
    origin: 'testcontainers',
    databaseUrl: `postgres://zocket:zocket@${postgres.getHost()}:${postgres.getMappedPort(5432)}/zocket`,
    redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    kafkaBrokers: [`127.0.0.1:${kafkaPort}`],
    s3: {
      endpoint: `http://${minio.getHost()}:${minio.getMappedPort(9000)}`,
      region: 'us-east-1',
      accessKeyId: 'zocket',
      secretAccessKey: 'zocketsecret',
      bucket: 'zocket',
      forcePathStyle: true,
    },
  };
  // Topics and the bucket are created by each test's own setup (they isolate themselves anyway).
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({
    endpoint: services.s3.endpoint,
    region: services.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'zocket', secretAccessKey: 'zocketsecret' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: 'zocket' }));
  s3.destroy();

  return {
    services,
    stop: async () => {
      await Promise.all([postgres.stop(), redis.stop(), kafka.stop(), minio.stop()]);
    },
  };
}
