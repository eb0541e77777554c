/**
 * The page's head keeps two start-up costs away (issue 11, Chrome traces in docs/performance.md,
 * "Browser: where the time went"): Chromium's Translate registering the Russian page on the
 * browser's main thread, and an SVG favicon built as a document on the page's main thread.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const html = readFileSync(new URL('./index.html', import.meta.url), 'utf8');

test('the page asks browsers not to translate it (the UI translates itself)', () => {
  assert.match(html, /<html\b[^>]*\btranslate="no"/);
  assert.match(html, /<meta name="google" content="notranslate" \/>/);
});

test('the favicon is a raster image, not an SVG', () => {
  const icons = [...html.matchAll(/<link rel="icon"[^>]*>/g)].map((m) => m[0]);
  assert.equal(icons.length, 1);
  assert.match(icons[0] ?? '', /href="\/icons\/icon-192\.png" type="image\/png"/);
  assert.doesNotMatch(html, /rel="icon"[^>]*\.svg/);
});
