// The README's load-balancing recipe (deploy/nginx/homecall-cluster.conf) run by Debian's
// nginx in front of two nodes sharing one Redis: affinity on the session's hint keeps a call
// on one node, the id never reaches nginx's log, and a node's death does not end the call.
import assert from 'node:assert/strict';
import { get as httpsGet } from 'node:https';
import { after, before, test } from 'node:test';
import { affinityHint } from '../../src/shared/affinity-hint.js';
import { closeAllClients } from '../helpers/client.js';
import { type Cluster, hintPerNode, metricValue } from '../helpers/cluster.js';
import { uuid } from '../helpers/ids.js';
import { type Nginx, stopAllNginx } from '../helpers/nginx.js';
import { type NginxCluster, startNginxCluster } from '../helpers/nginx-cluster.js';
import { offer, sleep } from '../helpers/protocol.js';
import { stopAllRedis } from '../helpers/redis.js';
import type { ChildServer } from '../helpers/server.js';
import { useIntegrationSuite } from '../helpers/suite.js';

let cluster: Cluster;
let nginx: Nginx;
let connect: NginxCluster['connect'];
let probe: NginxCluster['probe'];
const faults = useIntegrationSuite();
const CONNECT_MS = 30_000;
/** Every session id used here, to check none reached nginx's log. */
const ids: string[] = [];

before(async () => {
  ({ cluster, nginx, connect, probe } = await startNginxCluster(
    { '--grace': '10s' },
    { connectMs: CONNECT_MS, onId: (id) => ids.push(id) },
  ));
});
after(async () => {
  await stopAllNginx();
  await stopAllRedis();
});

test('affinity: both participants of a call reach the same node through nginx; the id never reaches its log', async () => {
  const id = uuid();
  const k = affinityHint(id);
  const a = await connect(k);
  await a.join(id);
  const b = await connect(k);
  assert.equal((await b.join(id)).peer, true);
  await a.next('peer');
  a.send(offer(id, 'same-node'));
  assert.deepEqual(await b.next('offer'), offer(id, 'same-node'));
  // Both on one node: no frame crossed nodes anywhere.
  for (const node of cluster.nodes) assert.equal(await metricValue(node, 'homecall_cross_node_frames_total'), 0);
  ids.push(id);
});

test('forced onto different nodes, the call works; the node of one participant dies and the call goes on', async () => {
  const [h0, h1] = (await hintPerNode(cluster.nodes, probe)) as [string, string];
  const id = uuid();
  ids.push(id);
  const a = await connect(h0);
  await a.join(id);
  const b = await connect(h1);
  const jb = await b.join(id);
  assert.equal(jb.peer, true);
  await a.next('peer');
  a.send(offer(id, 'across'));
  assert.deepEqual(await b.next('offer'), offer(id, 'across'));
  // B's node dies; B reconnects with the same URL, nginx passes it to the surviving node.
  const dead = cluster.nodes[1] as ChildServer;
  dead.kill('SIGKILL');
  await dead.exited;
  assert.deepEqual(await a.next('peer', 30_000), { type: 'peer', sessionId: id, state: 'away' });
  a.send(offer(id, 'while-away'));
  const b2 = await connect(h1);
  assert.equal((await b2.join(id, jb.resume as string)).peer, true);
  assert.deepEqual(await b2.next('offer'), offer(id, 'while-away'));
  assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'back' });
  b2.send(offer(id, 'reply'));
  assert.deepEqual(await a.next('offer'), offer(id, 'reply'));
});

test('privacy: nginx logged every /signal request without its query, and never a session id', async () => {
  await closeAllClients();
  // The access log line is written when a WebSocket closes: bounded wait for the last ones.
  for (let i = 0; i < 50 && !nginx.accessLog().includes('/signal'); i++) await sleep(100);
  // The invite link itself, as a browser opens it.
  const page = uuid();
  ids.push(page);
  await new Promise<void>((resolve, reject) =>
    httpsGet(`${nginx.url}?session=${page}`, { rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject),
  );
  for (let i = 0; i < 50 && !/"GET \/ HTTP/.test(nginx.accessLog()); i++) await sleep(100);
  const log = nginx.accessLog();
  assert.match(log, /"GET \/signal HTTP\/1\.1" 101/);
  assert.match(log, /"GET \/ HTTP\/1\.1" 200/);
  for (const id of ids) assert.ok(!log.includes(id), 'a session id reached the access log');
});

test('X6: no uncaught exception or unhandled rejection in this process', () => {
  assert.equal(faults.count, 0);
});
