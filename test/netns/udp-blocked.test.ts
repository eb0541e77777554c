import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { expectMediaFlowing } from '../e2e/helpers/browser.js';
import { createTopology } from '../helpers/netns.js';
import { HTTPS_PORT, home, prepareNatTests, SCENARIO, scenario } from './helpers/call.js';
import { describePair, selectedPair } from './helpers/ice-stats.js';

// Scenario 3 of the NAT tests (nat-calls.test.ts has the others): a network that lets only
// TCP out. Its own file, so it runs beside the others.

before(prepareNatTests);

test(
  '3: one home drops all outgoing UDP: the call connects through TURN over TCP/TLS on the HTTPS port',
  SCENARIO,
  async () => {
    const s = scenario(
      createTopology({ homes: [{ ...home('a', 'symmetric'), blockUdp: true }, home('b', 'symmetric')] }),
    );
    try {
      const url = await s.startHomecall();
      const [a, b] = await s.call(url, ['a', 'b']);
      await Promise.all([expectMediaFlowing(a), expectMediaFlowing(b)]);
      const pair = await selectedPair(a);
      assert.equal(pair?.local.candidateType, 'relay', describePair(pair));
      assert.match(pair?.local.relayProtocol ?? '', /^(tcp|tls)$/, describePair(pair));
      assert.match(
        pair?.local.url ?? '',
        new RegExp(`^turns?:198\\.51\\.100\\.1:${HTTPS_PORT}\\b`),
        describePair(pair),
      );
    } finally {
      await s.close();
    }
  },
);
