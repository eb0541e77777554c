#!/usr/bin/env node
// `npm run typecheck`: one TypeScript program per environment, then a check that together they
// cover every .ts/.tsx file in the repository, so a new file can never be silently unchecked.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/** Each environment's config: its libraries and globals differ, so each is its own program. */
const PROJECTS = [
  ['tsconfig.json', 'Node: server, shared, node-side tests and bench, scripts, vite.config.ts'],
  ['tsconfig.web.json', 'the web app (DOM)'],
  ['tsconfig.web-tests.json', 'web unit tests (DOM types, run by node)'],
  ['tsconfig.sw.json', 'the service worker (WebWorker)'],
  ['tsconfig.browser-tests.json', 'browser tests and bench/browser (node, with page code typed against DOM)'],
];

const tsc = resolve('node_modules/typescript/bin/tsc');
const covered = new Set();
let failed = false;
for (const [project, what] of PROJECTS) {
  const r = spawnSync(process.execPath, [tsc, '-p', project, '--listFiles'], { encoding: 'utf8' });
  const lines = r.stdout.split('\n');
  const errors = lines.filter((l) => !l.startsWith('/') && l.trim() !== '');
  for (const l of lines) if (l.startsWith('/')) covered.add(resolve(l));
  if (r.status !== 0) {
    failed = true;
    console.error(`typecheck: ${project} (${what}) failed:\n${errors.join('\n')}${r.stderr}`);
  }
}

const listed = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.tsx'], {
  encoding: 'utf8',
});
if (listed.status !== 0) {
  console.error(`typecheck: git ls-files failed: ${listed.stderr}`);
  process.exit(1);
}
const missing = listed.stdout
  .split('\n')
  .filter((f) => f !== '' && !covered.has(resolve(f)))
  .sort();
if (missing.length > 0) {
  failed = true;
  console.error(`typecheck: not in any tsconfig (add each to the one for its environment):\n  ${missing.join('\n  ')}`);
}
if (failed) process.exit(1);
console.log(`typecheck: ${PROJECTS.length} programs, ${listed.stdout.trim().split('\n').length} files, no errors`);
