/**
 * One bare relay of bench/lib/hop-floor.ts, a process of its own:
 *   node --import tsx bench/lib/hop-floor-relay.ts same|a|b REDIS_URL
 * `same`: each line goes back on the socket it came from. `a`: each line goes to Redis through a
 * script that PUBLISHes it. `b`: each message on the channel goes to its one client. Tells its
 * port to the parent over IPC.
 */
import { createServer, type Socket } from 'node:net';
import { createClient } from 'redis';

const CHANNEL = 'floor:frames';
const PUBLISH_SCRIPT = "return redis.call('PUBLISH', KEYS[1], ARGV[1])";
const [role, url] = process.argv.slice(2);
if (role !== 'same' && role !== 'a' && role !== 'b') throw new Error(`unknown role ${role}`);

const redis = role === 'same' ? null : createClient({ url, RESP: 2 });
await redis?.connect();
const sha = role === 'a' && redis !== null ? String(await redis.sendCommand(['SCRIPT', 'LOAD', PUBLISH_SCRIPT])) : '';
let client: Socket | null = null;
if (role === 'b' && redis !== null) await redis.subscribe(CHANNEL, (message) => client?.write(`${message}\n`));

const server = createServer((socket) => {
  socket.setNoDelay(true);
  client = socket;
  let buffered = '';
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (role === 'same') socket.write(`${line}\n`);
      else if (role === 'a') void redis?.sendCommand(['EVALSHA', sha, '1', CHANNEL, line]);
    }
  });
  socket.on('error', () => socket.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address !== null ? address.port : 0 });
});
process.on('disconnect', () => process.exit(0));
