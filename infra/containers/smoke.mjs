#!/usr/bin/env node
// Runs the two built images against infra/local's services on the host network and checks what a
// user of the images relies on. Called by infra/containers/check-images after the builds; reads
// the services' addresses from the environment (infra/local/up's exports) and needs the repo's
// node_modules (kafkajs for the test topics).
//   node infra/containers/smoke.mjs <api-image> <processor-image> <summary.json>
// Every container, topic and database it makes is its own (unique names) and removed at the end.
import { execFile as execFileCb, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

const execFile = promisify(execFileCb);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [apiImage, processorImage, summaryPath] = process.argv.slice(2);
if (summaryPath === undefined) {
  process.stderr.write('usage: smoke.mjs <api-image> <processor-image> <summary.json>\n');
  process.exit(2);
}

const id = randomUUID().slice(0, 8);
const started = Date.now();
const log = (line) =>
  process.stderr.write(`[images +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
let failures = 0;
const check = (ok, what, detail = '') => {
  log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail === '' ? '' : ` (${detail})`}`);
  if (!ok) failures += 1;
  return ok;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// podman's own complaints (no systemd here to time healthchecks) stay out of the log.
const podman = (...args) =>
  execFileSync('podman', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const podmanAsync = (...args) =>
  execFile('podman', args, { encoding: 'utf8', timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error) => ({ code: error.code ?? 1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );

async function freePort() {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

async function waitFor(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last !== undefined && last !== false) return last;
    } catch (error) {
      last = error;
    }
    await sleep(500);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s (last: ${String(last)})`);
}

// ---- what the Dockerfiles, compose and the manifests say -----------------------------------
const read = (path) => readFileSync(join(root, path), 'utf8');
const compose = read('docker-compose.yml');
/** `stop_grace_period: 20s` of a compose service. */
const gracePeriod = (service) => {
  const block = compose.split(/^ {2}(?=[a-z])/m).find((b) => b.startsWith(`${service}:`)) ?? '';
  const seconds = Number(/stop_grace_period: (\d+)s/.exec(block)?.[1]);
  if (!Number.isFinite(seconds))
    throw new Error(`docker-compose.yml: no stop_grace_period for ${service}`);
  return seconds;
};

const images = {
  api: { image: apiImage, dockerfile: 'services/api/Dockerfile', grace: gracePeriod('api') },
  processor: {
    image: processorImage,
    dockerfile: 'services/image-processor/Dockerfile',
    grace: gracePeriod('image-processor'),
  },
};

// ---- isolation: database, topics, groups, cache prefix of this run ----------------------------
const env = process.env;
for (const name of ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS', 'S3_ENDPOINT']) {
  if (!env[name]) throw new Error(`${name} is not set: run under eval "$(infra/local/up)"`);
}
const database = `zocket_images_${id}`;
const databaseUrl = (() => {
  const url = new URL(env.DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
})();
const topicPrefix = `images-${id}.`;
const topics = read('infra/kafka/topics.txt')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => {
    const [name, partitions] = l.split(/\s+/);
    return { topic: `${topicPrefix}${name}`, numPartitions: Number(partitions) };
  });
const kafka = new Kafka({
  clientId: `images-check-${id}`,
  brokers: env.KAFKA_BROKERS.split(','),
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
const secret = `images-check-secret-${randomUUID()}`;
const common = {
  DATABASE_URL: databaseUrl,
  REDIS_URL: env.REDIS_URL,
  KAFKA_BROKERS: env.KAFKA_BROKERS,
  KAFKA_TOPIC_PREFIX: topicPrefix,
  CACHE_KEY_PREFIX: `images-${id}`,
  S3_ENDPOINT: env.S3_ENDPOINT,
  S3_REGION: env.S3_REGION ?? 'us-east-1',
  S3_ACCESS_KEY_ID: env.S3_ACCESS_KEY_ID ?? 'zocket',
  S3_SECRET_ACCESS_KEY: env.S3_SECRET_ACCESS_KEY ?? 'zocketsecret',
  S3_BUCKET: env.S3_BUCKET ?? 'zocket',
  S3_FORCE_PATH_STYLE: 'true',
  // Host network: listen on loopback only, not on every interface of this machine.
  HOST: '127.0.0.1',
};
const envArgs = (vars) => Object.entries(vars).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
const containers = [];

async function psql(sql) {
  const url = new URL(env.DATABASE_URL);
  url.pathname = '/postgres';
  await execFile('psql', [url.toString(), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
}

async function cleanup() {
  for (const name of containers) await podmanAsync('rm', '-f', '-t', '0', name);
  await admin.deleteTopics({ topics: topics.map((t) => t.topic) }).catch(() => {});
  await admin.disconnect().catch(() => {});
  await psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
}

// ---- the image to upload ----------------------------------------------------------------------
function kodakImage() {
  const dir = join(env.IMAGE_FIXTURES ?? join(root, '..', 'shared', 'fixtures', 'images'), 'kodak');
  if (!existsSync(dir)) return undefined;
  const file = readdirSync(dir)
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort()[0];
  return file === undefined ? undefined : { name: file, bytes: readFileSync(join(dir, file)) };
}

/** A 640x480 PNG (a circle on a flat background) made by the processor image's sharp, for machines without the Kodak set. */
async function generatedImage() {
  const { stdout } = await podmanAsync(
    'run',
    '--rm',
    '--no-healthcheck',
    '--network',
    'host',
    '--entrypoint',
    'node',
    processorImage,
    '-e',
    'require(\'sharp\')({create:{width:640,height:480,channels:3,background:{r:40,g:120,b:200}}}).composite([{input:Buffer.from(\'<svg width="640" height="480"><circle cx="320" cy="240" r="150" fill="orange"/></svg>\')}]).png().toBuffer().then(b=>process.stdout.write(b.toString(\'base64\')))',
  );
  return { name: 'generated.png', bytes: Buffer.from(stdout, 'base64') };
}

// ---- the run ----------------------------------------------------------------------------------
const summary = { standInBase: true, images: {} };
try {
  // What was built.
  for (const [role, spec] of Object.entries(images)) {
    const [info] = JSON.parse(podman('image', 'inspect', spec.image));
    const exposed = Object.keys(info.Config?.ExposedPorts ?? {}).map((p) =>
      Number(p.split('/')[0]),
    );
    const health = info.Healthcheck ?? info.Config?.Healthcheck;
    const base = podman(
      'image',
      'inspect',
      '--format',
      '{{ index .Labels "zocket.standin" }}',
      spec.image,
    );
    summary.standInBase &&= base === 'true';
    summary.images[role] = {
      image: spec.image,
      sizeBytes: info.Size,
      user: info.Config?.User ?? '',
      exposedPorts: exposed,
      healthcheck: health?.Test ?? null,
      cmd: info.Config?.Cmd ?? [],
      env: Object.fromEntries(
        (info.Config?.Env ?? []).map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]),
      ),
    };
    check(health?.Test?.length > 0, `${role}: the image carries its HEALTHCHECK`);
    check(
      summary.images[role].user === 'node',
      `${role}: the image runs as user node`,
      summary.images[role].user,
    );
    const declared = Number(/^EXPOSE (\d+)$/m.exec(read(spec.dockerfile))?.[1]);
    check(
      exposed.length === 1 && exposed[0] === declared,
      `${role}: exposes ${declared}`,
      exposed.join(','),
    );
    log(`${role}: ${spec.image} ${(info.Size / 1e6).toFixed(0)} MB`);
  }

  await psql(`CREATE DATABASE ${database}`);
  await admin.connect();
  await admin.createTopics({ topics, waitForLeaders: true });

  // Migrations, from the API image (as compose's `migrate` and the k8s Job run them).
  const migrate = await podmanAsync(
    'run',
    '--rm',
    '--no-healthcheck',
    '--network',
    'host',
    ...envArgs({ DATABASE_URL: databaseUrl }),
    apiImage,
    'node',
    'packages/db/dist/bin/migrate.js',
  );
  if (
    !check(
      migrate.code === 0,
      'migrations run from the API image',
      migrate.stderr.trim().split('\n').at(-1),
    )
  ) {
    throw new Error('migrations failed');
  }

  const apiPort = await freePort();
  const metricsPort = await freePort();
  const apiName = `zocket-images-api-${id}`;
  const processorName = `zocket-images-processor-${id}`;
  containers.push(apiName, processorName);
  podman(
    'run',
    '-d',
    '--name',
    apiName,
    '--network',
    'host',
    ...envArgs({
      ...common,
      PORT: String(apiPort),
      AUTH_JWT_SECRET: secret,
      BULK_COMMANDS_GROUP_ID: `images-${id}-bulk-commands`,
    }),
    apiImage,
  );
  podman(
    'run',
    '-d',
    '--name',
    processorName,
    '--network',
    'host',
    ...envArgs({
      ...common,
      METRICS_PORT: String(metricsPort),
      KAFKA_GROUP_ID: `images-${id}-processors`,
      KAFKA_BULK_GROUP_ID: `images-${id}-processors-bulk`,
      PUBLIC_IMAGE_BASE_URL: env.PUBLIC_IMAGE_BASE_URL ?? `${env.S3_ENDPOINT}/${common.S3_BUCKET}`,
    }),
    processorImage,
  );
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  // The images' own HEALTHCHECKs (the commands Docker and compose run), until they pass.
  for (const [role, name] of [
    ['api', apiName],
    ['processor', processorName],
  ]) {
    const healthy = await waitFor(`${role} healthcheck`, 90_000, async () => {
      const state = podman('inspect', '--format', '{{.State.Status}}', name);
      if (state !== 'running')
        throw new Error(`${role} container is ${state}: ${podman('logs', '--tail', '20', name)}`);
      return (await podmanAsync('healthcheck', 'run', name)).code === 0;
    }).catch((error) => {
      log(String(error));
      return false;
    });
    check(healthy, `${role}: HEALTHCHECK passes`);
    const uid = (await podmanAsync('exec', name, 'id', '-u')).stdout.trim();
    const pid1 = (await podmanAsync('exec', name, 'sh', '-c', 'stat -c %u /proc/1')).stdout.trim();
    check(
      uid !== '0' && pid1 === uid,
      `${role}: runs as a non-root user`,
      `uid ${uid}, pid 1 uid ${pid1}`,
    );
    summary.images[role === 'api' ? 'api' : 'processor'].uid = Number(uid);
  }

  // The API: readiness and the console.
  const ready = await waitFor(
    '/readyz',
    60_000,
    async () => (await fetch(`${apiUrl}/readyz`)).status === 200,
  ).catch(() => false);
  check(ready, 'api: /readyz answers 200');
  const consolePage = await fetch(`${apiUrl}/console/`);
  const html = await consolePage.text();
  check(
    consolePage.status === 200 &&
      /text\/html/.test(consolePage.headers.get('content-type') ?? '') &&
      html.includes('<script'),
    'api: serves the console at /console/',
    `HTTP ${consolePage.status}`,
  );

  // A product with an uploaded image turns ready through the containerised processor.
  const token = podman(
    'exec',
    apiName,
    'node',
    'services/api/dist/bin/token.js',
    `images-seller-${id}`,
  );
  const auth = { authorization: `Bearer ${token}` };
  const created = await fetch(`${apiUrl}/products`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: `Image check ${id}`,
      description: 'made by infra/containers/check-images',
      price: { amountMinor: 1999, currency: 'EUR' },
    }),
  });
  const product = await created.json();
  if (
    !check(
      created.status === 200 || created.status === 201,
      'api: creates a product',
      `HTTP ${created.status}`,
    )
  ) {
    throw new Error(JSON.stringify(product));
  }
  let picture = kodakImage();
  if (picture === undefined) {
    log(
      'the Kodak fixtures are absent ($IMAGE_FIXTURES or ../shared/fixtures/images/kodak): uploading a generated image instead',
    );
    picture = await generatedImage();
  }
  summary.uploaded = picture.name;
  const form = new FormData();
  form.append('files', new Blob([picture.bytes], { type: 'image/png' }), picture.name);
  const uploaded = await fetch(`${apiUrl}/products/${product.id}/images`, {
    method: 'POST',
    headers: auth,
    body: form,
  });
  check(
    uploaded.ok,
    `api: accepts the upload of ${picture.name} (${(picture.bytes.length / 1024).toFixed(0)} KiB)`,
    `HTTP ${uploaded.status}`,
  );
  const t0 = Date.now();
  const done = await waitFor('the image to turn ready', 180_000, async () => {
    const body = await (await fetch(`${apiUrl}/products/${product.id}`)).json();
    const image = body.images?.[0];
    if (image?.status === 'failed') throw new Error(`image failed: ${JSON.stringify(image)}`);
    return image?.status === 'ready' ? image : undefined;
  }).catch((error) => {
    log(String(error));
    return undefined;
  });
  check(
    done !== undefined,
    'processor: the uploaded image turns ready',
    `${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (done !== undefined) {
    const variants = done.variants ?? [];
    const served = await Promise.all(
      variants.map(async (v) => {
        const r = await fetch(v.url);
        await r.arrayBuffer();
        return r.status;
      }),
    );
    check(
      variants.length > 0 && served.every((s) => s === 200),
      'processor: its variants are in S3',
      `${variants.length} variants, HTTP ${[...new Set(served)].join(',')}`,
    );
  }

  // Bad input: one clear line naming the variable, and a non-zero exit.
  for (const [role, image, vars, variable] of [
    ['api', apiImage, {}, 'AUTH_JWT_SECRET'],
    ['processor', processorImage, { METRICS_PORT: 'eighty-eighty' }, 'METRICS_PORT'],
  ]) {
    const run = await podmanAsync(
      'run',
      '--rm',
      '--no-healthcheck',
      '--network',
      'host',
      ...envArgs(vars),
      image,
    );
    const lines = run.stderr
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '');
    check(
      run.code !== 0 && lines.length === 1 && lines[0].includes(variable),
      `${role}: started without a valid ${variable}, exits ${run.code} with one line naming it`,
      lines.join(' | ').slice(0, 200),
    );
  }

  // SIGTERM: each stops by itself within its grace period (compose's stop_grace_period), exit 0.
  for (const [role, name] of [
    ['processor', processorName],
    ['api', apiName],
  ]) {
    const grace = images[role].grace;
    const t = Date.now();
    await podmanAsync('stop', '--time', String(grace), name);
    const seconds = (Date.now() - t) / 1000;
    const code = podman('inspect', '--format', '{{.State.ExitCode}}', name);
    check(
      code === '0' && seconds < grace,
      `${role}: SIGTERM stops it with exit 0 within its ${grace} s grace period`,
      `exit ${code} after ${seconds.toFixed(1)} s`,
    );
    summary.images[role].stopSeconds = Number(seconds.toFixed(1));
    if (code !== '0') log(podman('logs', '--tail', '30', name));
  }
} catch (error) {
  check(false, 'the image check ran to its end', String(error?.stack ?? error));
} finally {
  await cleanup();
}

writeFileSync(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
for (const [role, target] of [
  ['api', 250],
  ['processor', 350],
]) {
  const mb = summary.images[role]?.sizeBytes / 1e6;
  log(
    `${role} image: ${mb.toFixed(0)} MB uncompressed (target <= ${target} MB${mb <= target ? '' : ', over it'}${summary.standInBase ? ', on the stand-in base' : ''})`,
  );
}
log(failures === 0 ? 'all image checks passed' : `${failures} image check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
