import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeStateFile } from './state-dir.js';

function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'homecall-state-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('writeStateFile: makes the directory 0700 and the file 0600, leaving no temporary file', () => {
  withTempDir((root) => {
    const dir = join(root, 'state');
    const file = writeStateFile({ dir, name: 'x', content: 'one', mode: 'replace' });
    assert.equal(file, join(dir, 'x'));
    assert.equal(readFileSync(file, 'utf8'), 'one');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['x']);
  });
});

test("writeStateFile: 'replace' overwrites, 'keep-existing' keeps the first file", () => {
  withTempDir((dir) => {
    writeStateFile({ dir, name: 'x', content: 'one', mode: 'keep-existing' });
    writeStateFile({ dir, name: 'x', content: 'two', mode: 'keep-existing' });
    assert.equal(readFileSync(join(dir, 'x'), 'utf8'), 'one');
    writeStateFile({ dir, name: 'x', content: 'three', mode: 'replace' });
    assert.equal(readFileSync(join(dir, 'x'), 'utf8'), 'three');
    assert.deepEqual(readdirSync(dir), ['x']);
  });
});
