#!/usr/bin/env node
// Runs a command under the project's Node (.nvmrc), so `npm run dev`, `npm test` and the benches
// work on a machine whose own Node is older:
//   node scripts/with-node.mjs <command> [args...]
// When the running Node is older than the pinned major, infra/local/ensure-node provides the pinned
// release (downloaded once from the npm registry, checked against its integrity) and the command
// runs with it first on PATH, so every child (turbo, npm, vitest, the services) uses it too. When
// node_modules has never been installed, `npm ci` runs first, under the same Node.
// Written for any Node from 18 on: it is what runs before the switch.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  process.stderr.write('usage: node scripts/with-node.mjs <command> [args...]\n');
  process.exit(2);
}

const pinned = readFileSync(join(root, '.nvmrc'), 'utf8').trim().replace(/^v/, '');
const pinnedMajor = Number(pinned.split('.')[0]);
const env = { ...process.env };
if (Number(process.versions.node.split('.')[0]) < pinnedMajor) {
  const binDir = execFileSync(join(root, 'infra', 'local', 'ensure-node'), ['--bin-dir'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  process.stderr.write(
    `[zocket] Node ${process.version} is older than the project's ${pinned}: running under ${join(binDir, 'node')}\n`,
  );
  env.PATH = `${binDir}${delimiter}${env.PATH ?? ''}`;
}

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  process.stderr.write('[zocket] node_modules is not installed: npm ci first\n');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, env, stdio: 'inherit' });
}

const child = spawn(command, args, { env, stdio: 'inherit' });
// Ctrl-C reaches the child through the terminal's process group; other signals are passed on.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (signal !== 'SIGINT') child.kill(signal);
  });
}
child.on('error', (error) => {
  process.stderr.write(`[zocket] could not start ${command}: ${error.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  if (signal === null) process.exit(code ?? 1);
  // Die of the same signal, so the caller (npm, a shell) sees what happened.
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
});
