import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  cleanupLeftovers,
  createTopology,
  namespacesOfThisProcess,
  requireNetns,
  type Topology,
} from '../helpers/netns.js';

// The namespace library itself: each NAT behaves as its name says, the UDP block and the
// address move work, and teardown leaves nothing behind. The mapping is observed the way a
// STUN server sees it: a UDP echo in the public namespace replies with the source address.

before(() => {
  requireNetns();
  cleanupLeftovers();
});

const ECHO = `const d = require('node:dgram');
for (const port of [3478, 3479]) {
  const s = d.createSocket('udp4');
  s.on('message', (m, r) => s.send(r.address + ':' + r.port, r.port, r.address));
  s.bind(port, process.argv[1], () => console.log('ready'));
}`;

/** From one local port, asks both echo ports which source they saw; '-' where none answered. */
const PROBE = `const s = require('node:dgram').createSocket('udp4');
const seen = { 3478: '-', 3479: '-' };
s.on('message', (m, r) => { seen[r.port] = String(m); });
s.bind(40000, () => { for (const p of [3478, 3479]) s.send('x', p, process.argv[1]); });
setTimeout(() => { console.log(JSON.stringify(seen)); process.exit(0); }, 700);`;

function probe(t: Topology, home: string): { 3478: string; 3479: string } {
  return JSON.parse(t.exec(t.homes[home]!.clientNs, process.execPath, ['-e', PROBE, t.publicIp]));
}

async function withEcho(t: Topology, body: () => void | Promise<void>): Promise<void> {
  const echo = t.spawn(t.publicNs, process.execPath, ['-e', ECHO, t.publicIp], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let ready = 0;
  await new Promise<void>((resolve, reject) => {
    echo.once('exit', (code) => reject(new Error(`echo exited ${code}`)));
    echo.stdout!.on('data', (d) => {
      ready += String(d).split('ready').length - 1;
      if (ready === 2) resolve();
    });
  });
  await body();
}

describe('network namespaces for NAT tests', { timeout: 60_000 }, () => {
  test('symmetric NAT: a new public port per destination; cone NAT: the same port; UDP block: nothing out', async () => {
    const t = createTopology({
      homes: [
        { name: 'a', nat: 'symmetric' },
        { name: 'b', nat: 'cone' },
        { name: 'c', nat: 'cone', blockUdp: true },
      ],
    });
    try {
      await withEcho(t, () => {
        const a = probe(t, 'a');
        assert.match(a[3478], /^198\.51\.100\.11:\d+$/);
        assert.match(a[3479], /^198\.51\.100\.11:\d+$/);
        assert.notEqual(a[3478], a[3479], 'a symmetric NAT maps each destination to its own port');
        const b = probe(t, 'b');
        assert.deepEqual(b, { 3478: '198.51.100.12:40000', 3479: '198.51.100.12:40000' });
        assert.deepEqual(probe(t, 'c'), { 3478: '-', 3479: '-' });
        t.setUdpBlocked('c', false);
        assert.deepEqual(probe(t, 'c'), { 3478: '198.51.100.13:40000', 3479: '198.51.100.13:40000' });
      });
    } finally {
      await t.teardown();
    }
  });

  test('moving a home: its traffic leaves from the new public address at once', async () => {
    const t = createTopology({ homes: [{ name: 'a', nat: 'cone' }] });
    try {
      await withEcho(t, () => {
        assert.equal(probe(t, 'a')[3478], '198.51.100.11:40000');
        const next = t.moveHome('a');
        assert.notEqual(next, '198.51.100.11');
        assert.equal(t.homes.a!.wanIp, next);
        assert.equal(probe(t, 'a')[3478], `${next}:40000`);
      });
    } finally {
      await t.teardown();
    }
  });

  test('teardown removes every namespace and process, also after a failed setup', async () => {
    const before = namespacesOfThisProcess();
    const t = createTopology({ homes: [{ name: 'a', nat: 'cone' }] });
    assert.equal(namespacesOfThisProcess().length, before.length + 4);
    const sleeper = t.spawn(t.homes.a!.clientNs, 'sleep', ['60']);
    await t.teardown();
    assert.deepEqual(namespacesOfThisProcess(), before);
    assert.ok(sleeper.exitCode !== null || sleeper.signalCode !== null || sleeper.killed);
    // A bad home name fails half-way through the setup: what was made is gone again.
    assert.throws(
      () =>
        createTopology({
          homes: [
            { name: 'a', nat: 'cone' },
            { name: 'A!', nat: 'cone' },
          ],
        }),
      /bad home/,
    );
    assert.deepEqual(namespacesOfThisProcess(), before);
  });
});
