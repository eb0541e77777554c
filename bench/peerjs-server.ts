/**
 * peerjs-server (the npm package `peer`, a dev dependency of the benchmark only) as its own
 * command line `peerjs --port N` runs it: the same settings (its CLI's defaults: key `peerjs`,
 * path `/`, expire_timeout 5 s, alive_timeout 60 s), the same "Client connected/disconnected"
 * line per socket on stdout. Only its capacity-type limit is raised for the load generator, as
 * HomeCall's are (HOMECALL_LOAD_FLAGS): concurrent_limit (5,000 clients per key by default)
 * would refuse the waiting-socket measurement. Its CLI cannot listen on port 0 (it reads 0 as
 * "not set"), hence this launcher.
 *
 *   node --import tsx bench/peerjs-server.ts --port 0 --host 127.0.0.1
 *
 * Prints `{"msg":"listening","url":"http://HOST:PORT/"}` on stdout, like the other targets.
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { PeerServer } from 'peer';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const app = PeerServer(
  {
    port: Number(values.port),
    host: values.host,
    key: 'peerjs',
    path: '/',
    expire_timeout: 5000,
    alive_timeout: 60_000,
    concurrent_limit: 1_000_000,
  },
  (server) => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://${values.host}:${port}/` })}\n`);
    const stop = () => {
      server.close(() => process.exit(0));
      setTimeout(() => process.exit(0), 2000).unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  },
);
app.on('connection', (client) => console.log(`Client connected: ${client.getId()}`));
app.on('disconnect', (client) => console.log(`Client disconnected: ${client.getId()}`));
