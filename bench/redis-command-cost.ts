/**
 * What node-redis's own per-command timeout costs the client, against the deadline RedisNode
 * keeps itself (src/server/sessions/redis-node.ts, COMMAND_TIMEOUT_MS): client CPU per EVALSHA,
 * one command in flight (as a call's steps are), the two alternating in the same run, medians.
 *   node --import tsx bench/redis-command-cost.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { systemClock } from '../src/server/clock.js';
import { DeadlineQueue } from '../src/server/deadline-queue.js';
import { startRedis } from './parts/multi-node.js';

// Started and waited for until it accepts connections (not a fixed sleep).
const redisDir = mkdtempSync(join(tmpdir(), 'homecall-redis-cost-'));
const redis = await startRedis(redisDir);
const url = redis.url;
const old = createClient({ url, RESP: 2, disableOfflineQueue: true });
const neu = createClient({ url, RESP: 2, disableOfflineQueue: true, commandOptions: { timeout: 0 } });
await old.connect();
await neu.connect();
const dq = new DeadlineQueue<{ fail(e: Error): void }>({
  clock: systemClock,
  delayMs: 5000,
  expire: (p) => p.fail(new Error('t')),
});
const viaQueue = (args: string[]) =>
  new Promise<unknown>((resolve, reject) => {
    let settled = false;
    const pending = {
      fail: (e: Error) => {
        if (settled) return;
        settled = true;
        dq.delete(pending);
        reject(e);
      },
    };
    dq.add(pending);
    neu.sendCommand(args).then((r) => {
      if (settled) return;
      settled = true;
      dq.delete(pending);
      resolve(r);
    }, pending.fail);
  });
const sha = String(await old.sendCommand(['SCRIPT', 'LOAD', "return cjson.encode({k='ok', a=ARGV[4]})"]));
const args = [
  'EVALSHA',
  sha,
  '0',
  'hc:',
  'abcdef0123456789:1234567',
  '',
  'sid-0000-1111-2222-3333',
  'link0123456789ab',
  'node0123456789ab',
  'ctx0123456789abcd',
  'occ0123456789abc',
  '1000',
  '3600000',
  '15000',
  '30000',
];
const N = 20000;
const res: Record<string, number[]> = { old: [], new: [] };
for (let rep = 0; rep < 6; rep++) {
  for (const name of rep % 2 === 0 ? ['old', 'new'] : ['new', 'old']) {
    const send = name === 'old' ? (a: string[]) => old.sendCommand(a) : viaQueue;
    const u0 = process.cpuUsage();
    for (let i = 0; i < N; i++) JSON.parse(String(await send(args)));
    const u = process.cpuUsage(u0);
    res[name]?.push((u.user + u.system) / N);
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] as number;
console.log(
  JSON.stringify({
    loadAverage: loadavg().map((v) => v.toFixed(2)),
    nodeRedisTimeoutUs: res.old?.map((v) => v.toFixed(1)),
    ownDeadlineUs: res.new?.map((v) => v.toFixed(1)),
    medianOld: med(res.old ?? []).toFixed(1),
    medianNew: med(res.new ?? []).toFixed(1),
    ratio: (med(res.new ?? []) / med(res.old ?? [])).toFixed(2),
  }),
);
old.destroy();
neu.destroy();
dq.stop();
redis.proc.child.kill();
rmSync(redisDir, { recursive: true, force: true });
