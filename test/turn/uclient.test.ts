import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { closeAllClients, TestClient } from '../helpers/client.js';
import { uuid } from '../helpers/ids.js';
import { type RunningServer, startServer, stopAllServers } from '../helpers/server.js';

// Interop with a client nobody here wrote: coturn's turnutils_uclient (Debian package coturn)
// against the built-in server, with a credential from a real `joined`.
//
// Mode: `-y` (client-to-client). uclient makes two allocations with the one credential and
// sends between their relayed addresses, each to the other: Allocate (401 challenge, then
// long-term auth), Refresh, CreatePermission, ChannelBind + ChannelData (default) or Send/Data
// indications (`-s`), and data both ways. Both allocations hold one participant's credential,
// so they belong to one call: exactly what the same-call rule lets through. uclient's other
// mode (a turnutils_peer echo at some address) is what the built-in server refuses by design.

const UCLIENT = 'turnutils_uclient';
const RUN_LIMIT_MS = 30_000;
const children = new Set<ChildProcess>();

let server: RunningServer;
before(async () => {
  const probe = spawnSync(UCLIENT, ['-h'], { encoding: 'utf8' });
  if (probe.error !== undefined) {
    throw new Error(`${UCLIENT} is needed (Debian package coturn: apt-get install coturn): ${probe.error.message}`);
  }
  server = await startServer();
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await closeAllClients();
  await stopAllServers();
});

type Entry = { urls: string[]; username: string; credential: string };

async function credential(): Promise<{ entry: Entry; port: number; ws: TestClient }> {
  const ws = await TestClient.connect(server.wsUrl);
  const entry = ((await ws.join(uuid())).iceServers as Entry[])[0];
  assert.ok(entry);
  const port = Number(/^turn:127\.0\.0\.1:(\d+)\?transport=udp$/.exec(entry.urls[0] ?? '')?.[1]);
  assert.ok(port > 0, entry.urls[0]);
  return { entry, port, ws };
}

/** Runs uclient to completion (bounded) and returns its output. */
function uclient(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(UCLIENT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let output = '';
    child.stdout?.on('data', (d) => (output += String(d)));
    child.stderr?.on('data', (d) => (output += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, output });
    });
  });
}

function totals(output: string): { sent: number; received: number; lost: number } {
  const t = /start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)/.exec(output);
  const lost = /Total lost packets (\d+)/.exec(output);
  return { sent: Number(t?.[1] ?? 0), received: Number(t?.[2] ?? 0), lost: Number(lost?.[1] ?? -1) };
}

const MESSAGES = 10;

describe('interop: turnutils_uclient (coturn 4.6) against the built-in server', () => {
  for (const [name, flags, onHttpsPort] of [
    ['UDP, channels (ChannelBind + ChannelData)', [], false],
    ['UDP, Send and Data indications (-s)', ['-s'], false],
    ['TCP on the HTTPS port (-t)', ['-t'], true],
    // TURN over TLS on the HTTPS port passed with uclient before the TLS policy (TLS 1.2+, ECDHE+AEAD);
    // uclient 4.6.1 now gets a 'protocol version' alert from it: tls-openssl.test.ts proves TLS
    // with OpenSSL's s_client instead.
  ] as const) {
    test(`${name}: allocate, permissions, data both ways, nothing lost`, async () => {
      const { entry, port, ws } = await credential();
      const args = ['-y', '-c', ...flags, '-m', '1', '-n', String(MESSAGES), '-l', '120'];
      const target = String(onHttpsPort ? server.port : port);
      const auth = ['-u', entry.username, '-w', entry.credential];
      const run = await uclient([...args, '-p', target, ...auth, '-L', '127.0.0.1', '127.0.0.1']);
      const t = totals(run.output);
      assert.equal(t.sent, 2 * MESSAGES, run.output.slice(-2000));
      assert.equal(t.received, 2 * MESSAGES, run.output.slice(-2000));
      assert.equal(t.lost, 0);
      assert.doesNotMatch(run.output, /error \d{3}/);
      ws.close();
    });
  }

  test('with a wrong password uclient gets nowhere (the assertion above can fail)', async () => {
    const { entry, port, ws } = await credential();
    const run = await uclient([
      '-y',
      '-c',
      '-m',
      '1',
      '-n',
      '2',
      '-p',
      String(port),
      '-u',
      entry.username,
      '-w',
      'wrong',
      '-L',
      '127.0.0.1',
      '127.0.0.1',
    ]);
    assert.equal(totals(run.output).received, 0);
    assert.match(run.output, /401|Unauthorized|error/i);
    ws.close();
  });
});
