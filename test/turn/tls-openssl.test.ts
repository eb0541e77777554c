import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { encodeStun } from '../../src/server/turn/stun-message.js';
import { HEADER_BYTES, StunClass, StunMethod } from '../../src/server/turn/stun-protocol.js';
import { requestedTransportUdp, TurnTestClient } from '../../src/server/turn/testing/turn-test-client.js';
import { closeAllClients, TestClient } from '../helpers/client.js';
import { uuid } from '../helpers/ids.js';
import { type RunningServer, startServer, stopAllServers } from '../helpers/server.js';

// TURN over TLS on the HTTPS port with a TLS client nobody here wrote: OpenSSL's s_client (the
// `openssl` command) does the handshake under the server's TLS policy (TLS 1.2+, ECDHE+AEAD) and
// carries our STUN bytes; uclient 4.6.1 can no longer (its TLS is refused by that policy).

const ANSWER_WAIT_MS = 15_000;
const children = new Set<ChildProcess>();

let server: RunningServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await closeAllClients();
  await stopAllServers();
});

/** `openssl s_client` to the HTTPS port; its stdin/stdout are the decrypted stream. */
function opensslTls(port: number) {
  const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', '-brief'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  let spawnError: Error | undefined;
  child.once('error', (e) => {
    spawnError = e;
  });
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  let pending = Buffer.alloc(0);
  const messages: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    // RFC 8656 §12.5: over a stream, STUN messages follow each other, framed by their length.
    while (pending.length >= HEADER_BYTES && pending.length >= HEADER_BYTES + pending.readUInt16BE(2)) {
      const length = HEADER_BYTES + pending.readUInt16BE(2);
      messages.push(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
  });
  return {
    send: (bytes: Buffer) => child.stdin.write(bytes),
    /** The next whole STUN message the server sent back (bounded wait). */
    async next(): Promise<Buffer> {
      const deadline = Date.now() + ANSWER_WAIT_MS;
      while (messages.length === 0) {
        if (spawnError !== undefined) throw new Error(`openssl is needed (Debian package openssl): ${spawnError}`);
        if (child.exitCode !== null) throw new Error(`openssl s_client exited (${child.exitCode}): ${stderr}`);
        if (Date.now() > deadline) throw new Error(`no STUN answer over TLS in time; openssl said: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return messages.shift()!;
    },
    stderr: () => stderr,
    close: () => {
      child.stdin.end();
      child.kill();
      children.delete(child);
    },
  };
}

test('TURN over TLS on the HTTPS port with openssl s_client: Binding, 401 challenge, signed Allocate', async () => {
  const ws = await TestClient.connect(server.wsUrl);
  const entry = (
    (await ws.join(uuid())).iceServers as Array<{ urls: string[]; username: string; credential: string }>
  )[0];
  assert.ok(entry, 'joined carries the built-in TURN server');
  assert.ok(
    entry.urls.includes(`turns:127.0.0.1:${server.port}?transport=tcp`),
    `a turns: URL on the HTTPS port: ${entry.urls.join(' ')}`,
  );
  const tls = opensslTls(server.port);
  try {
    const turn = new TurnTestClient(entry);
    // A Binding request first: STUN over the TLS stream answers with the client's address.
    tls.send(
      encodeStun({
        method: StunMethod.binding,
        cls: StunClass.request,
        transactionId: randomBytes(12),
        attributes: [],
      }),
    );
    const binding = turn.read(await tls.next());
    assert.equal(binding.message.cls, StunClass.success);
    assert.equal(binding.mapped?.ip, '127.0.0.1');
    // The handshake was TLS 1.2 or 1.3 with an AEAD suite (the policy's only choices).
    assert.match(tls.stderr(), /Protocol version: TLSv1\.[23]/, tls.stderr());

    tls.send(turn.request(StunMethod.allocate, [requestedTransportUdp]));
    const challenge = turn.read(await tls.next());
    assert.equal(challenge.code, 401);
    assert.ok(turn.auth?.nonce, 'the 401 carries a nonce');

    tls.send(turn.request(StunMethod.allocate, [requestedTransportUdp]));
    const allocated = turn.read(await tls.next());
    assert.equal(allocated.message.cls, StunClass.success, `Allocate answered ${allocated.code}`);
    assert.ok(allocated.signed, 'the success is signed with the long-term key');
    assert.equal(allocated.relayed?.ip, '127.0.0.1');
    assert.ok(allocated.lifetime !== undefined && allocated.lifetime > 0);
  } finally {
    tls.close();
    ws.close();
  }
});

test('the same over TLS with a wrong password: 401 again, no allocation (the check above can fail)', async () => {
  const ws = await TestClient.connect(server.wsUrl);
  const entry = (
    (await ws.join(uuid())).iceServers as Array<{ urls: string[]; username: string; credential: string }>
  )[0];
  assert.ok(entry);
  const tls = opensslTls(server.port);
  try {
    const turn = new TurnTestClient({ username: entry.username, credential: 'wrong' });
    tls.send(turn.request(StunMethod.allocate, [requestedTransportUdp]));
    assert.equal(turn.read(await tls.next()).code, 401);
    tls.send(turn.request(StunMethod.allocate, [requestedTransportUdp]));
    const refused = turn.read(await tls.next());
    assert.equal(refused.code, 401);
    assert.equal(refused.relayed, null);
  } finally {
    tls.close();
    ws.close();
  }
});
