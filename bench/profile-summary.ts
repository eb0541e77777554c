/**
 * Summarises a `node --cpu-prof` profile: self time per function and per area (server code
 * by file, each dependency, node internals, GC), idle time left out.
 *   node --import tsx bench/profile-summary.ts FILE.cpuprofile
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function area(url: string, repoDir: string): string {
  if (url === '') return 'native / V8';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (m) return `dependency: ${m[1]}`;
  if (path.startsWith('node:')) {
    const sub = /^node:internal\/([^/]+(?:\/[^/]+)?)/.exec(path);
    return `node: ${sub ? sub[1] : path.slice(5)}`;
  }
  return `server: ${relative(repoDir, path)}`;
}

/** Coarse groups, so two servers' profiles can be compared line by line. */
export function groupOf(area: string): string {
  if (area.startsWith('server: dist/shared') || area === 'dependency: valibot')
    return 'protocol parsing and validation';
  if (area.startsWith('server: ')) return 'server code (sessions, gateway, registry)';
  if (area === 'dependency: pino' || area === 'dependency: sonic-boom' || area === 'dependency: thread-stream')
    return 'logging';
  if (area === 'dependency: prom-client') return 'metrics';
  if (area.startsWith('node: crypto')) return 'crypto in JS (HMAC, random bytes)';
  if (area === '(garbage collector)') return 'garbage collection';
  if (/^node: (modules|bootstrap|deps\/cjs)/.test(area) || area === 'dependency: tsx' || area === 'dependency: esbuild')
    return 'module loading (start-up)';
  return 'TLS, sockets, HTTP upgrade, ws framing';
}

export async function summarizeProfile(file: string, repoDir: string) {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    startTime: number;
    endTime: number;
    samples: number[];
  };
  const totalSamples = prof.samples.length;
  const byFn = new Map<string, { name: string; where: string; hits: number }>();
  const byArea = new Map<string, number>();
  let idle = 0;
  for (const n of prof.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') {
      idle += hits;
      continue;
    }
    const name = functionName || '(anonymous)';
    const where =
      url === '' ? '' : `${url.startsWith('file://') ? relative(repoDir, fileURLToPath(url)) : url}:${lineNumber + 1}`;
    const key = `${name}@${where}`;
    const e = byFn.get(key) ?? { name, where, hits: 0 };
    e.hits += hits;
    byFn.set(key, e);
    const a = name.startsWith('(') ? name : area(url, repoDir);
    byArea.set(a, (byArea.get(a) ?? 0) + hits);
  }
  const busy = totalSamples - idle;
  const pct = (h: number) => Math.round((h / Math.max(1, busy)) * 1000) / 10;
  return {
    file: relative(repoDir, file),
    durationS: Math.round((prof.endTime - prof.startTime) / 1e4) / 100,
    busyPct: Math.round((busy / Math.max(1, totalSamples)) * 1000) / 10,
    top: [...byFn.values()]
      .sort((a, b) => b.hits - a.hits)
      .slice(0, 40)
      .map((f) => ({ name: f.name, where: f.where, selfPct: pct(f.hits) })),
    byGroup: [
      ...[...byArea.entries()].reduce(
        (m, [a, h]) => m.set(groupOf(a), (m.get(groupOf(a)) ?? 0) + h),
        new Map<string, number>(),
      ),
    ]
      .sort((a, b) => b[1] - a[1])
      .map(([group, h]) => ({ group, selfPct: pct(h) })),
    byArea: [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([a, h]) => ({ area: a, selfPct: pct(h) })),
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const s = await summarizeProfile(process.argv[2]!, process.cwd());
  console.log(`busy ${s.busyPct}% of ${s.durationS} s`);
  for (const g of s.byGroup) console.log(`${String(g.selfPct).padStart(5)}%  [${g.group}]`);
  console.log('');
  for (const a of s.byArea) console.log(`${String(a.selfPct).padStart(5)}%  ${a.area}`);
  console.log('');
  for (const f of s.top.slice(0, 30)) console.log(`${String(f.selfPct).padStart(5)}%  ${f.name}  ${f.where}`);
}
