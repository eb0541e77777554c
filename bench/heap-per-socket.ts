/**
 * What one waiting socket holds on a server's heap (diagnosis; `--heap` of the proxy-cost
 * investigation): heap snapshots of a fresh server before and after N waiting sockets, and the
 * difference per socket by constructor (self size, count), largest first.
 *   node --import tsx bench/heap-per-socket.ts [homecall-proxy|floor-ws|peerjs] [N]
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeCert } from './lib/cert.js';
import { Generator } from './lib/gen-client.js';
import { type ProxyTargetName, startServer } from './lib/targets.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
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

const target = (process.argv[2] ?? 'homecall-proxy') as ProxyTargetName;
const n = Number(process.argv[3] ?? 2000);
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
  } finally {
    await server.stop();
    await gen.stop();
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
