import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BROWSER_SECTION, browserMarkdown, browserTarget } from '../../bench/lib/browser-report.js';
import type { BrowserResult } from '../../bench/parts/browser.js';

const s = (median: number) => ({ median, min: median - 10, max: median + 10, n: 10 });

function result(app: number, floor: number): BrowserResult {
  const page = (both: number) => ({
    bothMs: s(both),
    firstMs: s(both - 5),
    secondMs: s(both),
    failed: 0,
    longTaskMs: { first: s(40), second: s(90) },
    phases: {
      first: { offerSent: s(120), frame: s(both - 5) },
      second: { script: s(70), media: s(110), frame: s(both) },
    },
  });
  return { runs: [], summary: { homecall: page(app), floor: page(floor) } };
}

test('the browser target is at most 1.3x the floor page and under 1 s', () => {
  assert.equal(browserTarget(result(360, 300)).met, true);
  assert.equal(browserTarget(result(400, 300)).met, false);
  assert.equal(browserTarget(result(1_100, 1_000)).met, false);
});

test('the section shows both pages, the ratio and the per-phase timeline of both pages', () => {
  const md = browserMarkdown(result(560, 283), {
    runs: 10,
    command: 'x',
    loadAverage: { start: [1, 2, 3], end: [4, 5, 6] },
  });
  assert.ok(md.startsWith(BROWSER_SECTION.begin) && md.endsWith(BROWSER_SECTION.end));
  assert.match(md, /\| HomeCall app \| 560 \(550–570\) \|/);
  assert.match(md, /1\.98×\*\*: \*\*missed\*\*/);
  assert.match(md, /\| getUserMedia resolved \| 110 \| – \| 110 \| – \|/);
  assert.match(md, /\| offer sent \| – \| 120 \| – \| 120 \|/);
  assert.doesNotMatch(md, /ICE connected/);
  assert.match(
    md,
    /\| main thread in long tasks \(> 50 ms\), navigation → own first frame \| 90 \(80–100\) \| 40 \(30–50\) \| 90 \(80–100\) \| 40 \(30–50\) \|/,
  );
  const docs = `a\n${BROWSER_SECTION.begin}\nold\n${BROWSER_SECTION.end}\nb`;
  assert.equal(BROWSER_SECTION.replace(docs, md), `a\n${md}\nb`);
});
