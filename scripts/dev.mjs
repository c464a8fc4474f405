#!/usr/bin/env node
// `npm run dev`: the whole system on this machine, from a fresh clone.
//   1. refuses politely when another `npm run dev` of this checkout is running (or the ports answer);
//   2. when no service variable is set, starts infra/local (idempotent) and takes its variables;
//   3. builds (turbo), applies the migrations, starts the API and one image processor (and the
//      console and the storefront, when apps/ has them: the API serves their builds at /console
//      and /shop);
//   4. prints where everything is and a development token; pretty logs on a terminal, JSON otherwise.
// Ctrl-C stops what it started; infra/local keeps running (infra/local/down stops it).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The processor's allocator, as in its Docker image: jemalloc (Debian libjemalloc2, installed by
// infra/local/up), else glibc held to two arenas. glibc's default kept libvips' freed buffers.
const jemalloc = `/usr/lib/${arch() === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/libjemalloc.so.2`;
const allocator = existsSync(jemalloc) ? { LD_PRELOAD: jemalloc } : { MALLOC_ARENA_MAX: '2' };

const SERVICE_VARIABLES = ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS', 'S3_ENDPOINT'];
const stateFile = join(root, 'node_modules', '.cache', 'zocket-dev.json');
const say = (line) => process.stderr.write(`[dev] ${line}\n`);

const host = process.env.HOST ?? '127.0.0.1';
const apiPort = Number(process.env.PORT ?? 8080);
const metricsPort = Number(process.env.METRICS_PORT ?? 8081);
const shown = host === '0.0.0.0' ? '127.0.0.1' : host;
const apiUrl = `http://${shown}:${apiPort}`;
const metricsUrl = `http://${shown}:${metricsPort}`;

// ---- 1. one at a time -------------------------------------------------------------------------
const running = readState();
if (running !== undefined) {
  say(`npm run dev is already running (pid ${running.pid}, started ${running.startedAt}):`);
  say(`  API ${running.apiUrl}   processor ${running.metricsUrl}`);
  say(`stop it with Ctrl-C in its terminal (or kill ${running.pid}) before starting another.`);
  process.exit(0);
}
for (const [what, port] of [
  ['API', apiPort],
  ['image processor', metricsPort],
]) {
  if (!(await portIsFree(host, port))) {
    const zocket = await answers(`http://${shown}:${port}/healthz`);
    say(
      zocket
        ? `a Zocket service already answers on ${shown}:${port} (another npm run dev or test run?).`
        : `port ${port} (for the ${what}) is taken by another program.`,
    );
    say('stop it, or choose other ports: PORT=18080 METRICS_PORT=18081 npm run dev');
    process.exit(1);
  }
}

// ---- 2. services --------------------------------------------------------------------------------
const env = { ...process.env };
const startedInfra = SERVICE_VARIABLES.every((name) => env[name] === undefined);
if (startedInfra) {
  say('no service variables set: starting infra/local (PostgreSQL, Redis, Kafka, S3Proxy)');
  const up = spawnSync(join(root, 'infra/local/up'), {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (up.status !== 0) {
    say(`infra/local/up failed (exit ${up.status}); see above`);
    process.exit(1);
  }
  for (const line of up.stdout.split('\n')) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match !== null) env[match[1]] = match[2].replace(/^'(.*)'$/, '$1');
  }
} else {
  say(`using the services from the environment (${SERVICE_VARIABLES.join(', ')})`);
}

// ---- 3. build, migrate, start -------------------------------------------------------------------
// The console and the storefront (apps/console, apps/storefront, when present) are static builds
// the API serves at /console/ and /shop/.
const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? [];
/** The workspace name of apps/<dir> when it exists and is a workspace, else undefined. */
const appWorkspace = (dir) => {
  const manifest = join(root, 'apps', dir, 'package.json');
  if (!existsSync(manifest) || !workspaces.some((w) => w === 'apps/*' || w === `apps/${dir}`)) {
    return undefined;
  }
  return JSON.parse(readFileSync(manifest, 'utf8')).name;
};
const consoleWorkspace = appWorkspace('console');
const storefrontWorkspace = appWorkspace('storefront');
const hasConsole = consoleWorkspace !== undefined;
const hasStorefront = storefrontWorkspace !== undefined;
const filters = ['@zocket/api', '@zocket/image-processor'];
if (hasConsole) filters.push(consoleWorkspace);
if (hasStorefront) filters.push(storefrontWorkspace);
say(`building ${filters.join(', ')}`);
run('npx', [
  'turbo',
  'run',
  'build',
  ...filters.map((f) => `--filter=${f}`),
  '--output-logs=errors-only',
]);
say('applying migrations');
run(process.execPath, [join(root, 'packages/db/dist/bin/migrate.js')]);

const pretty = process.stdout.isTTY ? (await import('pino-pretty')).default : undefined;
const services = [
  {
    name: 'api',
    entry: 'services/api/dist/main.js',
    // As in its image: V8 flags that keep the API's peak RSS down (services/api/src/node-flags.ts).
    flags: ['--max-semi-space-size=8', '--heap-growing-percent=50'],
    env: { PORT: String(apiPort), OTEL_SERVICE_NAME: env.OTEL_SERVICE_NAME ?? 'zocket-api' },
  },
  {
    name: 'image-processor',
    entry: 'services/image-processor/dist/main.js',
    // Images in flight share the libuv pool with DNS and file I/O: give it room.
    env: {
      METRICS_PORT: String(metricsPort),
      UV_THREADPOOL_SIZE: env.UV_THREADPOOL_SIZE ?? '8',
      OTEL_SERVICE_NAME: env.OTEL_SERVICE_NAME ?? 'zocket-image-processor',
      ZOCKET_OTEL_KAFKAJS: env.ZOCKET_OTEL_KAFKAJS ?? '1',
      ...allocator,
    },
  },
];

let stopping = false;
const children = services.map(({ name, entry, flags = [], env: own }) => {
  // The tracing bootstrap does nothing unless OTEL_EXPORTER_OTLP_ENDPOINT (or
  // OTEL_TRACES_EXPORTER) is set (README, Tracing).
  const args = [
    '--enable-source-maps',
    ...flags,
    '--import',
    '@zocket/telemetry/register',
    join(root, entry),
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...env, ...own },
    stdio: ['ignore', pretty === undefined ? 'inherit' : 'pipe', 'inherit'],
  });
  if (pretty !== undefined) {
    child.stdout.pipe(
      pretty({
        colorize: true,
        singleLine: true,
        ignore: 'pid,hostname,service',
        translateTime: 'HH:MM:ss.l',
      }),
    );
  }
  child.on('exit', (code, signal) => {
    say(`${name} exited (${signal ?? code})`);
    if (!stopping) stop(code === 0 ? 1 : (code ?? 1));
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) finish();
  });
  return child;
});
writeState();
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
process.on('exit', clearState);

const ready = await Promise.all([
  waitFor(`${apiUrl}/readyz`, 60_000),
  waitFor(`${metricsUrl}/healthz`, 60_000),
]);
if (!stopping && ready.every(Boolean)) await printSummary();

// ---- helpers ------------------------------------------------------------------------------------
async function printSummary() {
  const token = spawnSync(
    process.execPath,
    [join(root, 'services/api/dist/bin/token.js'), 'dev-seller', '43200'],
    { cwd: root, env, encoding: 'utf8' },
  );
  const consoleServed = hasConsole && (await answers(`${apiUrl}/console/`));
  const storefrontServed = hasStorefront && (await answers(`${apiUrl}/shop/`));
  const lines = [
    '',
    'Zocket is running',
    `  API            ${apiUrl}            (tRPC at /trpc, REST at /products)`,
    `  OpenAPI        ${apiUrl}/openapi.json`,
    `  readiness      ${apiUrl}/readyz   all dependencies: ${apiUrl}/readyz/all`,
    ...(consoleServed ? [`  console        ${apiUrl}/console/`] : []),
    ...(storefrontServed ? [`  storefront     ${apiUrl}/shop/   (public, no sign-in)`] : []),
    `  API metrics    ${apiUrl}/metrics`,
    `  processor      ${metricsUrl}/metrics   ${metricsUrl}/readyz`,
    `  tracing        ${tracingLine()}`,
    '',
    token.status === 0
      ? `Development token (seller "dev-seller", 12 h):\n  export TOKEN=${token.stdout.trim()}`
      : `no development token: ${token.stderr.trim()}`,
    'Create a product, upload an image, watch it turn ready:',
    `  ID=$(curl -s -X POST ${apiUrl}/products -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
    `    -d '{"name":"Mug","price":{"amountMinor":1999,"currency":"EUR"}}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).id')`,
    `  curl -s -X POST ${apiUrl}/products/$ID/images -H "authorization: Bearer $TOKEN" -F files=@photo.jpg`,
    `  curl -s ${apiUrl}/products/$ID`,
    '',
    startedInfra
      ? 'Ctrl-C stops the API and the processor; infra/local keeps running (stop it with infra/local/down).'
      : 'Ctrl-C stops the API and the processor.',
    '',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}

function tracingLine() {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (env.OTEL_TRACES_EXPORTER === 'none') return 'off (OTEL_TRACES_EXPORTER=none)';
  if (endpoint !== undefined) return `OTLP/HTTP to ${endpoint}`;
  if (env.OTEL_TRACES_EXPORTER !== undefined) return `exporter ${env.OTEL_TRACES_EXPORTER}`;
  return 'off (set OTEL_EXPORTER_OTLP_ENDPOINT to export traces)';
}

function stop(code) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}

function finish() {
  clearState();
  if (startedInfra) say('infra/local is still running; stop it with infra/local/down');
}

function run(command, args) {
  try {
    execFileSync(command, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    say(`failed: ${command} ${args.join(' ')}`);
    process.exit(1);
  }
}

async function waitFor(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!stopping && Date.now() < deadline) {
    if (await answers(url)) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (!stopping) say(`${url} did not answer within ${timeoutMs / 1000} s`);
  return false;
}

async function answers(url) {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

function portIsFree(hostname, port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: hostname, port, exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
}

function readState() {
  try {
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    process.kill(state.pid, 0); // throws when that process is gone
    return state;
  } catch {
    return undefined;
  }
}

function writeState() {
  mkdirSync(dirname(stateFile), { recursive: true });
  const state = { pid: process.pid, startedAt: new Date().toISOString(), apiUrl, metricsUrl };
  writeFileSync(stateFile, `${JSON.stringify(state)}\n`);
}

function clearState() {
  if (readState()?.pid === process.pid) rmSync(stateFile, { force: true });
}
