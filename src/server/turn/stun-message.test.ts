import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeChannelData, encodeChannelData, frameStream } from './channel-data.js';
import { bytesToIp, decodeAddress, encodeAddress, ipToBytes } from './stun-address.js';
import {
  checkFingerprint,
  decodeStun,
  encodeStun,
  errorCodeValue,
  getAttribute,
  longTermKey,
  verifyIntegrity,
} from './stun-message.js';
import { StunAttr, StunClass, StunError, StunMethod } from './stun-protocol.js';
import { decodeErrorCode } from './testing/turn-test-client.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

// RFC 5769 ("Test Vectors for STUN"), typed in from the RFC's text.
const SHORT_TERM_PASSWORD = Buffer.from('VOkJxbRl1RmTxUk/WvJxBt');
const SAMPLE_TID = hex('b7 e7 a7 01 bc 34 d6 86 fa 87 df ae');
/** §2.1 Sample Request. */
const SAMPLE_REQUEST = hex(`
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf`);
/** §2.2 Sample IPv4 Response. */
const SAMPLE_IPV4_RESPONSE = hex(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96`);
/** §2.3 Sample IPv6 Response. */
const SAMPLE_IPV6_RESPONSE = hex(`
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
  80 28 00 04 c8 fb 0b 4c`);
/** §2.4 Sample Request with Long-Term Authentication. */
const LONG_TERM_REQUEST = hex(`
  00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
  00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
  00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
  00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
  00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66`);

describe('STUN codec: RFC 5769 test vectors', () => {
  it('§2.1 sample request: attributes, MESSAGE-INTEGRITY and FINGERPRINT', () => {
    const m = decodeStun(SAMPLE_REQUEST);
    assert.ok(m);
    assert.equal(m.method, StunMethod.binding);
    assert.equal(m.cls, StunClass.request);
    assert.deepEqual(m.transactionId, SAMPLE_TID);
    assert.equal(getAttribute(m, StunAttr.SOFTWARE)?.toString(), 'STUN test client');
    assert.equal(getAttribute(m, StunAttr.USERNAME)?.toString(), 'evtj:h6vY');
    assert.deepEqual(getAttribute(m, StunAttr.PRIORITY), hex('6e 00 01 ff'));
    assert.equal(verifyIntegrity(m, SHORT_TERM_PASSWORD), true);
    assert.equal(verifyIntegrity(m, Buffer.from('VOkJxbRl1RmTxUk/WvJxBT')), false);
    assert.equal(checkFingerprint(m), 'valid');
  });

  it('§2.2 IPv4 response: XOR-MAPPED-ADDRESS 192.0.2.1:32853, integrity, fingerprint', () => {
    const m = decodeStun(SAMPLE_IPV4_RESPONSE);
    assert.ok(m);
    assert.equal(m.cls, StunClass.success);
    const value = getAttribute(m, StunAttr.XOR_MAPPED_ADDRESS);
    assert.ok(value);
    const mapped = { family: 4, ip: '192.0.2.1', port: 32853 } as const;
    assert.deepEqual(decodeAddress(value, m.transactionId), mapped);
    assert.deepEqual(encodeAddress(mapped, SAMPLE_TID), value);
    assert.equal(verifyIntegrity(m, SHORT_TERM_PASSWORD), true);
    assert.equal(checkFingerprint(m), 'valid');
  });

  it('§2.3 IPv6 response: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853', () => {
    const m = decodeStun(SAMPLE_IPV6_RESPONSE);
    assert.ok(m);
    const value = getAttribute(m, StunAttr.XOR_MAPPED_ADDRESS);
    assert.ok(value);
    const mapped = { family: 6, ip: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 } as const;
    assert.deepEqual(decodeAddress(value, m.transactionId), mapped);
    assert.deepEqual(encodeAddress(mapped, SAMPLE_TID), value);
    assert.equal(verifyIntegrity(m, SHORT_TERM_PASSWORD), true);
    assert.equal(checkFingerprint(m), 'valid');
  });

  it('§2.4 long-term credentials: key MD5(user:realm:pass), integrity, and a byte-exact re-encode', () => {
    const m = decodeStun(LONG_TERM_REQUEST);
    assert.ok(m);
    const username = getAttribute(m, StunAttr.USERNAME)?.toString('utf8');
    assert.equal(username, '\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9');
    assert.equal(getAttribute(m, StunAttr.NONCE)?.toString(), 'f//499k954d6OL34oL9FSTvy64sA');
    assert.equal(getAttribute(m, StunAttr.REALM)?.toString(), 'example.org');
    assert.equal(checkFingerprint(m), 'absent');
    // The RFC's password "TheM\u00AAtr\u2168" is "TheMatrIX" after SASLprep.
    const key = longTermKey(username ?? '', 'example.org', 'TheMatrIX');
    assert.equal(verifyIntegrity(m, key), true);
    assert.equal(verifyIntegrity(m, longTermKey(username ?? '', 'example.org', 'thematrix')), false);
    const again = encodeStun(
      {
        method: StunMethod.binding,
        cls: StunClass.request,
        transactionId: m.transactionId,
        attributes: [
          { type: StunAttr.USERNAME, value: username ?? '' },
          { type: StunAttr.NONCE, value: 'f//499k954d6OL34oL9FSTvy64sA' },
          { type: StunAttr.REALM, value: 'example.org' },
        ],
      },
      { integrityKey: key },
    );
    assert.deepEqual(again, LONG_TERM_REQUEST);
  });
});

describe('STUN codec: encode, integrity and fingerprint', () => {
  it('round-trips every TURN method and class, with integrity and fingerprint that catch a flipped bit', () => {
    const cases: Array<[number, (typeof StunClass)[keyof typeof StunClass], number]> = [
      [StunMethod.allocate, StunClass.request, 0x0003],
      [StunMethod.allocate, StunClass.success, 0x0103],
      [StunMethod.allocate, StunClass.error, 0x0113],
      [StunMethod.send, StunClass.indication, 0x0016],
      [StunMethod.data, StunClass.indication, 0x0017],
      [StunMethod.channelBind, StunClass.request, 0x0009],
      [StunMethod.createPermission, StunClass.success, 0x0108],
    ];
    for (const [method, cls, type] of cases) {
      const transactionId = randomBytes(12);
      const key = randomBytes(16);
      const bytes = encodeStun(
        { method, cls, transactionId, attributes: [{ type: StunAttr.DATA, value: Buffer.from('abcde') }] },
        { integrityKey: key, fingerprint: true },
      );
      assert.equal(bytes.readUInt16BE(0), type);
      const m = decodeStun(bytes);
      assert.ok(m);
      assert.equal(m.method, method);
      assert.equal(m.cls, cls);
      assert.equal(getAttribute(m, StunAttr.DATA)?.toString(), 'abcde');
      assert.equal(verifyIntegrity(m, key), true);
      assert.equal(checkFingerprint(m), 'valid');
      const flipped = Buffer.from(bytes);
      flipped[25] = (flipped[25] ?? 0) ^ 1;
      const f = decodeStun(flipped);
      assert.ok(f);
      assert.equal(verifyIntegrity(f, key), false);
      assert.equal(checkFingerprint(f), 'invalid');
    }
  });

  it('ignores attributes after MESSAGE-INTEGRITY but still sees FINGERPRINT', () => {
    const key = Buffer.from('k');
    const signed = encodeStun(
      { method: StunMethod.refresh, cls: StunClass.request, transactionId: randomBytes(12) },
      { integrityKey: key },
    );
    const extra = hex('00 13 00 04 01 02 03 04');
    const tampered = Buffer.concat([signed, extra]);
    tampered.writeUInt16BE(tampered.length - 20, 2);
    const m = decodeStun(tampered);
    assert.ok(m);
    assert.equal(getAttribute(m, StunAttr.DATA), undefined);
    assert.equal(verifyIntegrity(m, key), true);
  });

  it('rejects malformed framing without throwing', () => {
    const good = encodeStun({
      method: StunMethod.binding,
      cls: StunClass.request,
      transactionId: randomBytes(12),
      attributes: [{ type: StunAttr.SOFTWARE, value: 'abc' }],
    });
    const mutate = (f: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      f(b);
      return b;
    };
    assert.ok(decodeStun(good));
    assert.equal(decodeStun(good.subarray(0, 19)), null);
    assert.equal(decodeStun(good.subarray(0, good.length - 4)), null);
    assert.equal(decodeStun(Buffer.concat([good, Buffer.alloc(4)])), null);
    assert.equal(decodeStun(mutate((b) => (b[0] = 0x80))), null);
    assert.equal(decodeStun(mutate((b) => (b[4] = 0))), null);
    assert.equal(decodeStun(mutate((b) => b.writeUInt16BE(9, 22))), null);
    assert.equal(decodeStun(mutate((b) => b.writeUInt16BE(2, 2))), null);
  });

  it('ERROR-CODE carries class and number; malformed values are refused', () => {
    assert.deepEqual(decodeErrorCode(errorCodeValue(StunError.staleNonce)), { code: 438, reason: 'Stale Nonce' });
    assert.deepEqual(decodeErrorCode(errorCodeValue(StunError.insufficientCapacity))?.code, 508);
    assert.equal(decodeErrorCode(hex('00 00 02 00')), null);
    assert.equal(decodeErrorCode(hex('00 00 04')), null);
  });
});

describe('STUN codec: addresses and ChannelData', () => {
  it('addresses round-trip in plain and XOR forms, IPv4 and IPv6', () => {
    const tid = randomBytes(12);
    for (const a of [
      { family: 4, ip: '203.0.113.7', port: 1 },
      { family: 6, ip: '2001:db8::1', port: 65535 },
      { family: 6, ip: '::', port: 3478 },
      { family: 6, ip: '::ffff:192.0.2.9', port: 9 },
      { family: 6, ip: 'fe80::1:2:3:4', port: 7 },
    ] as const) {
      assert.deepEqual(decodeAddress(encodeAddress(a)), a);
      assert.deepEqual(decodeAddress(encodeAddress(a, tid), tid), a);
    }
    assert.equal(
      bytesToIp(ipToBytes('2001:0DB8:0000:0000:0001:0000:0000:0001') ?? Buffer.alloc(0)),
      '2001:db8::1:0:0:1',
    );
    assert.equal(bytesToIp(ipToBytes('1:0:2:0:3:0:4:0') ?? Buffer.alloc(0)), '1:0:2:0:3:0:4:0');
    assert.equal(ipToBytes('not-an-ip'), null);
    assert.throws(() => encodeAddress({ family: 4, ip: '::1', port: 1 }), TypeError);
    assert.equal(decodeAddress(hex('00 03 00 00 01 02 03 04')), null);
    assert.equal(decodeAddress(hex('00 01 00 00 01 02 03')), null);
  });

  it('ChannelData: 0x4000-0x7FFF, padding only over streams, and stream framing', () => {
    const plain = encodeChannelData(0x4001, Buffer.from('hello'));
    assert.equal(plain.length, 9);
    assert.deepEqual(decodeChannelData(plain), { channel: 0x4001, data: Buffer.from('hello') });
    const padded = encodeChannelData(0x4fff, Buffer.from('hello'), { pad: true });
    assert.equal(padded.length, 12);
    assert.equal(decodeChannelData(padded)?.data.toString(), 'hello');
    assert.equal(decodeChannelData(plain.subarray(0, 8)), null);
    assert.equal(decodeChannelData(hex('80 00 00 00')), null);
    assert.throws(() => encodeChannelData(0x3fff, Buffer.alloc(1)), RangeError);

    const stun = encodeStun({ method: StunMethod.refresh, cls: StunClass.request, transactionId: randomBytes(12) });
    const stream = Buffer.concat([padded, stun, encodeChannelData(0x4002, Buffer.alloc(0)), stun.subarray(0, 10)]);
    const framed = frameStream(stream);
    assert.equal(framed.error, undefined);
    assert.deepEqual(
      framed.messages.map((m) => m.length),
      [12, stun.length, 4],
    );
    assert.deepEqual(framed.rest, stun.subarray(0, 10));
    assert.equal(frameStream(hex('80 00 00 00')).error, 'not-stun-or-channeldata');
    assert.equal(frameStream(hex('00 01 00 02 21 12 a4 42')).error, 'bad-stun-length');
    assert.equal(frameStream(hex('00 01 00 00 01 02 03 04')).error, 'bad-magic-cookie');
  });
});
