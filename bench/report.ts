/**
 * Turns a results file into the summary in docs/performance.md and a chart (SVG) beside the
 * results. Run by bench/run.ts; also on its own to re-render from a committed results file:
 *   node --import tsx bench/report.ts bench/results/<date>.json
 * The hand-written analysis (profile findings, causes) lives in bench/analysis.md and is
 * included verbatim, so re-running the benchmark never loses it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Spread } from './lib/stats.js';
import { existingMultiNodeSection, MULTI_NODE_SECTION, multiNodeMarkdown } from './multi-node.js';
import { TURN_RELAY_SECTION, turnRelayMarkdown } from './lib/turn-relay-report.js';
import { PROXY_COST_SECTION, proxyCostMarkdown } from './lib/proxy-cost-report.js';
import { BROWSER_SECTION, browserMarkdown } from './lib/browser-report.js';

const repoDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const docsPath = join(repoDir, 'docs', 'performance.md');

/* biome-ignore lint/suspicious/noExplicitAny: the results file is our own JSON, read loosely here. */
type Results = any;

interface TargetRow {
  name: string;
  homecall: number | null;
  floor: number | null;
  unit: string;
  ratio: number | null;
  /** Ratio bound: at most `max`, or at least `min`. */
  max?: number;
  min?: number;
  extra?: string;
  met: boolean | null;
}

const fmt = (x: number | null | undefined, digits = 2) =>
  x === null || x === undefined ? 'n/a' : Number(x.toFixed(digits)).toLocaleString('en-US');
const fmtSpread = (s: Spread | null | undefined, digits = 2) =>
  s === null || s === undefined
    ? 'n/a'
    : s.n === 1
      ? fmt(s.median, digits)
      : `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;

function ratioRow(
  name: string,
  unit: string,
  h: number | null | undefined,
  f: number | null | undefined,
  bound: { max?: number; min?: number },
  extraOk = true,
  extra?: string,
): TargetRow {
  const hv = h ?? null;
  const fv = f ?? null;
  const ratio = hv !== null && fv !== null && fv > 0 ? hv / fv : null;
  let met: boolean | null = null;
  if (ratio !== null)
    met = (bound.max === undefined || ratio <= bound.max) && (bound.min === undefined || ratio >= bound.min) && extraOk;
  return { name, unit, homecall: hv, floor: fv, ratio, ...bound, extra, met };
}

/** The issue's targets, as ratios HomeCall / floor from the same run. */
export function targetRows(r: Results): TargetRow[] {
  const s = r.summary;
  const rows: TargetRow[] = [];
  const mem = s.memory ?? {};
  for (const n of r.meta.config.memorySizes as number[]) {
    if (!mem.homecall?.[n] || !mem.floor?.[n]) continue;
    rows.push(
      ratioRow(
        `memory per waiting participant, ${n.toLocaleString('en-US')}`,
        'KiB',
        mem.homecall[n]?.median,
        mem.floor[n]?.median,
        { max: 1.3 },
      ),
    );
  }
  const calls = s.calls ?? {};
  for (const c of r.meta.config.callConcurrency as number[]) {
    const h = calls.homecall?.[c];
    const f = calls.floor?.[c];
    if (!h?.cpuSPer1000Calls || !f?.cpuSPer1000Calls) continue;
    rows.push(
      ratioRow(`server CPU per 1000 calls, c=${c}`, 'CPU-s', h.cpuSPer1000Calls?.median, f.cpuSPer1000Calls?.median, {
        max: 1.3,
      }),
    );
    rows.push(
      ratioRow(
        `completed calls/s, c=${c}`,
        'calls/s',
        h.callsPerS?.median,
        f.callsPerS?.median,
        { min: 0.8 },
        h.failed === 0,
        `${h.failed} failed calls`,
      ),
    );
  }
  const lat = s.latency ?? {};
  if (lat.homecall?.p99Us && lat.floor?.p99Us) {
    rows.push(
      ratioRow(
        'relay latency p99',
        'µs',
        lat.homecall.p99Us?.median,
        lat.floor.p99Us?.median,
        { max: 1.3 },
        lat.homecall.lost === 0,
        `${lat.homecall.lost} frames lost`,
      ),
    );
  }
  const cap = (r.capacity ?? []) as Array<{
    target: string;
    estimatedCapacity: number;
    held: number;
    lag: { p99Ms: number } | null;
    lagUnder50Ms: boolean | null;
  }>;
  const ch = cap.find((x) => x.target === 'homecall');
  const cf = cap.find((x) => x.target === 'floor');
  if (ch !== undefined && cf !== undefined) {
    const row = ratioRow(
      'capacity within 2 GiB RSS',
      'participants',
      ch.estimatedCapacity,
      cf.estimatedCapacity,
      {},
      true,
      `event-loop p99 ${fmt(ch.lag?.p99Ms)} ms`,
    );
    row.met = ch.lagUnder50Ms;
    rows.push(row);
  }
  const b = r.browser?.summary;
  if (b?.homecall?.bothMs !== undefined && b?.floor?.bothMs !== undefined) {
    const h = b.homecall.bothMs?.median ?? null;
    rows.push(
      ratioRow(
        'browser: link opened → first decoded frame, both sides',
        'ms',
        h,
        b.floor.bothMs?.median,
        { max: 1.3 },
        h !== null && h < 1000,
        'and under 1000 ms',
      ),
    );
  }
  return rows;
}

function boundText(row: TargetRow): string {
  if (row.max !== undefined) return `≤ ${row.max}×`;
  if (row.min !== undefined) return `≥ ${row.min}×`;
  return 'p99 lag < 50 ms';
}

/** A horizontal bar chart of HomeCall / floor ratios with each target's bound, as SVG. */
export function chartSvg(rows: TargetRow[], title: string): string {
  const plotted = rows.filter((r) => r.ratio !== null);
  const left = 330;
  const width = 820;
  const barH = 22;
  const gap = 10;
  const top = 50;
  const height = top + plotted.length * (barH + gap) + 40;
  const maxRatio = Math.max(2, ...plotted.map((r) => r.ratio ?? 0)) * 1.05;
  const x = (v: number) => left + ((width - left - 30) * v) / maxRatio;
  const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);
  parts.push(
    `<text x="10" y="38" fill="#555">HomeCall ÷ floor relay (same run, medians). Dashed: the target bound. Green: target met.</text>`,
  );
  for (let t = 0; t <= maxRatio; t += 0.5) {
    parts.push(`<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${height - 30}" stroke="#eee"/>`);
    parts.push(`<text x="${x(t)}" y="${height - 14}" text-anchor="middle" fill="#555">${t.toFixed(1)}×</text>`);
  }
  parts.push(`<line x1="${x(1)}" y1="${top - 6}" x2="${x(1)}" y2="${height - 30}" stroke="#333"/>`);
  plotted.forEach((r, i) => {
    const y = top + i * (barH + gap);
    const color = r.met === true ? '#2e7d32' : r.met === false ? '#c62828' : '#757575';
    parts.push(`<text x="${left - 8}" y="${y + barH * 0.7}" text-anchor="end">${esc(r.name)}</text>`);
    parts.push(
      `<rect x="${left}" y="${y}" width="${Math.max(1, x(r.ratio!) - left)}" height="${barH}" fill="${color}"/>`,
    );
    parts.push(`<text x="${x(r.ratio!) + 4}" y="${y + barH * 0.7}">${r.ratio!.toFixed(2)}×</text>`);
    const bound = r.max ?? r.min;
    if (bound !== undefined) {
      parts.push(
        `<line x1="${x(bound)}" y1="${y - 3}" x2="${x(bound)}" y2="${y + barH + 3}" stroke="#000" stroke-dasharray="4 3" stroke-width="2"/>`,
      );
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function detailTables(r: Results): string {
  const out: string[] = [];
  const s = r.summary;
  const targets = Object.keys(s.memory ?? s.calls ?? s.latency ?? {});
  const name = (t: string) => (t === 'homecall' ? 'HomeCall' : 'floor');
  if (r.memory?.length) {
    out.push('### 1. Memory per waiting participant (server RSS delta ÷ n, KiB)', '');
    out.push(
      `| server | ${(r.meta.config.memorySizes as number[]).map((n) => `${n.toLocaleString('en-US')} sockets`).join(' | ')} |`,
    );
    out.push(`| --- | ${(r.meta.config.memorySizes as number[]).map(() => '---').join(' | ')} |`);
    for (const t of targets)
      out.push(
        `| ${name(t)} | ${(r.meta.config.memorySizes as number[]).map((n) => fmtSpread(s.memory[t]?.[n])).join(' | ')} |`,
      );
    const failed = (r.memory as Array<{ target: string; points: Array<{ failed: number }> }>).map(
      (m) => `${name(m.target)} ${m.points.reduce((a, p) => a + p.failed, 0)}`,
    );
    out.push('', `Sockets that failed to open or join, per run: ${failed.join(', ')}.`, '');
  }
  if (r.calls?.length) {
    out.push('### 2. Call set-up: server CPU and throughput', '');
    out.push(
      '| server | concurrency | server CPU-s per 1000 calls | completed calls/s | failed calls |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const t of targets) {
      for (const c of r.meta.config.callConcurrency as number[]) {
        const x = s.calls[t]?.[c];
        out.push(
          `| ${name(t)} | ${c} | ${fmtSpread(x?.cpuSPer1000Calls, 3)} | ${fmtSpread(x?.callsPerS, 0)} | ${x?.failed ?? 'n/a'} |`,
        );
      }
    }
    out.push('');
  }
  if (r.latency?.length) {
    const cfg = r.meta.config.latency;
    out.push(
      `### 3. Relay latency (${cfg.idlePairs} idle pairs, ${cfg.activePairs} active pairs, ${cfg.framesPerSec} frames/s in total, µs)`,
      '',
    );
    out.push('| server | p50 | p99 | max | frames lost |', '| --- | --- | --- | --- | --- |');
    for (const t of targets) {
      const x = s.latency[t];
      out.push(
        `| ${name(t)} | ${fmtSpread(x?.p50Us, 0)} | ${fmtSpread(x?.p99Us, 0)} | ${fmtSpread(x?.maxUs, 0)} | ${x?.lost ?? 'n/a'} |`,
      );
    }
    out.push(
      '',
      "Per run (a stall of the generator's own event loop delays every frame in flight, whatever the server does):",
      '',
    );
    out.push(
      '| server | rep | p50 µs | p99 µs | max µs | generator loop delay max (ms) |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const l of r.latency) {
      out.push(
        `| ${name(l.target)} | ${l.rep} | ${fmt(l.p50Us, 0)} | ${fmt(l.p99Us, 0)} | ${fmt(l.maxUs, 0)} | ${fmt(l.generatorLag?.maxMs, 0)} |`,
      );
    }
    out.push('');
  }
  if (r.capacity?.length) {
    out.push('### 4. Capacity within 2 GiB RSS (one run each)', '');
    out.push(
      '| server | waiting participants held | RSS then (MiB) | stopped by | KiB each | participants that fit in 2 GiB | event-loop lag p99 / max (ms) |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const c of r.capacity) {
      out.push(
        `| ${name(c.target)} | ${c.held.toLocaleString('en-US')} | ${fmt(c.rssBytes / 1024 ** 2, 0)} | ${c.stoppedBy} | ${fmt(c.kibPerSocket)} | ${c.estimatedCapacity.toLocaleString('en-US')} | ${fmt(c.lag?.p99Ms)} / ${fmt(c.lag?.maxMs)} |`,
      );
    }
    out.push('');
  }
  // Browser: this run's figures, else the section the docs have now (a run without the part).
  const browserSection = r.browser?.summary
    ? browserMarkdown(r.browser, { runs: r.meta.config.browserRuns })
    : BROWSER_SECTION.existing(existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : '');
  if (browserSection) out.push(browserSection, '');
  for (const [t, p] of Object.entries(r.profile ?? {}) as Array<[string, Results]>) {
    out.push(
      `### Profile of ${name(t)} under call load (\`node --cpu-prof\`, c=${p.calls.concurrency}, ${fmt(p.calls.cpuSPer1000Calls, 3)} CPU-s per 1000 calls in that run; self time, % of busy samples)`,
      '',
    );
    out.push('| self % | group |', '| --- | --- |');
    for (const g of p.byGroup ?? []) out.push(`| ${fmt(g.selfPct, 1)} | ${g.group} |`);
    out.push('', '| self % | area |', '| --- | --- |');
    for (const a of p.byArea.slice(0, 15)) out.push(`| ${fmt(a.selfPct, 1)} | ${a.area} |`);
    out.push('', '| self % | function | where |', '| --- | --- | --- |');
    for (const f of p.top.slice(0, 15)) out.push(`| ${fmt(f.selfPct, 1)} | \`${f.name}\` | ${f.where} |`);
    out.push('');
  }
  return out.join('\n');
}

/** One row of the targets table. */
function targetLine(row: TargetRow): string {
  const digits = row.unit === 'KiB' || row.unit === 'CPU-s' ? 2 : 0;
  const ratio = row.ratio === null ? 'n/a' : `${row.ratio.toFixed(2)}×`;
  const met = row.met === null ? 'n/a' : row.met ? 'yes' : '**no**';
  return `| ${row.name} (${row.unit}) | ${fmt(row.homecall, digits)} | ${fmt(row.floor, digits)} | ${ratio} | ${boundText(row)}${row.extra ? `; ${row.extra}` : ''} | ${met} |`;
}

export function renderMarkdown(r: Results, jsonFile: string, svgFile: string): string {
  const rows = targetRows(r);
  const m = r.meta;
  const rel = (p: string) => relative(join(repoDir, 'docs'), p);
  const analysisFile = join(repoDir, 'bench', 'analysis.md');
  const analysis = existsSync(analysisFile) ? readFileSync(analysisFile, 'utf8').trim() : '';
  const unavailable = Object.entries(m.unavailable ?? {}).map(([k, v]) => `- **${k} not measured:** ${v}`);
  return [
    '# Performance',
    '',
    '<!-- Generated by bench/report.ts from the results file below; edit bench/analysis.md for the prose. -->',
    '',
    `Measured by \`${m.command}\` on ${m.startedAt.slice(0, 16).replace('T', ' ')} UTC (${m.durationS} s in all), commit \`${m.gitCommit}\`.`,
    `Machine: ${m.machine.cpu}, ${m.machine.cores} cores, ${m.machine.memGiB} GiB RAM, Linux ${m.machine.kernel}; Node ${m.node}.`,
    `Load average at the end of the run: ${m.loadAverageAtEnd.join(', ')}${
      m.loadAverageAtEnd[0] > 1.5
        ? ' on 2 cores: the machine was shared with other work (here, other engineers building and testing), so absolute figures are noisy; the ratios come from the same run, A B A B.'
        : '.'
    }`,
    m.socketCapNote ? `Socket counts: ${m.socketCapNote}.` : '',
    `TLS: ECDSA P-256 certificate; the generator ${m.tlsSessionResumption ? 'resumes TLS sessions, as a browser does for /signal after loading the page' : 'makes a full handshake for every socket (--full-tls)'}.`,
    `Raw results: [\`${basename(jsonFile)}\`](${rel(jsonFile)}).`,
    '',
    'HomeCall runs as shipped (`node dist/server/main.js`, production build, `--log-level info`, stdout to a file) with only its capacity-type limits raised for the load generator: ' +
      `\`${m.homecallFlags.join(' ')}\`. Frame-rate limits, frame sizes, timeouts and every check stay at their defaults. ` +
      'The floor is `bench/floor-relay.ts`: wss with the same certificate (ECDSA P-256), pairs two sockets per id and forwards frames verbatim with no checks.',
    '',
    ...unavailable,
    unavailable.length > 0 ? '' : '',
    '## Targets',
    '',
    '| target | HomeCall | floor | HomeCall ÷ floor | bound | met |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(targetLine),
    '',
    `![HomeCall ÷ floor ratios](${rel(svgFile)})`,
    '',
    '## Figures (median over repetitions, spread min–max in brackets)',
    '',
    detailTables(r),
    // Several nodes: this run's figures, else the section the docs have now (a run without the part).
    r.multiNode
      ? multiNodeMarkdown(r.multiNode, m.command, m.loadAverageAtEnd)
      : (existingMultiNodeSection(existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : '') ?? ''),
    r.turnRelay
      ? turnRelayMarkdown(r.turnRelay, m.command, m.loadAverageAtEnd)
      : (TURN_RELAY_SECTION.existing(existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : '') ?? ''),
    r.proxyCost
      ? proxyCostMarkdown(r.proxyCost, m.command, m.loadAverageAtEnd)
      : (PROXY_COST_SECTION.existing(existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : '') ?? ''),
    '',
    analysis,
    '',
  ].join('\n');
}

/**
 * What a run writes into docs/performance.md: `full` rewrites the whole file (a run of every
 * part); `sections` replaces only the marked sections of the parts this run measured (browser,
 * several nodes, TURN relay, behind a proxy) and the browser's row of the targets table, and
 * leaves every other line where it is (a run of some parts: the targets table, the figures and
 * the sections of the parts it did not run keep the run that measured them); `none` writes
 * nothing.
 */
export type DocsMode = 'full' | 'sections' | 'none';

/** `docs` with the sections of the parts `r` measured replaced by this run's. */
export function replaceMeasuredSections(docs: string, r: Results): string {
  const m = r.meta;
  let text = docs;
  if (r.browser?.summary) {
    text = BROWSER_SECTION.replace(text, browserMarkdown(r.browser, { runs: m.config.browserRuns }));
    const row = targetRows(r).find((t) => t.name.startsWith('browser:'));
    if (row !== undefined) {
      text = text.replace(/^\| browser: link opened → first decoded frame.*$/m, () => targetLine(row));
    }
  }
  if (r.multiNode)
    text = MULTI_NODE_SECTION.replace(text, multiNodeMarkdown(r.multiNode, m.command, m.loadAverageAtEnd));
  if (r.turnRelay)
    text = TURN_RELAY_SECTION.replace(text, turnRelayMarkdown(r.turnRelay, m.command, m.loadAverageAtEnd));
  if (r.proxyCost)
    text = PROXY_COST_SECTION.replace(text, proxyCostMarkdown(r.proxyCost, m.command, m.loadAverageAtEnd));
  return text;
}

/** One line per target: met or missed, the ratio and its bound (what `npm run bench` prints). */
function targetLinesOf(rows: ReturnType<typeof targetRows>): string[] {
  return rows.map(
    (row) =>
      `target ${row.met === null ? '  n/a' : row.met ? '  met' : 'MISSED'}: ${row.name}: ${row.ratio === null ? 'n/a' : `${row.ratio.toFixed(2)}×`} (${boundText(row)}${row.extra ? `; ${row.extra}` : ''})`,
  );
}

export function writeReport(r: Results, jsonFile: string, opts: { docs: DocsMode }) {
  const rows = targetRows(r);
  const svgFile = jsonFile.replace(/\.json$/, '.svg');
  writeFileSync(svgFile, chartSvg(rows, `HomeCall vs floor relay, ${r.meta.startedAt.slice(0, 10)} (${r.meta.mode})`));
  let docsFile: string | null = null;
  if (opts.docs === 'full') {
    docsFile = docsPath;
    writeFileSync(docsFile, renderMarkdown(r, jsonFile, svgFile));
  } else if (opts.docs === 'sections' && existsSync(docsPath)) {
    const before = readFileSync(docsPath, 'utf8');
    const after = replaceMeasuredSections(before, r);
    if (after !== before) {
      docsFile = docsPath;
      writeFileSync(docsFile, after);
    }
  }
  const targetLines = targetLinesOf(rows);
  return { svgFile, docsFile, targetLines };
}

// `report.ts FILE` prints the file's targets and writes nothing; `report.ts FILE --docs`
// re-renders all of docs/performance.md (and the chart) from that one file, which replaces the
// sections of parts the file did not measure with their empty forms.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    options: { docs: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) {
    console.error('usage: node --import tsx bench/report.ts bench/results/<date>.json [--docs]');
    process.exit(2);
  }
  const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
  const lines = values.docs
    ? writeReport(results, file, { docs: 'full' }).targetLines
    : targetLinesOf(targetRows(results));
  console.log(lines.join('\n'));
}
