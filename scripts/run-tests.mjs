#!/usr/bin/env node
// Runs node's test runner (through tsx) on one group of test files, or on all of them.
// Groups: unit (src/**/*.test.ts), integration (test/integration), e2e (test/e2e), all.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const GROUPS = {
  unit: ['src'],
  integration: ['test/integration'],
  e2e: ['test/e2e'],
  bench: ['test/bench'],
};

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
  ...process.argv.slice(3),
  ...files,
];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
