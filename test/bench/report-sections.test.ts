/**
 * What `npm run bench` writes into docs/performance.md when it ran only some parts: the sections
 * of the parts it measured, and nothing else (bench/report.ts, `replaceMeasuredSections`).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { replaceMeasuredSections } from '../../bench/report.js';

const results = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../bench/results/${name}`, import.meta.url), 'utf8'));
/** A run of the wss parts only (memory, calls, latency, capacity). */
const wssOnly = results('2026-12-02T18-33-44Z.json');
/** The browser part's own results file: `{ meta, browser }`. */
const browserRun = results('2026-12-02T18-25-03Z-browser.json');

const docs = [
  '# Performance',
  '',
  '| target | HomeCall | floor | HomeCall ÷ floor | bound | met |',
  '| --- | --- | --- | --- | --- | --- |',
  '| memory per waiting participant, 1,000 (KiB) | 1 | 1 | 1.00× | ≤ 1.3× | yes |',
  '| browser: link opened → first decoded frame, both sides (ms) | 1 | 1 | 1.00× | ≤ 1.3×; and under 1000 ms | yes |',
  '',
  'hand-written prose',
  '<!-- browser:begin -->',
  'OLD BROWSER SECTION',
  '<!-- browser:end -->',
  '',
  '## Several nodes',
  '<!-- multi-node:begin -->',
  'MULTI-NODE KEPT',
  '<!-- multi-node:end -->',
  '<!-- proxy-cost:begin -->',
  'PROXY KEPT',
  '<!-- proxy-cost:end -->',
  'the end',
  '',
].join('\n');

test('a run of parts without sections of their own leaves the docs exactly as they were', () => {
  assert.equal(wssOnly.browser, null, 'the fixture is a run without the browser part');
  assert.equal(replaceMeasuredSections(docs, wssOnly), docs);
  const real = readFileSync(new URL('../../docs/performance.md', import.meta.url), 'utf8');
  assert.equal(replaceMeasuredSections(real, wssOnly), real);
});

test('a run with the browser part replaces the browser section and row, and keeps every other line in place', () => {
  const run = { ...wssOnly, browser: browserRun.browser };
  const out = replaceMeasuredSections(docs, run);
  assert.ok(!out.includes('OLD BROWSER SECTION'), 'the old browser section is gone');
  const section = out.slice(out.indexOf('<!-- browser:begin -->'), out.indexOf('<!-- browser:end -->'));
  assert.match(section, /\| HomeCall app \| 785 /, "this run's median is in the new section");
  assert.match(
    out,
    /^\| browser: link opened → first decoded frame, both sides \(ms\) \| 785 \| 418 \| 1\.88× \| .* \| \*\*no\*\* \|$/m,
  );
  const outside = (text: string) => {
    const b = text.indexOf('<!-- browser:begin -->');
    const e = text.indexOf('<!-- browser:end -->');
    return `${text.slice(0, b)}${text.slice(e)}`.split('\n').filter((l) => !l.startsWith('| browser:'));
  };
  assert.deepEqual(outside(out), outside(docs), 'every other line, in the same order');
});
