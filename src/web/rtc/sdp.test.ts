import assert from 'node:assert/strict';
import { test } from 'node:test';
import { candidateKey, sdpFingerprint } from './sdp.js';

test('the fingerprint identifies a peer connection', () => {
  const sdp =
    'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=fingerprint:sha-256 AB:cd:01\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n';
  assert.equal(sdpFingerprint(sdp), 'AB:CD:01');
  assert.equal(sdpFingerprint('v=0\r\n'), null);
});

test('a replayed candidate has the same key; another generation does not', () => {
  const c = {
    candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host',
    sdpMid: '0',
    sdpMLineIndex: 0,
    usernameFragment: 'abc',
  };
  assert.equal(candidateKey({ ...c }), candidateKey(c));
  assert.notEqual(candidateKey({ ...c, usernameFragment: 'def' }), candidateKey(c));
});
