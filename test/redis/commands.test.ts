/**
 * What one call costs Redis, in commands (INFO commandstats, the scripts' own commands
 * included): the budget bench/multi-node.ts reports as "Redis commands per call". A step reads
 * the session hash once and writes it once, and asks TIME only when it needs the time, so a
 * same-node call (join, join, hangup) is 3 EVALSHA and 24 commands inside them (53 in all
 * before), and a frame to a peer on another node is one EVALSHA of 3 commands (GET of the
 * epoch, one HMGET, the PUBLISH).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { COMMAND_TIMEOUT_MS } from '../../src/server/sessions/redis-node.js';
import type { RedisRegistry } from '../../src/server/sessions/redis-registry.js';
import type { JoinResult } from '../../src/server/sessions/session-registry.js';
import { type RedisServer, startRedis, stopAllRedis, testRegistry } from '../helpers/redis.js';

let redis: RedisServer;
const registries: RedisRegistry[] = [];

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await Promise.allSettled(registries.map((r) => r.close()));
  await stopAllRedis();
});

async function node(prefix: string): Promise<RedisRegistry> {
  const registry = testRegistry(redis.url, {
    prefix,
    maxSessions: 1000,
    queue: { frames: 100, bytes: 65_536 },
    // No heartbeat nor sweep inside the measured steps.
    timings: { heartbeatMs: 600_000, nodeTimeoutMs: 1_200_000, sweepMs: 600_000, sweepSlackMs: 600_000 },
  });
  registries.push(registry);
  await registry.start();
  return registry;
}

/** Commands redis-server ran so far, by name, without the INFO asking it. */
async function commandStats(): Promise<Map<string, number>> {
  const text = String(await redis.command(['INFO', 'commandstats']));
  const stats = new Map<string, number>();
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (m[1] !== 'info') stats.set(m[1] as string, Number(m[2]));
  }
  return stats;
}

/** Runs `steps` and returns the commands they cost: EVALSHA apart, and all the others summed. */
async function cost(steps: () => Promise<void>): Promise<{ scripts: number; inside: number; byName: string }> {
  const before = await commandStats();
  await steps();
  const after = await commandStats();
  let scripts = 0;
  let inside = 0;
  const names: string[] = [];
  for (const [name, calls] of after) {
    const n = calls - (before.get(name) ?? 0);
    if (n === 0) continue;
    names.push(`${name}=${n}`);
    if (name === 'evalsha' || name === 'eval') scripts += n;
    else inside += n;
  }
  return { scripts, inside, byName: names.sort().join(' ') };
}

function admitted(r: JoinResult) {
  assert.equal(r.kind, 'admitted');
  return r.admission;
}

test('a same-node call (join, join, hangup) costs 3 EVALSHA and 24 commands inside them', async () => {
  const reg = await node(`c${randomBytes(4).toString('hex')}:`);
  // A first call warms the script cache (EVAL after NOSCRIPT is not what a call costs).
  const warm = randomUUID();
  const w = admitted(await reg.join(warm, 'w0', 0));
  await reg.join(warm, 'w1', 0);
  await reg.end(warm, w.seat.contextId);
  const id = randomUUID();
  const c = await cost(async () => {
    const a = admitted(await reg.join(id, 'a', 0));
    const b = admitted(await reg.join(id, 'b', 0));
    assert.deepEqual(await reg.relay(a.seat, 'in memory', 9), { kind: 'deliver', link: 'b' });
    assert.deepEqual(await reg.relay(b.seat, 'in memory', 9), { kind: 'deliver', link: 'a' });
    assert.deepEqual(await reg.end(id, a.seat.contextId), { kind: 'ended', links: ['a', 'b'] });
  });
  assert.equal(c.scripts, 3, c.byName);
  // First join 10 (GET epoch, HMGET, ZCARD, TIME, ZADD, PEXPIRE live, SADD, PEXPIRE node set,
  // HSET, PEXPIRE session), second join 7 (GET, HMGET, TIME, ZSCORE of the peer's node, SADD,
  // PEXPIRE, HSET), hangup 7 (GET, HMGET, SREM, SREM, DEL, ZREM live, SET tombstone).
  assert.equal(c.inside, 24, c.byName);
  assert.equal(await reg.peek(id), null, 'the session is gone after the hangup');
});

test('a frame to a peer on another node is one EVALSHA of 3 commands (epoch, one read, PUBLISH)', async () => {
  const prefix = `x${randomBytes(4).toString('hex')}:`;
  const one = await node(prefix);
  const two = await node(prefix);
  const id = randomUUID();
  const a = admitted(await one.join(id, 'a', 0));
  admitted(await two.join(id, 'b', 0));
  const got = new Promise<string>((resolve) =>
    two.subscribe((event) => {
      if (event.kind === 'frame') resolve(event.text);
    }),
  );
  // Warm the ROUTE script.
  assert.deepEqual(await one.relay(a.seat, 'first', 5), { kind: 'forwarded' });
  assert.equal(await got, 'first');
  const c = await cost(async () => {
    assert.deepEqual(await one.relay(a.seat, 'second', 6), { kind: 'forwarded' });
  });
  assert.equal(c.scripts, 1, c.byName);
  assert.equal(c.inside, 3, c.byName);
  assert.match(c.byName, /publish=1/);
  await one.end(id, a.seat.contextId);
});

test('a step Redis does not answer fails after the command timeout (busy), and the next one works once Redis answers', async () => {
  const reg = await node(`p${randomBytes(4).toString('hex')}:`);
  const before = reg.redisStats().errors;
  // Longer than COMMAND_TIMEOUT_MS: without its deadline the join would wait, then be admitted.
  await redis.pause(COMMAND_TIMEOUT_MS + 2500);
  assert.deepEqual(await reg.join(randomUUID(), 'a', 0), { kind: 'busy' });
  assert.equal(reg.redisStats().errors, before + 1, 'the timed-out command counts as an error');
  // The pause ends by itself; then steps go through again (their answers wait behind it).
  const id = randomUUID();
  const a = admitted(await reg.join(id, 'b', 0));
  await reg.end(id, a.seat.contextId);
});
