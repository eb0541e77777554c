/**
 * Two nodes sharing one Redis behind the README's load-balancing recipe
 * (deploy/nginx/homecall-cluster.conf) run by Debian's nginx on a free loopback port, with the
 * test certificate; the nodes trust the proxy and allow its origin.
 */
import { join } from 'node:path';
import { TestClient } from './client.js';
import { type Cluster, startCluster } from './cluster.js';
import { uuid } from './ids.js';
import { freePort } from './free-port.js';
import { type Nginx, readRecipe, startNginx } from './nginx.js';
import { type ChildServer, type Flags, REPO_ROOT } from './server.js';
import { tlsFiles } from './tls.js';

export interface NginxCluster {
  cluster: Cluster;
  nginx: Nginx;
  /** A signalling socket through nginx with affinity hint `k`. */
  connect(k: string): Promise<TestClient>;
  /**
   * hintPerNode's probe: opens a session through nginx with hint `k`, reads the counts while it
   * is open, ends it. `onId` hears the probe's session id.
   */
  probe(k: string, whileOpen: () => Promise<void>): Promise<void>;
}

/** `flags` go to both nodes, over the proxy ones. `connectMs` bounds each signalling connect. */
export async function startNginxCluster(
  flags: Flags,
  options: { connectMs?: number; onId?: (id: string) => void } = {},
): Promise<NginxCluster> {
  const port = await freePort();
  const cluster = await startCluster(2, {
    '--trust-proxy': 'true',
    '--allowed-origins': `https://127.0.0.1:${port}`,
    ...flags,
  });
  const [n1, n2] = cluster.nodes as [ChildServer, ChildServer];
  const tls = await tlsFiles();
  const nginx = await startNginx({
    port,
    site: (listen, dir) =>
      readRecipe(join(REPO_ROOT, 'deploy/nginx/homecall-cluster.conf'), {
        'listen 443 ssl;': `listen 127.0.0.1:${listen} ssl;`,
        '127.0.0.1:8443': `127.0.0.1:${n1.port}`,
        '127.0.0.1:8444': `127.0.0.1:${n2.port}`,
        '/etc/letsencrypt/live/call.example.org/fullchain.pem': tls.certPath,
        '/etc/letsencrypt/live/call.example.org/privkey.pem': tls.keyPath,
        '/var/log/nginx/homecall.access.log': join(dir, 'access.log'),
      }),
  });
  const connect = (k: string) =>
    TestClient.connect(
      `wss://127.0.0.1:${nginx.port}/signal?k=${k}`,
      { headers: { Origin: `https://127.0.0.1:${nginx.port}` } },
      ...(options.connectMs === undefined ? [] : [options.connectMs]),
    );
  const probe = async (k: string, whileOpen: () => Promise<void>) => {
    const c = await connect(k);
    const id = uuid();
    options.onId?.(id);
    await c.join(id);
    await whileOpen();
    c.send({ type: 'hangup', sessionId: id });
    await c.waitClose();
  };
  return { cluster, nginx, connect, probe };
}
