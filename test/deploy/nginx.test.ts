// deploy/nginx/homecall.conf with Debian's nginx (issue 10): the README's single-node nginx
// recipe is this file, run as it is with only its addresses and certificate paths replaced.
import { join } from 'node:path';
import { freePort, readRecipe, startNginx } from '../helpers/nginx.js';
import { REPO_ROOT } from '../helpers/server.js';
import { tlsFiles } from '../helpers/tls.js';
import { proxyRecipeSuite } from './proxied-call.js';

const RECIPE = join(REPO_ROOT, 'deploy/nginx/homecall.conf');

proxyRecipeSuite('nginx with deploy/nginx/homecall.conf', async (port, upstreamPort) => {
  const tls = await tlsFiles();
  const redirectPort = await freePort();
  return startNginx({
    port,
    site: (p) =>
      readRecipe(RECIPE, {
        'listen 443 ssl http2;': `listen 127.0.0.1:${p} ssl http2;`,
        'listen 80;': `listen 127.0.0.1:${redirectPort};`,
        '/etc/letsencrypt/live/call.example.org/fullchain.pem': tls.certPath,
        '/etc/letsencrypt/live/call.example.org/privkey.pem': tls.keyPath,
        'http://127.0.0.1:8443': `http://127.0.0.1:${upstreamPort}`,
      }),
  });
});
