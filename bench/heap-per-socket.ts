/**
 * What one waiting socket holds on a server's heap (diagnosis; `--heap` of the proxy-cost
 * investigation): heap snapshots of a fresh server before and after N waiting sockets, and the
 * difference per socket by constructor (self size, count), largest first.
 *   node --import tsx bench/heap-per-socket.ts [homecall-proxy|floor-ws|peerjs] [N] [--retainers KIND]...
 * `--retainers 'object:Object'` (a kind as printed) also counts, per socket, what holds those nodes.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeCert } from './lib/cert.js';
import { Generator } from './lib/gen-client.js';
import { type ProxyTargetName, startServer } from './lib/targets.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const nameOf = (s: Snapshot, i: number): string => {
  const f = s.snapshot.meta.node_fields;
  const type = s.snapshot.meta.node_types[0][s.nodes[i + f.indexOf('type')] as number] ?? '?';
  const raw = s.strings[s.nodes[i + f.indexOf('name')] as number] ?? '';
  return type === 'string' || type === 'concatenated string' || type === 'sliced string'
    ? type
    : `${type}:${raw.slice(0, 40)}`;
};

/**
 * Retainers (parent and edge name) of the nodes of one kind ("type:name"), counted per
 * parent+edge: where the objects a socket adds hang. `--retainers KIND` prints them.
 */
function retainers(file: string, kind: string): Map<string, number> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const width = f.length;
  const ec = f.indexOf('edge_count');
  const ef = s.snapshot.meta.edge_fields;
  const ew = ef.length;
  const [et, en, eto] = [ef.indexOf('type'), ef.indexOf('name_or_index'), ef.indexOf('to_node')];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const out = new Map<string, number>();
  let e = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const count = s.nodes[i + ec] as number;
    for (let k = 0; k < count; k++, e += ew) {
      const to = s.edges[e + eto] as number;
      if (nameOf(s, to) !== kind) continue;
      const type = edgeTypes[s.edges[e + et] as number];
      if (type === 'weak') continue;
      const raw = s.edges[e + en] as number;
      const edge = type === 'element' || type === 'hidden' ? `[${type}]` : (s.strings[raw] ?? '?');
      const key = `${nameOf(s, i)} .${edge}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

/** Self size and count per "type:name" over the whole snapshot. */
function totals(file: string): Map<string, { size: number; count: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const width = f.length;
  const [ti, ni, si] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + ti] as number] ?? '?';
    const raw = s.strings[s.nodes[i + ni] as number] ?? '';
    const name =
      type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '' : raw.slice(0, 60);
    const key = `${type}:${name}`;
    const t = out.get(key) ?? { size: 0, count: 0 };
    t.size += s.nodes[i + si] as number;
    t.count += 1;
    out.set(key, t);
  }
  return out;
}

const args = process.argv.slice(2);
const kinds: string[] = [];
for (let i = args.indexOf('--retainers'); i >= 0; i = args.indexOf('--retainers'))
  kinds.push(...args.splice(i, 2).slice(1));
const target = (args[0] ?? 'homecall-proxy') as ProxyTargetName;
const n = Number(args[1] ?? 2000);
const workDir = mkdtempSync(join(tmpdir(), 'homecall-heap-'));
const snaps = join(workDir, 'snaps');
mkdirSync(snaps);
try {
  const cert = await makeCert(workDir);
  const server = await startServer(target, {
    cert,
    workDir,
    label: `heap-${target}`,
    nodeArgs: ['--heapsnapshot-signal=SIGUSR1', `--diagnostic-dir=${snaps}`],
  });
  const speak = target === 'peerjs' ? ({ dialect: 'peerjs', proxyHeaders: true } as const) : { proxyHeaders: true };
  const gen = await Generator.start(server.url, cert.cert, true, speak);
  const snap = async (k: number) => {
    process.kill(server.pid, 'SIGUSR1');
    for (let i = 0; i < 600; i++) {
      await sleep(100);
      const done = readdirSync(snaps, { withFileTypes: true }).filter((d) => d.name.endsWith('.heapsnapshot'));
      if (done.length >= k) {
        const file = join(snaps, done.map((d) => d.name).sort()[k - 1] as string);
        // Written in place: done once it ends the JSON document.
        for (let j = 0; j < 300; j++) {
          const text = readFileSync(file, 'utf8').trimEnd();
          if (text.endsWith('}')) return file;
          await sleep(500);
        }
        throw new Error('heap snapshot not finished');
      }
    }
    throw new Error('no heap snapshot');
  };
  try {
    await sleep(1000);
    const before = await snap(1);
    await gen.call('idle', { n, concurrency: 200 });
    await sleep(1000);
    const after = await snap(2);
    const a = totals(before);
    const b = totals(after);
    const rows = [...b.entries()]
      .map(([k, v]) => ({ k, size: v.size - (a.get(k)?.size ?? 0), count: v.count - (a.get(k)?.count ?? 0) }))
      .sort((x, y) => y.size - x.size);
    const total = rows.reduce((s, r) => s + r.size, 0);
    console.log(`${target}: ${n} waiting sockets, heap +${(total / n).toFixed(0)} B each`);
    for (const r of rows.slice(0, 40))
      console.log(`${(r.size / n).toFixed(1).padStart(8)} B  ${(r.count / n).toFixed(2).padStart(6)}/socket  ${r.k}`);
    for (const kind of kinds) {
      const ra = retainers(before, kind);
      const rb = [...retainers(after, kind).entries()]
        .map(([k, v]) => ({ k, count: v - (ra.get(k) ?? 0) }))
        .filter((r) => r.count / n >= 0.05)
        .sort((x, y) => y.count - x.count);
      console.log(`retainers of ${kind}:`);
      for (const r of rb.slice(0, 25)) console.log(`${(r.count / n).toFixed(2).padStart(8)}/socket  ${r.k}`);
    }
  } finally {
    await server.stop();
    await gen.stop();
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
