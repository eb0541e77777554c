/**
 * The registry contract suite (src/server/sessions/registry.contract.ts) against RedisRegistry
 * on a real redis-server, beside the in-memory run in the unit group.
 */
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import pino from 'pino';
import { systemClock } from '../../src/server/clock.js';
import { RedisRegistry } from '../../src/server/sessions/redis-registry.js';
import { registryContract } from '../../src/server/sessions/registry.contract.js';
import { type RedisServer, startRedis, stopAllRedis } from '../helpers/redis.js';

let redis: RedisServer;
const registries: RedisRegistry[] = [];

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await Promise.allSettled(registries.map((r) => r.close()));
  await stopAllRedis();
});

registryContract({
  name: 'RedisRegistry',
  create: async ({ maxSessions, queueFrames, queueBytes }) => {
    const registry = new RedisRegistry({
      url: redis.url,
      prefix: `t${randomBytes(4).toString('hex')}:`,
      maxSessions,
      queue: { frames: queueFrames, bytes: queueBytes },
      graceMs: 30_000,
      sessionLifetimeMs: 3_600_000,
      timings: { heartbeatMs: 1000, nodeTimeoutMs: 5000, sweepMs: 1000, sweepSlackMs: 1000 },
      clock: systemClock,
      logger: pino({ level: 'silent' }),
    });
    registries.push(registry);
    await registry.start();
    return registry;
  },
});
