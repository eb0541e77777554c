/**
 * The multi-node part (bench/parts/multi-node.ts) on its own, and its section of
 * docs/performance.md (kept between markers by report.ts):
 *
 *   npm run bench -- --parts multi-node        (part of the full `npm run bench`)
 *   npm run build && node --import tsx bench/multi-node.ts [--calls 600] [--reps 2] [--samples 2000]
 *     [--concurrency 20] [--warmup 100] [--pair] [--cpu-prof-dir DIR] [--docs]
 *
 * On its own it prints one JSON document (stdout) and keeps it in bench/results/; `--pair` adds
 * two in-memory nodes (no Redis) as a third setup; `--cpu-prof-dir` runs every node under
 * `node --cpu-prof`; `--docs` writes its section of docs/performance.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { docSection } from './lib/doc-section.js';
import { repoDir } from './lib/targets.js';
import { type MultiNodeSummary, runMultiNode } from './parts/multi-node.js';

/** Its section of docs/performance.md, between `<!-- multi-node:begin/end -->` markers. */
export const MULTI_NODE_SECTION = docSection('multi-node');
/** Hand-written notes on the figures, placed at the end of the section. */
const NOTES = join(repoDir, 'bench', 'multi-node-notes.md');

/** The "Several nodes" section of docs/performance.md, between markers a full report keeps. */
export function multiNodeMarkdown(m: MultiNodeSummary, command: string, load: number[]): string {
  // A results file re-read from JSON has null where the run had NaN (no such figure).
  const none = (v: number | null) => v === null || Number.isNaN(v);
  const x = (v: number | null) => (v === null || none(v) ? 'n/a' : `${v.toFixed(2)}×`);
  const ms = (v: number | null) => (v === null || none(v) ? 'n/a' : v.toFixed(2));
  const met = (ok: boolean) => (ok ? 'yes' : '**no**');
  const r = m.ratios;
  const pair = m.pair;
  // One column per setup: one node, (two in-memory nodes,) two nodes + Redis.
  const cols = (f: (s: typeof m.single) => string) =>
    pair === null ? `${f(m.single)} | ${f(m.cluster)}` : `${f(m.single)} | ${f(pair)} | ${f(m.cluster)}`;
  const row = (figure: string, f: (s: typeof m.single) => string, ratio = '', target = '', ok = '') =>
    `| ${figure} | ${cols(f)} | ${ratio} | ${target} | ${ok} |`;
  const num = (key: keyof typeof m.single) => (s: typeof m.single) => String(s[key]);
  return [
    MULTI_NODE_SECTION.begin,
    '## Several nodes (two nodes + Redis against one node)',
    '',
    `Measured by \`${command}\`: ${m.calls} calls per measurement, ${m.concurrency} in flight (two sockets join one id, offer, answer, 10 candidates each way, hangup; in the cluster each call's two sockets on one node, as the nginx affinity places them), after ${m.warmupCalls} warm-up calls, 200 warm-up frames per node and (in the cluster) 200 cross-node; ${m.samples} frames timed one at a time for latency; the setups alternate (A B, B A), ${m.reps} repetition(s), medians. CPU sums every server process (nodes and redis-server); the load generator runs on the same 2 cores. Load average at the end: ${load.map((v) => v.toFixed(2)).join(', ')}${load[0] !== undefined && load[0] > 1.5 ? ' on 2 cores, shared with other work: absolute figures are noisy, ratios come from the same run' : ''}.`,
    '',
    pair === null
      ? '| figure | one node | two nodes + Redis | ratio | target | met |'
      : '| figure | one node | two in-memory nodes | two nodes + Redis | ratio (Redis ÷ one) | target | met |',
    pair === null ? '| --- | --- | --- | --- | --- | --- |' : '| --- | --- | --- | --- | --- | --- | --- |',
    row(
      'calls/s',
      num('callsPerSec'),
      `${x(r.callsPerSecSingleOverCluster)} (one ÷ two)`,
      'same-node pairs within 1.1×',
      met(r.callsPerSecSingleOverCluster <= 1.1),
    ),
    row(
      'CPU-s per 1,000 calls, all processes',
      num('cpuSecPer1000Calls'),
      x(r.cpuPerCallClusterOverSingle),
      'at most 1.5×',
      met(r.cpuPerCallClusterOverSingle <= 1.5),
    ),
    row('… of which the nodes', num('nodeCpuSecPer1000Calls')),
    row('… of which redis-server', num('redisCpuSecPer1000Calls')),
    row('Redis round trips (EVALSHA) per call', num('redisScriptsPerCall')),
    row('Redis commands per call (those inside the scripts included)', num('redisCommandsPerCall')),
    row('context switches per call, all processes', num('contextSwitchesPerCall')),
    row(
      'same-node relay p50 / p99 (ms)',
      (s) => `${ms(s.sameNodeP50Ms)} / ${ms(s.sameNodeP99Ms)}`,
      `p99 ${x(r.sameNodeP99ClusterOverSingle)}`,
      'within 1.1×',
      met(r.sameNodeP99ClusterOverSingle <= 1.1),
    ),
    row(
      'cross-node relay p50 / p99 (ms)',
      (s) => (none(s.crossNodeP99Ms) ? 'n/a' : `${ms(s.crossNodeP50Ms)} / ${ms(s.crossNodeP99Ms)}`),
      `p99 ${x(r.crossOverSameNodeP99)} of same-node`,
      'at most 2×',
      met(r.crossOverSameNodeP99 <= 2),
    ),
    ...(none(m.cluster.floorViaRedisP99Ms ?? null)
      ? []
      : [
          '',
          `The same two paths with no HomeCall in them, in each cluster repetition beside HomeCall's (\`bench/lib/hop-floor.ts\`: bare relays over plain TCP, 200-byte frames, one at a time; via Redis a one-line script PUBLISHes the frame and a subscriber writes it on): two processes p50 ${ms(m.cluster.floorSameP50Ms)} / p99 ${ms(m.cluster.floorSameP99Ms)} ms, via Redis p50 ${ms(m.cluster.floorViaRedisP50Ms)} / p99 ${ms(m.cluster.floorViaRedisP99Ms)} ms: p99 ${x(r.floorViaRedisOverSameP99 ?? null)} of the two-process path (HomeCall: ${x(r.crossOverSameNodeP99)}). Per repetition, floor / HomeCall: ${m.runs.cluster.map((row) => `${x((row.floorViaRedisP99Ms ?? Number.NaN) / (row.floorSameP99Ms ?? Number.NaN))} / ${x((row.crossNodeP99Ms ?? Number.NaN) / (row.sameNodeP99Ms ?? Number.NaN))}`).join(', ')}.`,
        ]),
    ...(pair === null || r.cpuPerCallPairOverSingle === undefined
      ? []
      : [
          '',
          `Two in-memory nodes (no Redis) against one node, same load: CPU per call ${x(r.cpuPerCallPairOverSingle)}, calls/s ${x(r.callsPerSecSingleOverPair ?? Number.NaN)} (one ÷ two): what a second process on the same two cores costs by itself. Redis on top of that: CPU per call ${x(r.cpuPerCallClusterOverPair ?? Number.NaN)} of the in-memory pair.`,
        ]),
    // The written reading of the figures (which run it cites is said there), kept across runs.
    ...(existsSync(NOTES) ? ['', readFileSync(NOTES, 'utf8').trim()] : []),
    MULTI_NODE_SECTION.end,
  ].join('\n');
}

/** The section as docs/performance.md has it now (kept by a report without the multi-node part). */
export function existingMultiNodeSection(docs: string): string | null {
  return MULTI_NODE_SECTION.existing(docs);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '600' },
      reps: { type: 'string', default: '2' },
      samples: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '100' },
      pair: { type: 'boolean', default: false },
      'cpu-prof-dir': { type: 'string' },
      docs: { type: 'boolean', default: false },
    },
  });
  const summary = await runMultiNode({
    calls: Number(values.calls),
    reps: Number(values.reps),
    samples: Number(values.samples),
    concurrency: Number(values.concurrency),
    warmupCalls: Number(values.warmup),
    pair: values.pair,
    ...(values['cpu-prof-dir'] === undefined ? {} : { cpuProfDir: values['cpu-prof-dir'] }),
    log: (line) => console.error(line),
  });
  const json = JSON.stringify({ loadAverageAtEnd: loadavg(), ...summary }, null, 2);
  console.log(json);
  const results = join(repoDir, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '-');
  const resultsFile = join(results, `${stamp}Z-multi-node.json`);
  writeFileSync(resultsFile, `${json}\n`);
  console.error(`results: ${resultsFile}`);
  if (values.docs) {
    const file = join(repoDir, 'docs', 'performance.md');
    const docs = readFileSync(file, 'utf8');
    const command = `node --import tsx bench/multi-node.ts ${process.argv.slice(2).join(' ')}`.trim();
    const section = multiNodeMarkdown(summary, command, loadavg());
    writeFileSync(file, MULTI_NODE_SECTION.replace(docs, section));
  }
}
