import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { killAndWait } from './child-process.js';
import { localStateDir } from './env.js';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** A server of one test's own, which that test may stop and start without disturbing others. */
export interface PrivateServer extends AsyncDisposable {
  /** An outage: the server stops (S3Proxy: SIGKILL; PostgreSQL: a fast shutdown). */
  stop(): Promise<void>;
  /** Back on the same port and data; resolves once it answers. */
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  close(): Promise<void>;
}

export interface PrivateS3 extends PrivateServer {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
}

async function until(
  what: string,
  check: () => Promise<boolean>,
  exited: () => number | null = () => null,
  timeoutMs = 90_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    const code = exited();
    if (code !== null) throw new Error(`${what} exited with ${code}`);
    if (Date.now() > deadline) throw new Error(`${what} did not become ready in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * An S3Proxy of its own (filesystem backend) on a free port, from the jar infra/local/up caches
 * under its state folder, with one bucket.
 */
export async function startPrivateS3(): Promise<PrivateS3> {
  const libs = join(localStateDir(), 's3proxy-libs');
  const jar = (await readdir(libs).catch(() => [] as string[])).find((f) =>
    /^s3proxy-.*-jar-with-dependencies\.jar$/.test(f),
  );
  if (jar === undefined) throw new Error(`no S3Proxy jar under ${libs}: run infra/local/up once`);
  const dir = await mkdtemp(join(tmpdir(), 'zocket-s3-'));
  const port = await freePort();
  const s3 = {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    accessKeyId: 'private',
    secretAccessKey: 'private-secret',
    bucket: 'zocket',
  };
  await mkdir(join(dir, 'data'));
  const properties = join(dir, 's3proxy.properties');
  await writeFile(
    properties,
    [
      `s3proxy.endpoint=${s3.endpoint}`,
      's3proxy.authorization=aws-v2-or-v4',
      `s3proxy.identity=${s3.accessKeyId}`,
      `s3proxy.credential=${s3.secretAccessKey}`,
      'jclouds.provider=filesystem',
      `jclouds.filesystem.basedir=${join(dir, 'data')}`,
      `jclouds.region=${s3.region}`,
      '',
    ].join('\n'),
  );
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    maxAttempts: 1,
  });
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);
  const start = async () => {
    const c = spawn(
      'java',
      [
        '-Xmx256m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.awt.headless=true',
        '-jar',
        join(libs, jar),
        '--properties',
        properties,
      ],
      { stdio: 'ignore' },
    );
    child = c;
    await until(
      'private S3Proxy',
      async () => {
        await client.send(new ListBucketsCommand({}));
        return true;
      },
      () => c.exitCode,
    );
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    await killAndWait(c);
  };
  const close = async () => {
    process.removeListener('exit', killOnExit);
    await stop();
    client.destroy();
    await rm(dir, { recursive: true, force: true });
  };
  await start();
  await client.send(new CreateBucketCommand({ Bucket: s3.bucket }));
  return { ...s3, start, stop, close, [Symbol.asyncDispose]: close };
}

export interface PrivatePostgres extends PrivateServer {
  /** The superuser's database (a test creates its own with it, or uses it as it is). */
  url: string;
}

async function postgresBin(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql').catch(() => [] as string[])).sort(
    (a, b) => Number(b) - Number(a),
  );
  if (versions[0] === undefined)
    throw new Error('PostgreSQL binaries not found (Debian postgresql)');
  return join('/usr/lib/postgresql', versions[0], 'bin');
}

/**
 * A PostgreSQL cluster of its own (initdb in a temporary folder, trust authentication, loopback
 * only) on a free port. As root it runs as the `postgres` OS user, as infra/local/up does:
 * PostgreSQL refuses to run as root.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await postgresBin();
  const dir = await mkdtemp(join(tmpdir(), 'zocket-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pgRun = (tool: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args])
      : run(join(bin, tool), args);
  await pgRun('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
    '--no-instructions',
  ]);
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let running = false;
  const start = async () => {
    await pgRun('pg_ctl', [
      'start',
      '-D',
      data,
      '-l',
      join(dir, 'postgres.log'),
      '-w',
      '-o',
      options,
    ]);
    running = true;
    await until('private PostgreSQL', async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.end();
      return true;
    });
  };
  const stop = async () => {
    if (!running) return;
    running = false;
    await pgRun('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w']);
  };
  // If the test process dies first, do not leave the cluster running (synchronously: on 'exit').
  const killOnExit = () => {
    if (!running) return;
    const stopArgs = [join(bin, 'pg_ctl'), 'stop', '-D', data, '-m', 'immediate'];
    if (asRoot) spawnSync('runuser', ['-u', 'postgres', '--', ...stopArgs]);
    else spawnSync(stopArgs[0] as string, stopArgs.slice(1));
  };
  process.once('exit', killOnExit);
  const close = async () => {
    process.removeListener('exit', killOnExit);
    await stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  await start();
  return { url, start, stop, close, [Symbol.asyncDispose]: close };
}
