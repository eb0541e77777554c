/**
 * Several real HomeCall processes sharing one private redis-server (README "Several nodes"),
 * with test timings: heartbeat 250 ms, node timeout 2 s (a loaded machine stalls event loops), sweep 50 ms.
 */
import { tokenSecret as newSecret } from './ids.js';
import { type RedisServer, startRedis } from './redis.js';
import { type ChildServer, type Flags, spawnServer } from './server.js';

export const CLUSTER_FLAGS: Flags = {
  '--redis-heartbeat': '250ms',
  '--redis-node-timeout': '2s',
  '--redis-sweep': '50ms',
  // Hundreds of sockets in one loaded test process answer pings late: no drops from that.
  '--ping-interval': '5s',
  '--drop-after': '20s',
  '--sockets-per-address': '2000',
  // The race test opens three sockets before it sends the joins: a loaded machine may take seconds.
  '--join-timeout': '60s',
  // Each node's /metrics on its own loopback listener (cross-node frames, Redis round trips).
  '--metrics-port': '0',
};

export interface Cluster {
  redis: RedisServer;
  nodes: ChildServer[];
  secret: string;
  /** Starts one more node on the same Redis and secret (e.g. after a kill). */
  addNode(flags?: Flags): Promise<ChildServer>;
}

export async function startCluster(count: number, flags: Flags = {}, redis?: RedisServer): Promise<Cluster> {
  const server = redis ?? (await startRedis());
  const secret = newSecret();
  const addNode = (extra: Flags = {}) =>
    spawnServer(
      { ...CLUSTER_FLAGS, '--redis-url': server.url, ...flags, ...extra },
      { tokenSecret: secret, readyTimeoutMs: 60_000 },
    );
  const nodes: ChildServer[] = [];
  // One after another: a loaded 2-core machine starts tsx slowly.
  for (let i = 0; i < count; i++) nodes.push(await addNode());
  return { redis: server, nodes, secret, addNode };
}
