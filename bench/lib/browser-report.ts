/**
 * The browser section of docs/performance.md (part 5): time to the first decoded remote frame on
 * both pages, app against the floor page, and the per-phase timeline of both pages, between
 * markers so a browser-only run (`node --import tsx bench/parts/browser.ts --docs`) replaces just
 * this section and a full report writes it in place.
 */
import { PHASES, PHASE_TEXT, type Phase } from '../browser/measure.js';
import type { BrowserResult } from '../parts/browser.js';
import { docSection } from './doc-section.js';
import type { Spread } from './stats.js';

export const BROWSER_SECTION = docSection('browser');

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const cell = (s: Spread | null | undefined) =>
  s === null || s === undefined ? 'n/a' : s.n === 1 ? n(s.median) : `${n(s.median)} (${n(s.min)}–${n(s.max)})`;
const med = (s: Spread | null | undefined) => (s === null || s === undefined ? null : s.median);
const pageName = (t: string) => (t === 'homecall' ? 'HomeCall app' : 'floor page');

/** The issue's browser target from one run's medians: at most 1.3x the floor and under 1 s. */
export function browserTarget(b: BrowserResult): {
  app: number | null;
  floor: number | null;
  ratio: number | null;
  met: boolean | null;
} {
  const app = med(b.summary.homecall?.bothMs);
  const floor = med(b.summary.floor?.bothMs);
  const ratio = app === null || floor === null || floor <= 0 ? null : app / floor;
  return { app, floor, ratio, met: ratio === null || app === null ? null : ratio <= 1.3 && app < 1000 };
}

export interface BrowserRunInfo {
  runs: number;
  /** How this section was produced, when by a browser-only run; a full report says it above. */
  command?: string;
  loadAverage?: { start: number[]; end: number[] };
}

export function browserMarkdown(b: BrowserResult, info: BrowserRunInfo): string {
  const out: string[] = [BROWSER_SECTION.begin];
  out.push(
    `### 5. Browser: second page opens the link → first decoded remote video frame (ms, median of ${info.runs})`,
    '',
  );
  if (info.command !== undefined) {
    const load = info.loadAverage;
    out.push(
      `Measured by \`${info.command}\`${load ? `; load average ${load.start.map((x) => x.toFixed(2)).join(', ')} at the start, ${load.end.map((x) => x.toFixed(2)).join(', ')} at the end (2 cores, shared)` : ''}. App and floor page alternate run by run, after one unmeasured warm-up run each.`,
      '',
    );
  }
  out.push('| page | both sides | first page | second page | failed runs |', '| --- | --- | --- | --- | --- |');
  for (const [t, x] of Object.entries(b.summary)) {
    out.push(`| ${pageName(t)} | ${cell(x.bothMs)} | ${cell(x.firstMs)} | ${cell(x.secondMs)} | ${x.failed} |`);
  }
  const target = browserTarget(b);
  if (target.ratio !== null) {
    out.push(
      '',
      `Target (issue 11): both sides at most 1.3× the floor page and under 1,000 ms. This run: ${n(target.app!)} ms against ${n(target.floor!)} ms, **${target.ratio.toFixed(2)}×**: ${target.met ? 'met' : '**missed**'}.`,
    );
  }
  const targets = Object.keys(b.summary);
  const columns = targets.flatMap((t) => (['second', 'first'] as const).map((page) => ({ t, page })));
  const shown = PHASES.filter((p: Phase) =>
    columns.some(({ t, page }) => b.summary[t]?.phases?.[page]?.[p] !== undefined),
  );
  if (shown.length > 0) {
    out.push(
      '',
      'Timeline: median ms from the second page’s navigation at which each phase is first reached (phases a page reached before that moment, the first page’s own load and join, are left out).',
      '',
      `| phase | ${columns.map(({ t, page }) => `${pageName(t)}, ${page} page`).join(' | ')} |`,
      `| --- | ${columns.map(() => '---').join(' | ')} |`,
    );
    for (const p of shown) {
      out.push(
        `| ${PHASE_TEXT[p]} | ${columns
          .map(({ t, page }) => {
            const s = b.summary[t]?.phases?.[page]?.[p];
            return s === undefined ? '–' : n(s.median);
          })
          .join(' | ')} |`,
      );
    }
    const busy = columns.map(({ t, page }) => b.summary[t]?.longTaskMs?.[page]);
    if (busy.some((x) => x !== null && x !== undefined))
      out.push(
        `| main thread in long tasks (> 50 ms), navigation → own first frame | ${busy.map((x) => (x === null || x === undefined ? '–' : cell(x))).join(' | ')} |`,
      );
  }
  out.push(BROWSER_SECTION.end);
  return out.join('\n');
}
