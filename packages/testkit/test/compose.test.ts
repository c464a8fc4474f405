import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../src/repo.js';

/*
 * docker-compose.yml must describe the same system as infra/local: same host ports, the same
 * environment variable names (infra/local/up's exports), the same Kafka topic file.
 */

const run = promisify(execFile);

type Env = Record<string, string | number | boolean | null>;
interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Env | string[];
  ports?: (string | number | { published?: string | number; target?: number })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  deploy?: { replicas?: number };
  stop_grace_period?: string;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

const root = repoRoot();
const composePath = join(root, 'docker-compose.yml');
// `merge: true`: the file shares environment blocks through YAML merge keys (`<<: *app-env`).
const compose = parse(readFileSync(composePath, 'utf8'), { merge: true }) as ComposeFile;
const services = compose.services;
const upScript = readFileSync(join(root, 'infra', 'local', 'up'), 'utf8');
const libScript = readFileSync(join(root, 'infra', 'local', 'lib.sh'), 'utf8');

const LONG_RUNNING = ['postgres', 'redis', 'kafka', 'minio', 'api', 'image-processor'];
const ONE_SHOT = ['kafka-init', 'minio-init', 'migrate'];

function service(name: string): ComposeService {
  const s = services[name];
  if (s === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

/** `PG_PORT="${PG_PORT:-5432}"` in infra/local/lib.sh -> 5432. */
function defaultPort(variable: string): number {
  const match = new RegExp(`^${variable}="\\$\\{${variable}:-(\\d+)\\}"`, 'm').exec(libScript);
  if (match === null) throw new Error(`infra/local/lib.sh sets no default for ${variable}`);
  return Number(match[1]);
}

/** Host ports a service publishes ("127.0.0.1:5432:5432", "5432:5432", long syntax). */
function publishedPorts(s: ComposeService): number[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'object') return Number(p.published);
    const parts = String(p).split('/')[0]?.split(':') ?? [];
    if (parts.length < 2) throw new Error(`port ${p} publishes no fixed host port`);
    return Number(parts[parts.length - 2]);
  });
}

function envOf(s: ComposeService): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(s.environment)) {
    for (const entry of s.environment) {
      const i = entry.indexOf('=');
      env[i < 0 ? entry : entry.slice(0, i)] = i < 0 ? '' : entry.slice(i + 1);
    }
  } else {
    for (const [k, v] of Object.entries(s.environment ?? {})) env[k] = v === null ? '' : String(v);
  }
  return env;
}

function dependsOn(s: ComposeService): Record<string, string> {
  if (Array.isArray(s.depends_on)) {
    return Object.fromEntries(s.depends_on.map((d) => [d, 'service_started']));
  }
  return Object.fromEntries(
    Object.entries(s.depends_on ?? {}).map(([d, v]) => [d, v.condition ?? 'service_started']),
  );
}

/** The names infra/local/up prints as `export NAME=...` on stdout. */
const upExports = [...upScript.matchAll(/^export ([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string);

/**
 * The Compose Specification's JSON schema (compose-spec/compose-spec, schema/compose-spec.json),
 * as the dclint package ships it: no npm package of the spec itself is current. Compiled with
 * Ajv's draft-07 (the draft it declares, under an https id Ajv does not list).
 */
function composeValidator() {
  const dclint = dirname(createRequire(import.meta.url).resolve('dclint/package.json'));
  const { $schema, ...schema } = JSON.parse(
    readFileSync(join(dclint, 'schemas', 'compose.schema.json'), 'utf8'),
  ) as Record<string, unknown>;
  expect($schema).toMatch(/draft-07/);
  // Its formats ("duration", ...) are annotations here: Compose parses those values itself.
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const validate = ajv.compile(schema);
  return (document: unknown) => {
    const valid = validate(document);
    return { valid, errors: ajv.errorsText(validate.errors, { separator: '\n' }) };
  };
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const { valid, errors } = composeValidator()(compose);
    expect(valid, errors).toBe(true);
  });

  it('fails the schema on a misspelt key (the check has teeth)', () => {
    const broken = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    broken.services.api = { ...broken.services.api, healthchek: { test: ['CMD', 'true'] } };
    const { valid, errors } = composeValidator()(broken);
    expect(valid).toBe(false);
    expect(errors).toContain('additional properties');
  });

  it('has every service of the system', () => {
    expect(Object.keys(services).sort()).toEqual(
      expect.arrayContaining([...LONG_RUNNING, ...ONE_SHOT]),
    );
  });

  it('runs two image-processor replicas without publishing a host port', () => {
    expect(service('image-processor').deploy?.replicas).toBe(2);
    expect(service('image-processor').ports ?? []).toEqual([]);
  });

  it('lets anonymous readers fetch variants only, never the uploaded originals', () => {
    const command = [service('minio-init').command ?? []].flat().join('\n');
    const grants = [...command.matchAll(/mc anonymous set (\S+) (\S+)/g)].map((m) => [m[1], m[2]]);
    expect(grants).toEqual([['download', 'zocket/zocket/variants']]);
  });

  it('gives the api and the processors longer than their shutdown timeouts to stop', () => {
    const seconds = (name: string) =>
      Number(/^(\d+)s$/.exec(service(name).stop_grace_period ?? '')?.[1]);
    // SHUTDOWN_TIMEOUT_MS defaults: api 10 s (+5 s relay drain), image-processor 30 s.
    expect(seconds('api')).toBeGreaterThan(15);
    expect(seconds('image-processor')).toBeGreaterThan(30);
  });

  it('gives every long-running service a health check', () => {
    for (const name of LONG_RUNNING) {
      const check = service(name).healthcheck;
      expect(check?.disable, name).not.toBe(true);
      expect(check?.test, name).toBeDefined();
      expect(check?.test?.length, name).toBeGreaterThan(0);
    }
  });

  it('only waits for health where there is a health check, and for one-shots to complete', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(s))) {
        expect(services[dep], `${name} depends on unknown ${dep}`).toBeDefined();
        if (condition === 'service_healthy') {
          expect(services[dep]?.healthcheck?.test, `${name} waits for ${dep} health`).toBeDefined();
        }
        if (ONE_SHOT.includes(dep)) {
          expect(condition, `${name} -> ${dep}`).toBe('service_completed_successfully');
        }
      }
    }
  });

  it('publishes the host ports infra/local uses', () => {
    expect(publishedPorts(service('postgres'))).toContain(defaultPort('PG_PORT'));
    expect(publishedPorts(service('redis'))).toContain(defaultPort('REDIS_PORT'));
    expect(publishedPorts(service('kafka'))).toContain(defaultPort('KAFKA_PORT'));
    expect(publishedPorts(service('minio'))).toContain(defaultPort('S3_PORT'));
  });

  it('advertises the published Kafka port to the host and an internal listener to containers', () => {
    const listeners = envOf(service('kafka')).KAFKA_ADVERTISED_LISTENERS ?? '';
    expect(listeners).toContain(`127.0.0.1:${defaultPort('KAFKA_PORT')}`);
    for (const name of ['api', 'image-processor']) {
      const brokers = envOf(service(name)).KAFKA_BROKERS ?? '';
      expect(brokers).not.toMatch(/127\.0\.0\.1|localhost/);
      for (const broker of brokers.split(',')) expect(listeners).toContain(`//${broker}`);
    }
  });

  it('gives api and image-processor every variable infra/local/up exports', () => {
    expect(upExports).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS', 'S3_ENDPOINT']),
    );
    for (const name of ['api', 'image-processor', 'migrate']) {
      const env = envOf(service(name));
      for (const variable of upExports) {
        expect(env[variable], `${name}: ${variable}`).toBeDefined();
      }
    }
  });

  it('creates the Kafka topics from infra/kafka/topics.txt', () => {
    const init = service('kafka-init');
    const mounts = (init.volumes ?? []).map((v) =>
      typeof v === 'string'
        ? { source: v.split(':')[0] ?? '', target: v.split(':')[1] ?? '' }
        : { source: v.source ?? '', target: v.target ?? '' },
    );
    const topics = mounts.find((m) => posix.normalize(m.source) === 'infra/kafka/topics.txt');
    expect(topics, JSON.stringify(mounts)).toBeDefined();
    expect(existsSync(join(root, 'infra', 'kafka', 'topics.txt'))).toBe(true);
    const script = [init.entrypoint, init.command].flat().join(' ');
    expect(script).toContain(topics?.target ?? 'no topics.txt mount');
    expect(script).toContain('kafka-topics.sh');
    expect(script).toContain('--if-not-exists');
  });

  it('starts the api only after the migrations completed', () => {
    expect(dependsOn(service('api')).migrate).toBe('service_completed_successfully');
    expect(service('migrate').command).toEqual(['node', 'packages/db/dist/bin/migrate.js']);
  });

  it('is accepted by `docker compose config` when the compose plugin is installed', async () => {
    let hasCompose = true;
    try {
      await run('docker', ['compose', 'version'], { timeout: 10_000 });
    } catch {
      hasCompose = false;
    }
    if (!hasCompose) {
      // Only the YAML checks above apply on a machine without the compose plugin.
      return;
    }
    const result = await run('docker', ['compose', '-f', composePath, 'config', '-q'], {
      cwd: root,
      timeout: 20_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({
        code: error.code ?? 1,
        stderr: error.stderr,
      }),
    );
    expect(result.code, result.stderr).toBe(0);
  });
});
