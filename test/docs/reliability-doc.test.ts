// docs/reliability.md cites, for each row of the fault matrix, the tests that prove it. This
// keeps it honest: every row of the matrix is there, and every cited file exists and holds a
// test or suite whose title starts with the cited text.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/server.js';

const DOC = join(REPO_ROOT, 'docs/reliability.md');
const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
/** The rows of the matrix (reliability.md, sections A to I). */
const MATRIX_IDS = [
  ...range('H', 11),
  ...range('F', 9),
  ...range('M', 13),
  ...range('S', 12),
  ...range('R', 7),
  ...range('D', 7),
  ...range('X', 8),
  ...range('MN', 9),
  'L1',
  'L2',
  'T1',
];

/** Titles of every `test(`, `it(` and `describe(` call in a file (string literals, unescaped). */
function titlesIn(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/\b(?:test|it|describe)\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)].map((m) =>
    (m[2] as string).replace(/\\(.)/g, '$1'),
  );
}

test('docs/reliability.md has a row for every ID of the matrix, each with a test or a reason', () => {
  const doc = readFileSync(DOC, 'utf8');
  const rows = new Map<string, string>();
  for (const m of doc.matchAll(/^\| ([A-Z]{1,2}\d+) \| (.+) \|$/gm)) rows.set(m[1] as string, m[2] as string);
  assert.deepEqual(
    MATRIX_IDS.filter((id) => !rows.has(id)),
    [],
    'rows missing',
  );
  for (const [id, cell] of rows) {
    assert.ok(MATRIX_IDS.includes(id), `${id} is not an ID of the matrix`);
    assert.ok(/\]\(\.\.\/[^)]+\.test\.ts\)/.test(cell) || /\bNo test\b/.test(cell), `${id}: neither a test nor "No test"`);
  }
});

test('every test docs/reliability.md cites exists: the file, and a test or suite with that title', () => {
  const doc = readFileSync(DOC, 'utf8');
  const citations = [...doc.matchAll(/\[`([^`]+)`\]\((\.\.\/[^)]+\.test\.ts)\)/g)];
  assert.ok(citations.length > 50, `only ${citations.length} citations found`);
  const missing: string[] = [];
  for (const [, title, link] of citations) {
    const file = join(dirname(DOC), link as string);
    const shown = relative(REPO_ROOT, file);
    if (!existsSync(file)) {
      missing.push(`${shown}: no such file`);
      continue;
    }
    if (!titlesIn(file).some((t) => t.startsWith(title as string))) missing.push(`${shown}: no test titled "${title}…"`);
  }
  assert.deepEqual(missing, []);
});
