/**
 * The registry contract suite (src/server/sessions/registry.contract.ts) against RedisRegistry
 * on a real redis-server, beside the in-memory run in the unit group.
 */
import { after, before } from 'node:test';
import type { RedisRegistry } from '../../src/server/sessions/redis-registry.js';
import { registryContract } from '../../src/server/sessions/registry.contract.js';
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

registryContract({
  name: 'RedisRegistry',
  create: async ({ maxSessions, queueFrames, queueBytes }) => {
    const registry = testRegistry(redis.url, { maxSessions, queue: { frames: queueFrames, bytes: queueBytes } });
    registries.push(registry);
    await registry.start();
    return registry;
  },
});
