import type { ChildProcess } from 'node:child_process';

/**
 * Stops a child: SIGTERM (a master process then stops its workers too), then SIGKILL after
 * `graceMs` if it hangs. Resolves once it has exited; at once if it already had.
 */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
