import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The state directory holds the server's own secrets and its development certificate, never
// anything about a session. It is not configuration: config says where it is, this writes it.

export interface StateFileOptions {
  /** The state directory (made with mode 0700 when missing). */
  dir: string;
  /** File name inside it. */
  name: string;
  content: string;
  /**
   * 'replace' swaps the file in (rename); 'keep-existing' never overwrites one that is there
   * (link fails on an existing file), so two servers starting at once agree on the first one.
   */
  mode: 'replace' | 'keep-existing';
}

/**
 * Writes one file of the state directory atomically, mode 0600: written aside, then moved into
 * place, so nobody ever reads a half-written file. Returns the file's path.
 */
export function writeStateFile(options: StateFileOptions): string {
  const file = join(options.dir, options.name);
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, options.content, { mode: 0o600 });
  try {
    if (options.mode === 'replace') renameSync(tmp, file);
    else {
      try {
        linkSync(tmp, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  return file;
}
