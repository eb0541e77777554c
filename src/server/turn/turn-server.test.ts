import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pino from 'pino';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import type { TransportAddress } from './stun-address.js';
import { encodeStun, getAttribute, verifyIntegrity } from './stun-message.js';
import { StunAttr, StunClass, StunMethod } from './stun-protocol.js';
import { MemoryTurnServer } from './testing/memory-turn-server.js';
import {
  channelNumberAttr,
  encodeChannelData,
  lifetimeAttr,
  MemoryClient,
  peerRequest,
  readRelayed,
  requestedTransportUdp,
  sendIndication,
  TurnTestClient,
} from './testing/turn-test-client.js';
import { DEFAULT_TURN_QUOTAS, type TurnQuotas } from './turn-quotas.js';

const RELAY_IP = '198.51.100.1';
const HOUR = 3_600_000;

function setup(quotas: Partial<TurnQuotas> = {}) {
  const clock = new FakeClock();
  const server = new MemoryTurnServer({
    clock,
    logger: pino({ level: 'silent' }),
    relayIp: RELAY_IP,
    credentialTtlMs: HOUR,
    quotas: { ...DEFAULT_TURN_QUOTAS, answersPerSecPerAddress: 1000, ...quotas },
  });
  let nextPort = 40000;
  /** A participant: its credential and one client 5-tuple. */
  const participant = (contextId = 'ctx-1', place = 0, ip = '203.0.113.5') => {
    const credential = server.credentials.mint({ contextId, place, expiresAtMs: clock.wallNow() + 2 * HOUR });
    return { turn: new TurnTestClient(credential), end: new MemoryClient({ family: 4, ip, port: nextPort++ }) };
  };
  const exchange = (p: { turn: TurnTestClient; end: MemoryClient }, bytes: Buffer) => {
    server.handle(bytes, p.end);
    return p.turn.read(p.end.take());
  };
  /** 401 then an authenticated Allocate; returns the success. */
  const allocate = (p: { turn: TurnTestClient; end: MemoryClient }) => {
    if (p.turn.auth === undefined) {
      const challenge = exchange(p, p.turn.request(StunMethod.allocate, [requestedTransportUdp]));
      assert.equal(challenge.code, 401);
    }
    return exchange(p, p.turn.request(StunMethod.allocate, [requestedTransportUdp]));
  };
  const permit = (p: { turn: TurnTestClient; end: MemoryClient }, peers: TransportAddress[]) =>
    exchange(p, peerRequest(p.turn, StunMethod.createPermission, peers));
  return { clock, server, participant, exchange, allocate, permit };
}

describe('Binding (RFC 8489 §6)', () => {
  it('answers XOR-MAPPED-ADDRESS only (no SOFTWARE, no MAPPED-ADDRESS), mirroring FINGERPRINT', () => {
    const { participant, exchange } = setup();
    const p = participant();
    const answer = exchange(p, p.turn.request(StunMethod.binding, [], { fingerprint: true }));
    assert.equal(answer.message.cls, StunClass.success);
    assert.deepEqual(answer.mapped, p.end.address);
    assert.deepEqual(
      answer.message.attributes.map((a) => a.type),
      [StunAttr.XOR_MAPPED_ADDRESS, StunAttr.FINGERPRINT],
    );
    const plain = exchange(p, p.turn.request(StunMethod.binding));
    assert.deepEqual(
      plain.message.attributes.map((a) => a.type),
      [StunAttr.XOR_MAPPED_ADDRESS],
    );
  });

  it('drops a request whose FINGERPRINT is wrong, answers 420 to an unknown comprehension-required attribute', () => {
    const { server, participant, exchange } = setup();
    const p = participant();
    const bad = p.turn.request(StunMethod.binding, [], { fingerprint: true });
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    server.handle(bad, p.end);
    assert.equal(p.end.inbox.length, 0);
    const answer = exchange(p, p.turn.request(StunMethod.binding, [{ type: 0x7777, value: 'x' }]));
    assert.equal(answer.code, 420);
    assert.deepEqual(getAttribute(answer.message, StunAttr.UNKNOWN_ATTRIBUTES), Buffer.from([0x77, 0x77]));
    // Comprehension-optional (Chrome's 0xFF05) is ignored.
    assert.equal(exchange(p, p.turn.request(StunMethod.binding, [{ type: 0xff05, value: 'x' }])).code, undefined);
  });
});

describe('Allocate (RFC 8656 §7)', () => {
  it('challenges with 401 + REALM + NONCE, then succeeds with XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS, LIFETIME', () => {
    const { participant, exchange } = setup();
    const p = participant();
    const challenge = exchange(p, p.turn.request(StunMethod.allocate, [requestedTransportUdp]));
    assert.equal(challenge.code, 401);
    assert.equal(challenge.message.integrityAt, -1);
    assert.equal(getAttribute(challenge.message, StunAttr.REALM)?.toString(), 'homecall');
    assert.ok(getAttribute(challenge.message, StunAttr.NONCE));
    const ok = exchange(p, p.turn.request(StunMethod.allocate, [requestedTransportUdp]));
    assert.equal(ok.message.cls, StunClass.success);
    assert.equal(ok.signed, true);
    assert.equal(ok.relayed?.ip, RELAY_IP);
    assert.ok((ok.relayed?.port ?? 0) >= 49152);
    assert.deepEqual(ok.mapped, p.end.address);
    assert.equal(ok.lifetime, 600);
  });

  it('a retransmission gets the same success; another Allocate on the 5-tuple gets 437', () => {
    const { server, participant, exchange } = setup();
    const p = participant();
    exchange(p, p.turn.request(StunMethod.allocate, [requestedTransportUdp]));
    const request = p.turn.request(StunMethod.allocate, [requestedTransportUdp]);
    const first = exchange(p, request);
    server.handle(request, p.end);
    assert.deepEqual(p.turn.read(p.end.take()).relayed, first.relayed);
    assert.equal(exchange(p, p.turn.request(StunMethod.allocate, [requestedTransportUdp])).code, 437);
  });

  it('400 without REQUESTED-TRANSPORT, 442 for TCP, 440 for IPv6, 420 for an unknown attribute (signed)', () => {
    const { participant, exchange, allocate } = setup();
    const p = participant();
    allocate(participant()); // any nonce works for every credential
    exchange(p, p.turn.request(StunMethod.allocate));
    assert.equal(exchange(p, p.turn.request(StunMethod.allocate)).code, 400);
    const tcp = { type: StunAttr.REQUESTED_TRANSPORT, value: Buffer.from([6, 0, 0, 0]) };
    assert.equal(exchange(p, p.turn.request(StunMethod.allocate, [tcp])).code, 442);
    const v6 = { type: StunAttr.REQUESTED_ADDRESS_FAMILY, value: Buffer.from([2, 0, 0, 0]) };
    const refused = exchange(p, p.turn.request(StunMethod.allocate, [requestedTransportUdp, v6]));
    assert.equal(refused.code, 440);
    assert.equal(refused.signed, true);
    const unknown = exchange(
      p,
      p.turn.request(StunMethod.allocate, [requestedTransportUdp, { type: 0x0031, value: 'x' }]),
    );
    assert.equal(unknown.code, 420);
  });

  it('wrong integrity → 401; stale nonce → 438 with a new nonce that then works', () => {
    const { clock, server, participant, exchange } = setup();
    const p = participant();
    exchange(p, p.turn.request(StunMethod.allocate, [requestedTransportUdp]));
    const wrong = new TurnTestClient({ username: p.turn.credential.username, credential: 'not-the-password' });
    wrong.auth = p.turn.auth;
    server.handle(wrong.request(StunMethod.allocate, [requestedTransportUdp]), p.end);
    const refused = wrong.read(p.end.take());
    assert.equal(refused.code, 401);
    assert.equal(refused.message.integrityAt, -1);
    clock.advance(10 * 60_000);
    assert.equal(exchange(p, p.turn.request(StunMethod.allocate, [requestedTransportUdp])).code, 438);
    assert.equal(
      exchange(p, p.turn.request(StunMethod.allocate, [requestedTransportUdp])).message.cls,
      StunClass.success,
    );
  });

  it('refuses expired, foreign and ended-session credentials with 401', () => {
    const { clock, server, participant, exchange } = setup();
    const expired = participant();
    exchange(expired, expired.turn.request(StunMethod.allocate, [requestedTransportUdp]));
    clock.advance(HOUR + 1000);
    exchange(expired, expired.turn.request(StunMethod.allocate, [requestedTransportUdp])); // fresh nonce
    assert.equal(exchange(expired, expired.turn.request(StunMethod.allocate, [requestedTransportUdp])).code, 401);

    const other = new MemoryTurnServer({
      clock,
      logger: pino({ level: 'silent' }),
      relayIp: RELAY_IP,
      credentialTtlMs: HOUR,
    });
    const foreign = participant();
    foreign.turn = new TurnTestClient(other.credentials.mint({ contextId: 'ctx-1', place: 0, expiresAtMs: 9e15 }));
    exchange(foreign, foreign.turn.request(StunMethod.allocate, [requestedTransportUdp]));
    assert.equal(exchange(foreign, foreign.turn.request(StunMethod.allocate, [requestedTransportUdp])).code, 401);

    const ended = participant('ctx-ended');
    exchange(ended, ended.turn.request(StunMethod.allocate, [requestedTransportUdp]));
    server.credentials.endContext('ctx-ended');
    assert.equal(exchange(ended, ended.turn.request(StunMethod.allocate, [requestedTransportUdp])).code, 401);
  });
});

describe('Refresh, lifetimes, and the end of a context', () => {
  it('Refresh extends, LIFETIME 0 deletes; 437 without an allocation; 441 for another credential', () => {
    const { server, participant, exchange, allocate } = setup();
    const p = participant();
    allocate(p);
    assert.equal(exchange(p, p.turn.request(StunMethod.refresh, [lifetimeAttr(3600)])).lifetime, 3600);
    assert.equal(exchange(p, p.turn.request(StunMethod.refresh, [lifetimeAttr(99_999)])).lifetime, 3600);
    const intruder = participant('ctx-1', 1);
    intruder.end = p.end;
    exchange(intruder, intruder.turn.request(StunMethod.refresh));
    assert.equal(exchange(intruder, intruder.turn.request(StunMethod.refresh)).code, 441);
    const released = exchange(p, p.turn.request(StunMethod.refresh, [lifetimeAttr(0)]));
    assert.equal(released.lifetime, 0);
    assert.equal(server.allocations, 0);
    assert.equal(exchange(p, p.turn.request(StunMethod.refresh)).code, 437);
  });

  it('an allocation expires after its lifetime; ending the context deletes its allocations', () => {
    const { clock, server, participant, allocate } = setup();
    allocate(participant());
    clock.advance(600_000);
    assert.equal(server.allocations, 0);
    allocate(participant('ctx-2', 0));
    allocate(participant('ctx-2', 1));
    allocate(participant('ctx-3', 0));
    server.credentials.endContext('ctx-2');
    assert.equal(server.allocations, 1);
  });
});

/** Two participants of one call with allocations and permissions for each other's relayed IP. */
function call(quotas: Partial<TurnQuotas> = {}) {
  const t = setup(quotas);
  const a = t.participant('ctx-1', 0, '203.0.113.5');
  const b = t.participant('ctx-1', 1, '192.0.2.77');
  const ra = t.allocate(a).relayed;
  const rb = t.allocate(b).relayed;
  assert.ok(ra && rb);
  assert.equal(t.permit(a, [rb]).message.cls, StunClass.success);
  assert.equal(t.permit(b, [ra]).message.cls, StunClass.success);
  return { ...t, a, b, ra, rb };
}

describe('Relaying inside one call (Send/Data indications and ChannelData)', () => {
  it('a Send indication arrives as a Data indication from the sender relayed address', () => {
    const { server, a, b, ra, rb } = call();
    server.handle(sendIndication(rb, Buffer.from('hello')), a.end);
    assert.equal(b.end.inbox.length, 1, 'relayed once');
    assert.equal(a.end.inbox.length, 0, 'nothing back to the sender');
    const got = readRelayed(b.end.take());
    assert.deepEqual(got, { peer: ra, data: Buffer.from('hello') });
  });

  it('after ChannelBind, the bound side receives ChannelData; its ChannelData reaches the other as a Data indication', () => {
    const { server, exchange, a, b, ra, rb } = call();
    const bound = exchange(b, peerRequest(b.turn, StunMethod.channelBind, [ra], [channelNumberAttr(0x4000)]));
    assert.equal(bound.message.cls, StunClass.success);
    server.handle(sendIndication(rb, Buffer.from('to-b')), a.end);
    assert.deepEqual(readRelayed(b.end.take()), { channel: 0x4000, data: Buffer.from('to-b') });
    server.handle(encodeChannelData(0x4000, Buffer.from('to-a')), b.end);
    assert.deepEqual(readRelayed(a.end.take()), { peer: rb, data: Buffer.from('to-a') });
  });

  it('ChannelBind rules: range, one peer per channel, one channel per peer', () => {
    const { exchange, b, ra } = call();
    const bind = (channel: number, peer: TransportAddress) =>
      exchange(b, peerRequest(b.turn, StunMethod.channelBind, [peer], [channelNumberAttr(channel)])).code;
    assert.equal(bind(0x3fff, ra), 400);
    assert.equal(bind(0x8000, ra), 400);
    assert.equal(bind(0x4001, ra), undefined);
    assert.equal(bind(0x4001, ra), undefined, 'a refresh of the same binding');
    assert.equal(bind(0x4002, ra), 400);
    assert.equal(bind(0x4001, { ...ra, port: ra.port + 1 }), 400);
  });

  it('nothing reaches an allocation of another session, a non-allocation, or without permission', () => {
    const { server, participant, allocate, permit, a, b, rb } = call();
    const stranger = participant('ctx-other', 0, '198.18.0.9');
    const rs = allocate(stranger).relayed;
    assert.ok(rs);
    permit(stranger, [rb]);
    permit(a, [rs, { family: 4, ip: '127.0.0.1', port: 8443 }]);
    server.handle(sendIndication(rs, Buffer.from('x')), a.end);
    server.handle(sendIndication(rb, Buffer.from('x')), stranger.end);
    server.handle(sendIndication({ family: 4, ip: '127.0.0.1', port: 8443 }, Buffer.from('x')), a.end);
    server.handle(sendIndication({ ...rb, port: rb.port + 2 }, Buffer.from('x')), a.end);
    const unknown = new MemoryClient({ family: 4, ip: '203.0.113.5', port: 1 });
    server.handle(sendIndication(rb, Buffer.from('x')), unknown);
    assert.equal(stranger.end.inbox.length + b.end.inbox.length, 0);
    // All five dropped: no client of any allocation, nor the senders, received anything.
    assert.equal(a.end.inbox.length + unknown.inbox.length, 0);
  });

  it('permissions expire after 300 s and channels after 600 s unless refreshed', () => {
    const { clock, server, exchange, a, b, ra, rb } = call();
    exchange(b, peerRequest(b.turn, StunMethod.channelBind, [ra], [channelNumberAttr(0x4000)]));
    clock.advance(299_000);
    server.handle(sendIndication(rb, Buffer.from('1')), a.end);
    assert.equal(b.end.inbox.length, 1);
    clock.advance(2000);
    server.handle(sendIndication(rb, Buffer.from('2')), a.end);
    assert.equal(b.end.inbox.length, 1, 'a permission lasts 300 s');
    server.handle(encodeChannelData(0x4000, Buffer.from('3')), b.end);
    assert.equal(a.end.inbox.length, 0, "b's permission for a is gone too");
  });

  it('caps the bytes an allocation relays per second', () => {
    const { clock, server, a, b, rb } = call({ bytesPerSecPerAllocation: 10_000 });
    for (let i = 0; i < 20; i++) server.handle(sendIndication(rb, Buffer.alloc(1000)), a.end);
    assert.equal(b.end.inbox.length, 10);
    clock.advance(500);
    for (let i = 0; i < 20; i++) server.handle(sendIndication(rb, Buffer.alloc(1000)), a.end);
    assert.equal(b.end.inbox.length, 15);
  });
});

describe('Quotas (each one a setting)', () => {
  it('allocations per credential → 486', () => {
    const { participant, allocate } = setup({ allocationsPerCredential: 2 });
    const p = participant();
    assert.equal(allocate(p).code, undefined);
    const second = participant();
    second.turn = p.turn;
    assert.equal(allocate(second).code, undefined);
    const third = participant();
    third.turn = p.turn;
    assert.equal(allocate(third).code, 486);
  });

  it('allocations per session → 486, in total → 508', () => {
    const perSession = setup({ allocationsPerSession: 2 });
    assert.equal(perSession.allocate(perSession.participant('s', 0)).code, undefined);
    assert.equal(perSession.allocate(perSession.participant('s', 1)).code, undefined);
    assert.equal(perSession.allocate(perSession.participant('s', 1)).code, 486);
    assert.equal(perSession.allocate(perSession.participant('t', 0)).code, undefined);
    const total = setup({ allocationsTotal: 2 });
    assert.equal(total.allocate(total.participant('a')).code, undefined);
    assert.equal(total.allocate(total.participant('b')).code, undefined);
    assert.equal(total.allocate(total.participant('c')).code, 508);
  });

  it('permissions and channels per allocation → 508', () => {
    const { exchange, participant, allocate, permit } = setup({
      permissionsPerAllocation: 2,
      channelsPerAllocation: 2,
    });
    const p = participant();
    allocate(p);
    const peer = (n: number): TransportAddress => ({ family: 4, ip: `192.0.2.${n}`, port: 5000 + n });
    assert.equal(permit(p, [peer(1), peer(2)]).code, undefined);
    assert.equal(permit(p, [peer(1)]).code, undefined, 'refreshing an existing permission');
    assert.equal(permit(p, [peer(3)]).code, 508);
    const bind = (channel: number, to: TransportAddress) =>
      exchange(p, peerRequest(p.turn, StunMethod.channelBind, [to], [channelNumberAttr(channel)])).code;
    assert.equal(bind(0x4000, peer(1)), undefined);
    assert.equal(bind(0x4001, { ...peer(1), port: 1 }), undefined);
    assert.equal(bind(0x4002, { ...peer(2), port: 2 }), 508);
  });

  it('rate-limits unauthenticated answers per source address', () => {
    const { server, participant } = setup({ answersPerSecPerAddress: 5 });
    const p = participant();
    for (let i = 0; i < 30; i++) server.handle(p.turn.request(StunMethod.allocate, [requestedTransportUdp]), p.end);
    assert.equal(p.end.inbox.length, 10, 'a burst of two seconds');
    const elsewhere = participant('ctx-1', 0, '192.0.2.200');
    server.handle(elsewhere.turn.request(StunMethod.binding), elsewhere.end);
    assert.equal(elsewhere.end.inbox.length, 1, 'another source has its own budget');
  });
});

describe('responses are signed with the long-term key', () => {
  it('every answer to an authenticated request carries a valid MESSAGE-INTEGRITY', () => {
    const { participant, exchange, allocate } = setup();
    const p = participant();
    allocate(p);
    const answer = exchange(p, p.turn.request(StunMethod.refresh));
    assert.equal(answer.signed, true);
    const forged = encodeStun({ method: StunMethod.refresh, cls: StunClass.request, transactionId: randomBytes(12) });
    assert.equal(exchange(p, forged).code, 401);
    assert.equal(verifyIntegrity(answer.message, randomBytes(16)), false);
  });
});
