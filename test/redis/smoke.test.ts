import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { type Cluster, startCluster } from '../helpers/cluster.js';
import { uuid } from '../helpers/ids.js';
import { offer } from '../helpers/protocol.js';
import { stopAllRedis } from '../helpers/redis.js';
import { useIntegrationSuite } from '../helpers/suite.js';

let cluster: Cluster;
useIntegrationSuite();
before(async () => {
  cluster = await startCluster(2);
});
after(() => stopAllRedis());

test('smoke', async () => {
  const [n1, n2] = cluster.nodes;
  const id = uuid();
  const a = await TestClient.connect(n1.wsUrl);
  assert.equal((await a.join(id)).peer, false);
  const b = await TestClient.connect(n2.wsUrl);
  assert.equal((await b.join(id)).peer, true);
  assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
  a.send(offer(id, 'x'));
  assert.deepEqual(await b.next('offer'), offer(id, 'x'));
  b.send(offer(id, 'y'));
  assert.deepEqual(await a.next('offer'), offer(id, 'y'));
});
