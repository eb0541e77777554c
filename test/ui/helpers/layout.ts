import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** Small phone, phone, landscape phone, tablet, desktop. */
export const SIZES = {
  small: { width: 320, height: 568 },
  phone: { width: 360, height: 740 },
  landscape: { width: 740, height: 360 },
  tablet: { width: 768, height: 1024 },
  desktop: { width: 1280, height: 800 },
} as const;
export type SizeName = keyof typeof SIZES;

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Everything a screen must satisfy at one size, measured in the page in one evaluate: each
 * button reachable (scrolled into view if its container scrolls) and then inside the viewport,
 * not clipped by any ancestor and not covered by another element; no text wider than its box; no
 * word broken inside (only the link may break anywhere); nothing over the call controls; no
 * sideways scrolling; toasts off the middle of the other person's picture.
 */
function measure(): string[] {
  const problems: string[] = [];
  const vw = window.innerWidth;
  const vh = window.innerHeight;
  const label = (el: Element) =>
    (el as HTMLElement).dataset?.testid ?? (el.textContent ?? '').trim().slice(0, 40) ?? el.tagName;
  const shown = (el: Element) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;
    for (let a: Element | null = el; a; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.visibility === 'hidden' || cs.display === 'none' || Number(cs.opacity) === 0) return false;
    }
    return true;
  };
  const dialog = document.querySelector('[role="dialog"]');
  const scrollers = [...document.querySelectorAll<HTMLElement>('*')].filter((e) => e.scrollHeight > e.clientHeight);
  const saved = scrollers.map((e) => e.scrollTop);

  if (document.documentElement.scrollWidth > vw + 0.5) problems.push(`page is wider than the screen`);

  for (const el of document.querySelectorAll('button, a[href], select, input')) {
    if (!shown(el) || (dialog && !dialog.contains(el))) continue;
    el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    const r = el.getBoundingClientRect();
    if (r.left < -0.5 || r.top < -0.5 || r.right > vw + 0.5 || r.bottom > vh + 0.5)
      problems.push(`${label(el)}: outside the screen (${Math.round(r.left)},${Math.round(r.top)})`);
    for (let a = el.parentElement; a; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
      const ar = a.getBoundingClientRect();
      if (r.left < ar.left - 0.5 || r.right > ar.right + 0.5 || r.top < ar.top - 0.5 || r.bottom > ar.bottom + 0.5)
        problems.push(`${label(el)}: cut off by .${a.className}`);
    }
    const hit = document.elementFromPoint(
      Math.min(vw - 1, Math.max(0, r.left + r.width / 2)),
      Math.min(vh - 1, Math.max(0, r.top + r.height / 2)),
    );
    if (hit && !el.contains(hit)) problems.push(`${label(el)}: covered by .${(hit as HTMLElement).className}`);
  }
  scrollers.forEach((e, i) => {
    e.scrollTop = saved[i] ?? 0;
  });

  for (const el of document.querySelectorAll('h1, h2, p, li, legend, button, span, time')) {
    if (!shown(el)) continue;
    const cs = getComputedStyle(el);
    if (cs.display !== 'inline' && el.scrollWidth > el.clientWidth + 1)
      problems.push(`${label(el)}: text wider than its box by ${el.scrollWidth - el.clientWidth}px`);
    const breaks = cs.wordBreak === 'break-all' || cs.overflowWrap === 'anywhere' || cs.overflowWrap === 'break-word';
    if (breaks && !el.closest('.invite-url')) problems.push(`${label(el)}: words may be broken inside`);
    if (cs.hyphens === 'auto') problems.push(`${label(el)}: automatic hyphenation`);
  }

  /** The part of an element that can be seen: its box cut by every ancestor that clips. */
  const seen = (el: Element) => {
    const r = el.getBoundingClientRect();
    let { left, top, right, bottom } = r;
    for (let a = el.parentElement; a; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
      const ar = a.getBoundingClientRect();
      left = Math.max(left, ar.left);
      top = Math.max(top, ar.top);
      right = Math.min(right, ar.right);
      bottom = Math.min(bottom, ar.bottom);
    }
    return { left, top, right, bottom };
  };
  const controls = document.querySelector('.controls');
  if (controls && !dialog) {
    const c = controls.getBoundingClientRect();
    for (const el of document.querySelectorAll('body *')) {
      if (controls.contains(el) || el.contains(controls) || !shown(el)) continue;
      const r = seen(el);
      const w = Math.min(r.right, c.right) - Math.max(r.left, c.left);
      const h = Math.min(r.bottom, c.bottom) - Math.max(r.top, c.top);
      if (w > 0.5 && h > 0.5) problems.push(`${label(el)} (.${(el as HTMLElement).className}) overlaps the controls`);
    }
  }

  const remote = document.querySelector('video.remote:not(.remote-pending)');
  if (remote && shown(remote)) {
    const v = remote.getBoundingClientRect();
    const mid = {
      left: v.left + v.width * 0.35,
      right: v.right - v.width * 0.35,
      top: v.top + v.height * 0.35,
      bottom: v.bottom - v.height * 0.35,
    };
    for (const el of document.querySelectorAll('.toast, .remote-badge, .call-timer')) {
      if (!shown(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.left < mid.right && r.right > mid.left && r.top < mid.bottom && r.bottom > mid.top)
        problems.push(
          `${label(el)}: covers the middle of the other person's picture (it spans y ${Math.round(r.top)}–${Math.round(r.bottom)}, the middle ${Math.round(mid.top)}–${Math.round(mid.bottom)})`,
        );
    }
  }
  return problems;
}

/** tsx (esbuild keepNames) wraps named inner functions in __name(), which the page lacks. */
const withNames = (page: Page) => page.evaluate('globalThis.__name ??= (f) => f; undefined');

/** Checks one screen at every size; returns to the phone size afterwards. */
export async function checkLayout(
  page: Page,
  screen: string,
  sizes: readonly SizeName[] = Object.keys(SIZES) as SizeName[],
) {
  const all: string[] = [];
  await withNames(page);
  for (const size of sizes) {
    await page.setViewportSize(SIZES[size]);
    // Two frames: the resize, then the layout that follows it.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    for (const p of await page.evaluate(measure)) all.push(`${size}: ${p}`);
  }
  await page.setViewportSize(SIZES.phone);
  assert.deepEqual(all, [], `${screen}: layout problems`);
}

/** axe-core, injected from node_modules (no network): no serious or critical violation. */
export async function checkAxe(page: Page, screen: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  // Playing video keeps the page's main thread busy and makes axe many times slower; it checks
  // the elements, not the pictures, so the videos pause while it runs.
  const found = await page.evaluate(async () => {
    const playing = [...document.querySelectorAll('video')].filter((v) => !v.paused);
    for (const v of playing) v.pause();
    const axe = (
      window as unknown as {
        axe: {
          run(
            ctx: Document,
            o: object,
          ): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }>;
        };
      }
    ).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    for (const v of playing) void v.play().catch(() => {});
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
  });
  assert.deepEqual(found, [], `${screen}: accessibility violations`);
}

/** Both: every size for the layout, axe at the phone size. */
export async function checkScreen(page: Page, screen: string): Promise<void> {
  const t0 = Date.now();
  await checkLayout(page, screen);
  const t1 = Date.now();
  await checkAxe(page, screen);
  if (process.env.HOMECALL_UI_TIMING) console.log(`${screen}: layout ${t1 - t0} ms, axe ${Date.now() - t1} ms`);
}

/** No text size in px anywhere in the app's stylesheets (text must follow the user's setting). */
export async function pxFontSizes(page: Page): Promise<string[]> {
  await withNames(page);
  return page.evaluate(() => {
    const found: string[] = [];
    const walk = (rules: CSSRuleList) => {
      for (const rule of rules) {
        if (rule instanceof CSSStyleRule && /px/.test(rule.style.fontSize)) found.push(rule.selectorText);
        if ('cssRules' in rule && (rule as CSSGroupingRule).cssRules) walk((rule as CSSGroupingRule).cssRules);
      }
    };
    for (const sheet of document.styleSheets) walk(sheet.cssRules);
    return found;
  });
}
