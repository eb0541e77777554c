#!/usr/bin/env node
// Runs node's test runner (through tsx) on one group of test files, or on all of them.
// Groups: unit (src/**/*.test.ts), then one group per folder of test/ (integration, e2e, bench,
// and any folder a new tier adds, e.g. test/turn), and all of them together.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Folders of test/ that hold no test files of their own. */
const NOT_GROUPS = new Set(['helpers']);

const GROUPS = { unit: ['src'] };
for (const name of readdirSync('test').sort()) {
  if (!NOT_GROUPS.has(name) && statSync(join('test', name)).isDirectory()) GROUPS[name] = [join('test', name)];
}

function findTests(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const group = process.argv[2] ?? 'all';
const dirs = group === 'all' ? Object.values(GROUPS).flat() : GROUPS[group];
if (!dirs) {
  console.error(`unknown test group "${group}"; use one of: ${Object.keys(GROUPS).join(', ')}, all`);
  process.exit(2);
}
const files = dirs.flatMap(findTests).sort();
if (files.length === 0) {
  console.error(`no test files found for group "${group}"`);
  process.exit(1);
}
const args = [
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  '--test-concurrency=2',
  // A test that hangs fails after 10 minutes instead of holding CI until its limit.
  '--test-timeout=600000',
  ...process.argv.slice(3),
  ...files,
];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
