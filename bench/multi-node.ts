/**
 * The multi-node part (bench/parts/multi-node.ts) on its own, and its section of
 * docs/performance.md (kept between markers by report.ts):
 *
 *   npm run bench -- --parts multi-node        (part of the full `npm run bench`)
 *   npm run build && node --import tsx bench/multi-node.ts [--calls 600] [--reps 2] [--samples 2000] [--docs]
 *
 * On its own it prints one JSON document (stdout); `--docs` writes its section of docs/performance.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { repoDir } from './lib/targets.js';
import { type MultiNodeSummary, runMultiNode } from './parts/multi-node.js';

const MARK_BEGIN = '<!-- multi-node:begin -->';
const MARK_END = '<!-- multi-node:end -->';

/** The "Several nodes" section of docs/performance.md, between markers a full report keeps. */
export function multiNodeMarkdown(m: MultiNodeSummary, command: string, load: number[]): string {
  const x = (v: number) => `${v.toFixed(2)}×`;
  const ms = (v: number) => v.toFixed(2);
  const met = (ok: boolean) => (ok ? 'yes' : '**no**');
  const sameRatio = m.single.callsPerSec / m.cluster.callsPerSec;
  return [
    MARK_BEGIN,
    '## Several nodes (two nodes + Redis against one node)',
    '',
    `Measured by \`${command}\`: ${m.calls} calls per measurement (two sockets join one id, offer, answer, 10 candidates each way, hangup; in the cluster each call's two sockets on one node, as the nginx affinity places them), ${m.samples} frames timed one at a time for latency, single and cluster alternating, ${m.reps} repetition(s), medians. CPU sums every server process (nodes and redis-server). Load average at the end: ${load.map((v) => v.toFixed(2)).join(', ')}${load[0] !== undefined && load[0] > 1.5 ? ' on 2 cores, shared with other work: absolute figures are noisy, ratios come from the same run' : ''}.`,
    '',
    '| figure | one node | two nodes + Redis | ratio | target | met |',
    '| --- | --- | --- | --- | --- | --- |',
    `| calls/s | ${m.single.callsPerSec} | ${m.cluster.callsPerSec} | ${x(sameRatio)} (one ÷ two) | same-node pairs within 1.1× | ${met(sameRatio <= 1.1)} |`,
    `| CPU-s per 1,000 calls | ${m.single.cpuSecPer1000Calls} | ${m.cluster.cpuSecPer1000Calls} | ${x(m.ratios.cpuPerCallClusterOverSingle)} | at most 1.5× | ${met(m.ratios.cpuPerCallClusterOverSingle <= 1.5)} |`,
    `| same-node relay p50 / p99 (ms) | ${ms(m.single.sameNodeP50Ms)} / ${ms(m.single.sameNodeP99Ms)} | ${ms(m.cluster.sameNodeP50Ms)} / ${ms(m.cluster.sameNodeP99Ms)} | p99 ${x(m.ratios.sameNodeP99ClusterOverSingle)} | within 1.1× | ${met(m.ratios.sameNodeP99ClusterOverSingle <= 1.1)} |`,
    `| cross-node relay p50 / p99 (ms) | n/a | ${ms(m.cluster.crossNodeP50Ms)} / ${ms(m.cluster.crossNodeP99Ms)} | p99 ${x(m.ratios.crossOverSameNodeP99)} of same-node | at most 2× | ${met(m.ratios.crossOverSameNodeP99 <= 2)} |`,
    MARK_END,
  ].join('\n');
}

/** The section as docs/performance.md has it now (kept by a report without the multi-node part). */
export function existingMultiNodeSection(docs: string): string | null {
  const begin = docs.indexOf(MARK_BEGIN);
  const end = docs.indexOf(MARK_END);
  return begin >= 0 && end > begin ? docs.slice(begin, end + MARK_END.length) : null;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '600' },
      reps: { type: 'string', default: '2' },
      samples: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '20' },
      docs: { type: 'boolean', default: false },
    },
  });
  const summary = await runMultiNode({
    calls: Number(values.calls),
    reps: Number(values.reps),
    samples: Number(values.samples),
    concurrency: Number(values.concurrency),
    log: (line) => console.error(line),
  });
  console.log(JSON.stringify(summary, null, 2));
  if (values.docs) {
    const file = join(repoDir, 'docs', 'performance.md');
    const docs = readFileSync(file, 'utf8');
    const command = `node --import tsx bench/multi-node.ts ${process.argv.slice(2).join(' ')}`.trim();
    const section = multiNodeMarkdown(summary, command, loadavg());
    const old = existingMultiNodeSection(docs);
    writeFileSync(file, old === null ? `${docs.trimEnd()}\n\n${section}\n` : docs.replace(old, section));
  }
}
