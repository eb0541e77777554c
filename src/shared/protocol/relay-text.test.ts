import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { answerFrame, candidateFrame, offerFrame } from './frames.js';
import { relayText } from './relay-text.js';

const ID = '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
/** Any UTF-16 string, lone surrogates, quotes, backslashes and control characters included. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u2028', '\ud800', '\udc00', 'a'),
  }),
);

describe('relayText is JSON.stringify of the rebuilt frame (protocol.md: frames are UTF-8 JSON)', () => {
  test('candidate frames, every optional field present, null or absent', () => {
    fc.assert(
      fc.property(
        anyText,
        fc.option(anyText),
        fc.option(fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constant(-0))),
        fc.option(anyText),
        (candidate, sdpMid, sdpMLineIndex, usernameFragment) => {
          const frame = candidateFrame(ID, { candidate, sdpMid, sdpMLineIndex, usernameFragment });
          assert.equal(relayText(frame), JSON.stringify(frame));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  test('the end-of-candidates marker and a browser candidate', () => {
    for (const frame of [
      candidateFrame(ID, { candidate: '' }),
      candidateFrame(ID, {
        candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host',
        sdpMid: '0',
        sdpMLineIndex: 0,
      }),
    ]) {
      assert.equal(relayText(frame), JSON.stringify(frame));
    }
  });

  test('offers and answers', () => {
    fc.assert(
      fc.property(anyText, (sdp) => {
        assert.equal(relayText(offerFrame(ID, sdp)), JSON.stringify(offerFrame(ID, sdp)));
        assert.equal(relayText(answerFrame(ID, sdp)), JSON.stringify(answerFrame(ID, sdp)));
      }),
    );
  });
});
