#!/usr/bin/env node
// `npm run dev`: starts the API and one image processor (already built) with this shell's
// environment, e.g. after `eval "$(infra/local/up)"` and `npm run db:migrate`. Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The processor's allocator, as in its Docker image: jemalloc (Debian libjemalloc2, installed by
// infra/local/up), else glibc held to two arenas. glibc's default kept libvips' freed buffers.
const jemalloc = `/usr/lib/${arch() === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/libjemalloc.so.2`;
const allocator = existsSync(jemalloc) ? { LD_PRELOAD: jemalloc } : { MALLOC_ARENA_MAX: '2' };
const services = [
  { name: 'api', entry: 'services/api/dist/main.js', env: {} },
  {
    name: 'image-processor',
    entry: 'services/image-processor/dist/main.js',
    // Images in flight share the libuv pool with DNS and file I/O: give it room.
    env: { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '8', ...allocator },
  },
];

const children = services.map(({ name, entry, env }) => {
  const child = spawn(process.execPath, ['--enable-source-maps', join(root, entry)], {
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    process.stderr.write(`[dev] ${name} exited (${signal ?? code})\n`);
    if (!stopping) stop(code ?? 1);
  });
  return child;
});

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exitCode = code;
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
