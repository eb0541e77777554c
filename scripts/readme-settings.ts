// Rewrites the README's settings table (between the settings:begin/end markers) from SETTINGS.
// Run after adding or changing a setting: node --import tsx scripts/readme-settings.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsTable } from '../src/server/config/index.js';

const BEGIN = /<!-- settings:begin[\s\S]*?-->\n/;
const END = '<!-- settings:end -->';

const readme = readFileSync('README.md', 'utf8');
const begin = BEGIN.exec(readme);
const end = readme.indexOf(END);
if (!begin || end === -1 || end < begin.index) {
  console.error('README.md: no <!-- settings:begin --> ... <!-- settings:end --> markers');
  process.exit(1);
}
const start = begin.index + begin[0].length;
writeFileSync('README.md', `${readme.slice(0, start)}${settingsTable()}\n${readme.slice(end)}`);
console.log('README.md settings table updated');
