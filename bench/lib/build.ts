/** Builds the production server and web client when their output is missing or older than the sources. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoDir, serverEntry } from './targets.js';

export interface BuildOptions {
  /** --no-build: never build, only report what is missing. */
  noBuild: boolean;
  log: (msg: string) => void;
}

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/** Builds `dist/server` if stale; returns why HomeCall cannot be measured, or null. */
export function ensureServerBuild(options: BuildOptions): string | null {
  if (!existsSync(join(repoDir, 'src', 'server', 'main.ts'))) return 'src/server/main.ts does not exist yet';
  const src = Math.max(newestMtime(join(repoDir, 'src', 'server')), newestMtime(join(repoDir, 'src', 'shared')));
  const built = existsSync(serverEntry) ? statSync(serverEntry).mtimeMs : 0;
  if (built >= src || options.noBuild)
    return existsSync(serverEntry) ? null : 'dist/server/main.js missing (--no-build)';
  options.log('building the server (npm run build:server)');
  const r = spawnSync('npm', ['run', '--silent', 'build:server'], { cwd: repoDir, stdio: 'inherit' });
  return r.status === 0 && existsSync(serverEntry) ? null : `npm run build:server failed (exit ${r.status})`;
}

/** Builds `dist/web` if stale; returns why the HomeCall web client is missing, or null. */
export function ensureWebBuild(options: BuildOptions): string | null {
  if (!existsSync(join(repoDir, 'src', 'web'))) return 'src/web does not exist yet';
  const out = join(repoDir, 'dist', 'web', 'index.html');
  const src = newestMtime(join(repoDir, 'src', 'web'));
  if (existsSync(out) && (statSync(out).mtimeMs >= src || options.noBuild)) return null;
  if (options.noBuild) return 'dist/web missing (--no-build)';
  options.log('building the web client (npm run build:web)');
  const r = spawnSync('npm', ['run', '--silent', 'build:web'], { cwd: repoDir, stdio: 'inherit' });
  return r.status === 0 && existsSync(out) ? null : `npm run build:web failed (exit ${r.status})`;
}
