import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { expectMediaFlowing } from '../e2e/helpers/browser.js';
import { cleanupLeftovers, createTopology } from '../helpers/netns.js';
import { HTTPS_PORT, home, prepareNatTests, SCENARIO, scenario } from './helpers/call.js';
import { describePair, selectedPair } from './helpers/ice-stats.js';

// Scenario 3 of the NAT tests (nat-calls.test.ts has the others): a network that lets only TCP
// out. Its own file (and namespace prefix), so the runner can run it beside the others.

const PREFIX = 'hct-';

before(() => {
  prepareNatTests();
  cleanupLeftovers(PREFIX);
});

test(
  '3: one home drops all outgoing UDP: the call connects through TURN over TCP/TLS on the HTTPS port',
  SCENARIO,
  async () => {
    const s = scenario(
      createTopology({
        prefix: PREFIX,
        homes: [{ ...home('a', 'symmetric'), blockUdp: true }, home('b', 'symmetric')],
      }),
    );
    try {
      const url = await s.startHomecall();
      const [a, b] = await s.call(url, ['a', 'b']);
      await Promise.all([expectMediaFlowing(a), expectMediaFlowing(b)]);
      // Home a reaches the relay only over TCP (plain or TLS) to the port that served the page.
      const pa = await selectedPair(a);
      console.log(`home a (no UDP): ${describePair(pa)}`);
      assert.equal(pa?.local.candidateType, 'relay', describePair(pa));
      assert.match(pa?.local.relayProtocol ?? '', /^(tcp|tls)$/, describePair(pa));
      assert.match(pa?.local.url ?? '', new RegExp(`^turns?:198\\.51\\.100\\.1:${HTTPS_PORT}\\b`), describePair(pa));
      // Home b, with UDP, talks to a's relayed address: the built-in server switched them.
      const pb = await selectedPair(b);
      assert.equal(pb?.remote.candidateType, 'relay', describePair(pb));
      assert.equal(pb?.local.candidateType, 'relay', describePair(pb));
    } finally {
      await s.close();
    }
  },
);
