import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiEnvSchema } from '@zocket/api';
import { TOPICS } from '@zocket/contracts';
import { processorEnvSchema } from '@zocket/image-processor';
import { TELEMETRY_ENV_NAMES } from '@zocket/telemetry';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  baseDir,
  byName,
  type Container,
  containerEnv,
  containers,
  type Doc,
  dockerfileImage,
  imageName,
  loadDocs,
  MODELS,
  manifestFiles,
  ofKind,
  read,
  readmeVariables,
  repoRoot,
  topicPartitions,
} from './manifests.js';

const docs = loadDocs();
const API_IMAGE = dockerfileImage('services/api/Dockerfile');
const PROCESSOR_IMAGE = dockerfileImage('services/image-processor/Dockerfile');

/** Read by Node or glibc rather than by the services' config; allowed on the processor only. */
const RUNTIME_VARIABLES = new Set(['MALLOC_ARENA_MAX']);
/**
 * Read by the tracing bootstrap (`--import @zocket/telemetry/register`) and the OpenTelemetry SDK,
 * before the service's config exists: the standard OTEL_* names it lists, and nothing else.
 */
const TRACING_VARIABLES = new Set<string>(TELEMETRY_ENV_NAMES);
/** README variables deliberately left unset in the base, and why. */
const UNSET_ON_PURPOSE: Record<string, string> = {
  AUTH_JWKS_URL: 'optional URL (an empty value is invalid); config.yaml shows it commented',
  CONSOLE_DIR: 'the default finds the console the API image ships (apps/console/dist)',
  STOREFRONT_DIR: 'the default finds the storefront the API image ships (apps/storefront/dist)',
  NODE_ENV: 'the API image sets NODE_ENV=production itself',
  QUALITY_TARGET: 'opt-in quality search; unset keeps the fixed profile (README, Image processing)',
  QUALITY_TARGET_WEBP: 'opt-in, per format: overrides QUALITY_TARGET for WebP',
  QUALITY_TARGET_AVIF: 'opt-in, per format: overrides QUALITY_TARGET for AVIF',
};
const SENSITIVE = [
  'DATABASE_URL',
  'REDIS_URL',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'AUTH_JWT_SECRET',
];

const schemaKeys = (schema: { shape: object }) => new Set(Object.keys(schema.shape));
const API_KEYS = schemaKeys(apiEnvSchema);
const PROCESSOR_KEYS = schemaKeys(processorEnvSchema);

/** The TypeScript files under `dir` (those containing `marker`, when given), concatenated. */
function sources(dir: string, marker?: string): string {
  const text = readdirSync(join(repoRoot, dir), { recursive: true })
    .filter((f) => String(f).endsWith('.ts'))
    .map((f) => read(`${dir}/${f}`))
    .filter((t) => marker === undefined || t.includes(marker))
    .join('\n');
  if (text === '') throw new Error(`no TypeScript under ${dir}${marker ? ` with ${marker}` : ''}`);
  return text;
}

type Role = 'api' | 'processor' | 'migrate';
function role(workload: Doc, container: Container): Role {
  const image = imageName(container.image);
  if (image === PROCESSOR_IMAGE) return 'processor';
  if (image !== API_IMAGE) throw new Error(`${workload.metadata.name}: unknown image ${image}`);
  return workload.kind === 'Job' ? 'migrate' : 'api';
}
const services = containers(docs).map(({ workload, container }) => ({
  workload,
  container,
  role: role(workload, container),
  env: containerEnv(docs, container),
}));
const apis = services.filter((s) => s.role === 'api');
const processors = services.filter((s) => s.role === 'processor');

describe('deploy/k8s/base', () => {
  it('lists every manifest file in kustomization.yaml', () => {
    const kustomization = parse(readFileSync(join(baseDir, 'kustomization.yaml'), 'utf8'));
    expect([...kustomization.resources].sort()).toEqual(manifestFiles());
  });

  it('has only kinds it knows, and each validates against kubernetes-models / @kubernetes-models/keda', () => {
    expect(docs.length).toBeGreaterThan(10);
    for (const doc of docs) {
      const model = MODELS[`${doc.apiVersion}/${doc.kind}` as keyof typeof MODELS];
      expect(model, `${doc.file}: ${doc.apiVersion} ${doc.kind}`).toBeDefined();
      const { file: _file, ...manifest } = doc;
      expect(
        () =>
          new (model as unknown as new (m: unknown) => { validate(): void })(manifest).validate(),
        `${doc.file} ${doc.kind}`,
      ).not.toThrow();
    }
  });

  it('has one API Deployment, a live and a bulk processor Deployment, and the migration Job', () => {
    expect(apis.map((s) => s.workload.metadata.name)).toEqual(['zocket-api']);
    expect(processors.map((s) => s.workload.metadata.name).sort()).toEqual([
      'zocket-image-processor',
      'zocket-image-processor-bulk',
    ]);
    expect(services.filter((s) => s.role === 'migrate')).toHaveLength(1);
  });
});

describe('environment', () => {
  it('sets only variables the service reads', () => {
    for (const { workload, role, env } of services) {
      const keys = role === 'processor' ? PROCESSOR_KEYS : API_KEYS;
      const unknown = [...env.keys()].filter(
        (name) =>
          !keys.has(name) &&
          !TRACING_VARIABLES.has(name) &&
          !(role === 'processor' && RUNTIME_VARIABLES.has(name)),
      );
      expect(unknown, workload.metadata.name).toEqual([]);
    }
  });

  it('sets every variable of the README configuration tables for the service that reads it', () => {
    const shared = readmeVariables('Shared by both services');
    const api = readmeVariables('API (`services/api`, port 8080)');
    const processor = readmeVariables(
      'Image processor (`services/image-processor`, ops port 8081)',
    );
    expect(shared.length + api.length + processor.length).toBeGreaterThan(50);
    for (const { workload, env } of apis) {
      const missing = [...shared, ...api].filter((n) => !env.has(n) && !(n in UNSET_ON_PURPOSE));
      expect(missing, workload.metadata.name).toEqual([]);
    }
    for (const { workload, env } of processors) {
      const missing = [...shared, ...processor].filter(
        (n) => !env.has(n) && !(n in UNSET_ON_PURPOSE),
      );
      expect(missing, workload.metadata.name).toEqual([]);
    }
  });

  it('gives each service values its own config schema accepts', () => {
    for (const { workload, role, env } of services) {
      if (role === 'migrate') continue;
      const schema = role === 'api' ? apiEnvSchema : processorEnvSchema;
      const parsed = schema.safeParse(Object.fromEntries(env));
      expect(parsed.error?.issues ?? [], workload.metadata.name).toEqual([]);
    }
  });

  it('names each service for its traces, and instruments kafkajs in the processors only', () => {
    for (const { workload, role, env } of services) {
      if (role === 'migrate') continue;
      const name = role === 'api' ? 'zocket-api' : 'zocket-image-processor';
      expect(env.get('OTEL_SERVICE_NAME'), workload.metadata.name).toBe(name);
      // In the API it would overwrite the request's traceparent the outbox rows carry.
      expect(env.get('ZOCKET_OTEL_KAFKAJS'), workload.metadata.name).toBe(
        role === 'processor' ? '1' : undefined,
      );
    }
  });

  it('keeps credentials in Secrets, never in ConfigMaps', () => {
    for (const cm of ofKind(docs, 'ConfigMap')) {
      expect(
        Object.keys(cm.data).filter((k) => SENSITIVE.includes(k)),
        cm.metadata.name,
      ).toEqual([]);
    }
    const secretKeys = ofKind(docs, 'Secret').flatMap((s) => Object.keys(s.stringData));
    expect(secretKeys.sort()).toEqual([...SENSITIVE].sort());
  });

  it('leaves the API secret at the development default, which a production API refuses', () => {
    const devSecret = /DEV_JWT_SECRET = '([^']+)'/.exec(read('services/api/src/config.ts'))?.[1];
    expect(devSecret).toBeDefined();
    expect(byName(docs, 'Secret', 'zocket-api-secrets').stringData.AUTH_JWT_SECRET).toBe(devSecret);
  });

  it('runs the migrations with the command the API image documents and carries', () => {
    const migrate = services.find((s) => s.role === 'migrate');
    const command = (migrate?.container.command ?? []).join(' ');
    expect(read('services/api/Dockerfile')).toContain(command);
    expect(command).toBe('node packages/db/dist/bin/migrate.js');
    expect(readdirSync(join(repoRoot, 'packages/db/src/bin'))).toContain('migrate.ts');
    expect([...(migrate?.env.keys() ?? [])]).toEqual(['DATABASE_URL']);
  });
});

describe('images, ports and probes', () => {
  it('uses the image names the Dockerfiles build, here and in the production overlay', () => {
    const images = new Set(services.map((s) => imageName(s.container.image)));
    expect([...images].sort()).toEqual([API_IMAGE, PROCESSOR_IMAGE].sort());
    const overlay = parse(read('deploy/k8s/overlays/production/kustomization.yaml'));
    expect(overlay.images.map((i: { name: string }) => i.name).sort()).toEqual(
      [API_IMAGE, PROCESSOR_IMAGE].sort(),
    );
  });

  it('exposes the port the service listens on (config, Dockerfile EXPOSE)', () => {
    const expose = (path: string) => Number(/^EXPOSE (\d+)$/m.exec(read(path))?.[1]);
    for (const { workload, container, role, env } of services) {
      if (role === 'migrate') continue;
      const [port] = container.ports;
      const variable = role === 'api' ? 'PORT' : 'METRICS_PORT';
      const dockerfile = `services/${role === 'api' ? 'api' : 'image-processor'}/Dockerfile`;
      expect(container.ports, workload.metadata.name).toHaveLength(1);
      expect(port.containerPort, workload.metadata.name).toBe(Number(env.get(variable)));
      expect(port.containerPort, workload.metadata.name).toBe(expose(dockerfile));
    }
  });

  it('probes paths the services serve, on their port, with readiness on "can serve"', () => {
    const apiRoutes = sources('services/api/src/http');
    // The ops server's file, wherever the processor keeps it.
    const opsServer = sources('services/image-processor/src', 'createOpsServer');
    for (const { workload, container, role } of services) {
      if (role === 'migrate') continue;
      const portNames = container.ports.map((p: { name: string }) => p.name);
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const get = container[probe]?.httpGet;
        expect(get, `${workload.metadata.name} ${probe}`).toBeDefined();
        expect(portNames).toContain(get.port);
        const served =
          role === 'api'
            ? apiRoutes.includes(`.get('${get.path}'`)
            : opsServer.includes(`'${get.path}'`);
        expect(served, `${workload.metadata.name} ${probe} ${get.path}`).toBe(true);
      }
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      // Not /readyz/all: a Redis or Kafka outage must not take every pod out of rotation.
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    }
  });

  it('routes the API Service to the API pods by port name', () => {
    const service = byName(docs, 'Service', 'zocket-api');
    const api = byName(docs, 'Deployment', 'zocket-api');
    expect(api.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    const names = api.spec.template.spec.containers[0].ports.map((p: { name: string }) => p.name);
    for (const port of service.spec.ports) expect(names).toContain(port.targetPort);
  });

  it('gives every Deployment a grace period longer than its shutdown drain', () => {
    for (const { workload, container, role, env } of services) {
      if (role === 'migrate') continue;
      const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      // The API's outbox relay publishes for up to 5 s after the HTTP drain.
      const relay = role === 'api' ? 5 : 0;
      const needed = Number(env.get('SHUTDOWN_TIMEOUT_MS')) / 1000 + relay + preStop;
      expect(workload.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(needed);
    }
  });

  it('sets memory requests and limits on every container', () => {
    for (const { workload, container } of services) {
      expect(container.resources?.requests?.memory, workload.metadata.name).toBeDefined();
      expect(container.resources?.limits?.memory, workload.metadata.name).toBeDefined();
    }
  });
});

describe('autoscaling', () => {
  const partitions = topicPartitions();
  const scaledObjects = ofKind(docs, 'ScaledObject');
  const consumerSource = sources('services/image-processor/src', 'class ImageJobConsumer');

  it('scales each processor Deployment with one ScaledObject, and nothing else scales it', () => {
    const targets = scaledObjects.map((s) => s.spec.scaleTargetRef.name).sort();
    expect(targets).toEqual(processors.map((p) => p.workload.metadata.name).sort());
    const hpaTargets = ofKind(docs, 'HorizontalPodAutoscaler').map(
      (h) => h.spec.scaleTargetRef.name,
    );
    expect(hpaTargets).toEqual(['zocket-api']);
    for (const target of [...targets, ...hpaTargets]) {
      expect(byName(docs, 'Deployment', target).spec.replicas, target).toBeUndefined();
    }
  });

  it('watches a topic the system has, with the consumer group and offset policy of its Deployment', () => {
    const knownTopics = new Set<string>(Object.values(TOPICS));
    const earliest = /fromBeginning:\s*true/.test(consumerSource);
    for (const so of scaledObjects) {
      const [trigger] = so.spec.triggers;
      const { topic, consumerGroup, offsetResetPolicy, lagThreshold } = trigger.metadata;
      expect(trigger.type).toBe('kafka');
      expect(knownTopics.has(topic), `${so.metadata.name}: topic ${topic}`).toBe(true);
      expect(topic.endsWith('.retry'), 'retry topics are delayed on purpose').toBe(false);
      const deployment = processors.find(
        (p) => p.workload.metadata.name === so.spec.scaleTargetRef.name,
      );
      // The group consuming the watched topic: the bulk lane's for the bulk topic.
      const group = deployment?.env.get(
        topic === TOPICS.imageJobsBulk ? 'KAFKA_BULK_GROUP_ID' : 'KAFKA_GROUP_ID',
      );
      expect(consumerGroup, so.metadata.name).toBe(group);
      expect(offsetResetPolicy).toBe(earliest ? 'earliest' : 'latest');
      expect(Number(lagThreshold)).toBeGreaterThan(0);
      expect(trigger.metadata.bootstrapServers).toBe(
        byName(docs, 'ConfigMap', 'zocket-shared').data.KAFKA_BROKERS,
      );
    }
  });

  it('never scales a group past the partitions of its topic', () => {
    for (const so of scaledObjects) {
      const { topic } = so.spec.triggers[0].metadata;
      const count = partitions.get(topic);
      expect(count, topic).toBeDefined();
      expect(so.spec.maxReplicaCount).toBeLessThanOrEqual(count as number);
      expect(so.spec.minReplicaCount).toBeLessThanOrEqual(so.spec.maxReplicaCount);
    }
    const live = byName(docs, 'ScaledObject', 'zocket-image-processor');
    expect(live.spec.maxReplicaCount).toBe(partitions.get(TOPICS.imageJobs));
  });

  it('has a PodDisruptionBudget of maxUnavailable 1 selecting each Deployment', () => {
    for (const deployment of ofKind(docs, 'Deployment')) {
      const pdbs = ofKind(docs, 'PodDisruptionBudget').filter((p) =>
        Object.entries(p.spec.selector.matchLabels).every(
          ([k, v]) => deployment.spec.template.metadata.labels[k] === v,
        ),
      );
      expect(
        pdbs.map((p) => p.spec.maxUnavailable),
        deployment.metadata.name,
      ).toEqual([1]);
    }
  });
});
