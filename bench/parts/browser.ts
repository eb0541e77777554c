/**
 * Part 5, "browser": the second page opens the link -> first decoded remote frame on both sides,
 * with the per-phase timeline of both pages. On its own (app and floor page alternating, one
 * JSON results file in bench/results/, `--docs` rewrites only the browser section of
 * docs/performance.md and its row in the targets table):
 *
 *   node --import tsx bench/parts/browser.ts [--runs 10] [--docs] [--no-build]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBrowser } from '../browser/measure.js';
import { BROWSER_SECTION, browserMarkdown, browserTarget } from '../lib/browser-report.js';
import { ensureServerBuild, ensureWebBuild } from '../lib/build.js';
import { makeCert } from '../lib/cert.js';
import { round } from '../lib/stats.js';
import { benchDir, repoDir, startServer, type TargetName } from '../lib/targets.js';
import type { ServerEnv } from '../lib/with-server.js';

export type BrowserResult = Awaited<ReturnType<typeof runBrowser>>;

export interface BrowserPartOptions {
  env: ServerEnv;
  targets: TargetName[];
  runs: number;
  noBuild: boolean;
  log: (msg: string) => void;
}

export interface BrowserPartResult {
  browser: BrowserResult | null;
  /** Why something was not measured, keyed as in the results' `meta.unavailable`. */
  unavailable: Record<string, string>;
}

/**
 * Builds the web client if needed and measures; a failure (no /usr/bin/chromium) is reported,
 * not thrown, so it does not cost the other parts' results. runBrowser stops its servers and
 * the browser in its own `finally`.
 */
export async function measureBrowser(options: BrowserPartOptions): Promise<BrowserPartResult> {
  const { env, log } = options;
  const unavailable: Record<string, string> = {};
  const webMissing = options.targets.includes('homecall') ? ensureWebBuild({ noBuild: options.noBuild, log }) : null;
  if (webMissing !== null) unavailable.browserHomecall = webMissing;
  try {
    const browser = await runBrowser({
      runs: options.runs,
      targets: options.targets.filter((t) => t !== 'homecall' || webMissing === null),
      start: (t, label) => startServer(t, { cert: env.cert, workDir: env.workDir, label }),
      log,
    });
    return { browser, unavailable };
  } catch (e) {
    unavailable.browser = (e as Error).message.split('\n')[0] ?? String(e);
    log(`browser part failed: ${unavailable.browser}`);
    return { browser: null, unavailable };
  }
}

/** The targets table's browser row, as bench/report.ts writes it, from this run's medians. */
function targetRow(b: BrowserResult): string | null {
  const t = browserTarget(b);
  if (t.app === null || t.floor === null || t.ratio === null) return null;
  const ms = (x: number) => Math.round(x).toLocaleString('en-US');
  return `| browser: link opened → first decoded frame, both sides (ms) | ${ms(t.app)} | ${ms(t.floor)} | ${t.ratio.toFixed(2)}× | ≤ 1.3×; and under 1000 ms | ${t.met ? 'yes' : '**no**'} |`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10' },
      docs: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
    },
  });
  const log = (l: string) => console.error(l);
  const noBuild = values['no-build'];
  const why = ensureServerBuild({ noBuild, log });
  if (why !== null) throw new Error(`HomeCall cannot be measured: ${why}`);
  const workDir = mkdtempSync(join(tmpdir(), 'homecall-browser-'));
  const startedAt = new Date();
  const loadStart = loadavg().map((x) => round(x, 2));
  try {
    const env: ServerEnv = { cert: await makeCert(workDir), workDir, resumeTls: true };
    const runs = Number(values.runs);
    const r = await measureBrowser({ env, targets: ['homecall', 'floor'], runs, noBuild, log });
    if (r.browser === null) throw new Error(`browser part failed: ${JSON.stringify(r.unavailable)}`);
    const command = `node --import tsx bench/parts/browser.ts ${process.argv.slice(2).join(' ')}`.trim();
    const loadEnd = loadavg().map((x) => round(x, 2));
    const stamp = startedAt
      .toISOString()
      .replace(/:/g, '-')
      .replace(/\.\d+Z$/, 'Z');
    const outDir = join(benchDir, 'results');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `${stamp}-browser.json`);
    const meta = { startedAt: startedAt.toISOString(), command, runs, loadAverage: { start: loadStart, end: loadEnd } };
    writeFileSync(file, `${JSON.stringify({ meta, ...r }, null, 2)}\n`);
    const section = browserMarkdown(r.browser, { runs, command, loadAverage: meta.loadAverage });
    console.log(section);
    log(`results: ${relative(repoDir, file)}`);
    if (values.docs) {
      const docs = join(repoDir, 'docs', 'performance.md');
      let text = BROWSER_SECTION.replace(readFileSync(docs, 'utf8'), section);
      const row = targetRow(r.browser);
      if (row !== null) text = text.replace(/^\| browser: link opened → first decoded frame.*$/m, () => row);
      writeFileSync(docs, text);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  process.exit(0);
}
