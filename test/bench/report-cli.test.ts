/**
 * `node --import tsx bench/report.ts FILE` prints the file's targets and writes nothing: neither
 * docs/performance.md (whose hand-written sections a full re-render from one file would drop)
 * nor a chart beside the file. Only `--docs` re-renders.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const docsFile = join(repo, 'docs', 'performance.md');

test('report.ts without --docs prints the targets and writes no file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'homecall-report-cli-'));
  try {
    const results = join(dir, 'run.json');
    copyFileSync(join(repo, 'bench', 'results', '2026-12-02T18-33-44Z.json'), results);
    const before = readFileSync(docsFile, 'utf8');
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(repo, 'bench', 'report.ts'), results], {
      cwd: repo,
      encoding: 'utf8',
    });
    assert.match(out, /^target {3}met: memory per waiting participant, 1,000: \d+\.\d\d× \(≤ 1\.3×\)$/m);
    assert.match(out, /relay latency p99: \d+\.\d\d×/);
    assert.deepEqual(readdirSync(dir), ['run.json']);
    assert.equal(readFileSync(docsFile, 'utf8'), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report.ts refuses a second file or none, with its usage', () => {
  for (const args of [[], ['a.json', 'b.json']]) {
    assert.throws(
      () =>
        execFileSync(process.execPath, ['--import', 'tsx', join(repo, 'bench', 'report.ts'), ...args], {
          cwd: repo,
          stdio: 'pipe',
        }),
      (error: { status: number; stderr: Buffer }) =>
        error.status === 2 && /usage: .*report\.ts/.test(String(error.stderr)),
    );
  }
});
