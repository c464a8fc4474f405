import type { ChildProcess } from 'node:child_process';

/** SIGKILL a server a test started and wait for it to be gone; nothing to do if it already exited. */
export async function killAndWait(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
