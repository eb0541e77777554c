// deploy/caddy/Caddyfile with Debian's caddy (issue 10): the README's Caddy recipe is this file.
import { join } from 'node:path';
import { startCaddy } from '../helpers/caddy.js';
import { REPO_ROOT } from '../helpers/server.js';
import { proxyRecipeSuite } from './proxied-call.js';

proxyRecipeSuite('Caddy with deploy/caddy/Caddyfile', (port, upstreamPort) =>
  startCaddy(join(REPO_ROOT, 'deploy/caddy/Caddyfile'), port, {
    // The site name becomes the test's loopback address (Caddy's internal CA issues for it).
    'call.example.org {': `https://127.0.0.1:${port} {`,
    '127.0.0.1:8443': `127.0.0.1:${upstreamPort}`,
  }),
);
