import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import pino from 'pino';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import { StunAttr, StunMethod } from './stun-protocol.js';
import { MemoryTurnServer } from './testing/memory-turn-server.js';
import {
  channelNumberAttr,
  encodeChannelData,
  lifetimeAttr,
  MemoryClient,
  peerRequest,
  requestedTransportUdp,
  sendIndication,
  TurnTestClient,
} from './testing/turn-test-client.js';
import { DEFAULT_TURN_QUOTAS } from './turn-quotas.js';

/** A reply may be at most this many times the size of the datagram that caused it (amplification). */
const AMPLIFICATION = 4;
const RUNS = 100_000;

describe('fuzz: 100,000 random and mutated datagrams through the server', () => {
  it('never throws, and never answers with more than 4x the bytes it was sent', () => {
    const clock = new FakeClock();
    const server = new MemoryTurnServer({
      clock,
      logger: pino({ level: 'silent' }),
      relayIp: '198.51.100.1',
      credentialTtlMs: 3_600_000,
      // No rate limit here: every answer the server would give is measured.
      quotas: { ...DEFAULT_TURN_QUOTAS, answersPerSecPerAddress: 1e9 },
    });
    // A live call with two allocations, so mutated requests reach every authenticated path.
    const a = new TurnTestClient(server.credentials.mint({ contextId: 'c', place: 0, expiresAtMs: 9e15 }));
    const b = new TurnTestClient(server.credentials.mint({ contextId: 'c', place: 1, expiresAtMs: 9e15 }));
    const ea = new MemoryClient({ family: 4, ip: '203.0.113.1', port: 1000 });
    const eb = new MemoryClient({ family: 4, ip: '203.0.113.2', port: 2000 });
    const relayed = [a, b].map((client, i) => {
      const end = i === 0 ? ea : eb;
      server.handle(client.request(StunMethod.allocate, [requestedTransportUdp]), end);
      client.read(end.take());
      server.handle(client.request(StunMethod.allocate, [requestedTransportUdp]), end);
      const r = client.read(end.take()).relayed;
      assert.ok(r);
      return r;
    });
    const [ra, rb] = relayed as [NonNullable<(typeof relayed)[0]>, NonNullable<(typeof relayed)[0]>];
    const seeds: Buffer[] = [
      a.request(StunMethod.binding),
      a.request(StunMethod.binding, [], { fingerprint: true }),
      new TurnTestClient({ username: 'x', credential: 'y' }).request(StunMethod.allocate, [requestedTransportUdp]),
      a.request(StunMethod.allocate, [requestedTransportUdp], { fingerprint: true }),
      a.request(StunMethod.refresh, [lifetimeAttr(600)]),
      peerRequest(a, StunMethod.createPermission, [rb]),
      peerRequest(b, StunMethod.createPermission, [ra]),
      peerRequest(a, StunMethod.channelBind, [rb], [channelNumberAttr(0x4000)]),
      sendIndication(rb, Buffer.from('payload')),
      encodeChannelData(0x4000, Buffer.from('channel payload')),
      a.request(StunMethod.allocate, [requestedTransportUdp, { type: 0x0031, value: 'unknown' }]),
      a.request(StunMethod.allocate, [{ type: StunAttr.REQUESTED_ADDRESS_FAMILY, value: Buffer.from([2, 0, 0, 0]) }]),
    ];
    const mutated = fc
      .record({
        seed: fc.constantFrom(...seeds),
        flips: fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { maxLength: 4 }),
        cut: fc.option(fc.nat(), { nil: undefined }),
        tail: fc.uint8Array({ maxLength: 16 }),
      })
      .map(({ seed, flips, cut, tail }) => {
        const bytes = Buffer.concat([Buffer.from(seed), Buffer.from(tail)]);
        for (const f of flips) bytes[f.at % bytes.length] = (bytes[f.at % bytes.length] ?? 0) ^ f.xor;
        return cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
      });
    const datagram = fc.oneof(
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)) },
      { weight: 1, arbitrary: fc.constantFrom(...seeds) },
      { weight: 4, arbitrary: mutated },
    );
    const source = fc.constantFrom(ea, eb, new MemoryClient({ family: 4, ip: '192.0.2.9', port: 9 }));
    let answered = 0;
    fc.assert(
      fc.property(datagram, source, (bytes, from) => {
        const before = [ea.inbox.length, eb.inbox.length];
        from.inbox.length = 0;
        server.handle(bytes, from);
        for (const reply of from.inbox) {
          answered++;
          if (reply.length > AMPLIFICATION * Math.max(bytes.length, 1)) return false;
        }
        from.inbox.length = 0;
        // The other client may receive relayed data, which is not a reply; keep inboxes small.
        if (ea.inbox.length > 100) ea.inbox.length = before[0] ?? 0;
        if (eb.inbox.length > 100) eb.inbox.length = before[1] ?? 0;
        clock.advance(1);
        return true;
      }),
      { numRuns: RUNS },
    );
    // The fuzz must reach the answering paths, not only the drop paths.
    assert.ok(answered > RUNS / 20, `only ${answered} answers`);
  });
});
