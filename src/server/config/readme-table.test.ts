import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { settingsTable } from './index.js';

test("the README's settings table is exactly settingsTable(), so it cannot drift from SETTINGS", () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const begin = /<!-- settings:begin[\s\S]*?-->\n/.exec(readme);
  const end = readme.indexOf('<!-- settings:end -->');
  assert.ok(begin && end > begin.index, 'README.md has the settings:begin / settings:end markers');
  const inReadme = readme.slice(begin.index + begin[0].length, end).trimEnd();
  assert.equal(
    inReadme,
    settingsTable(),
    'README settings table differs from SETTINGS; run: node --import tsx scripts/readme-settings.ts',
  );
});
