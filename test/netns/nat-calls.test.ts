import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { expectMediaFlowing } from '../e2e/helpers/browser.js';
import { createTopology } from '../helpers/netns.js';
import { home, prepareNatTests, RECOVERY_TIMEOUT_MS, SCENARIO, scenario, withCoturn } from './helpers/call.js';
import { describePair, type SelectedPair, selectedPair, waitForNewPathWithMedia } from './helpers/ice-stats.js';

// Two homes behind real NATs (network namespaces, nftables), the server on a public TEST-NET
// address, one Chromium in each home, the app itself on `/?session=<uuid>` with fake media.
// Each scenario proves media flows both ways (decoded frames) and which path ICE selected.

before(prepareNatTests);

/** Bounds the wait for ICE to settle on its best pair (it only bounds the wait). */
const PAIR_SETTLE_MS = 30_000;

/** The selected pair once `settled` holds for it, or the last one seen when the time is up. */
async function settledPair(
  page: Page,
  settled: (p: SelectedPair | null) => boolean,
  timeoutMs: number,
): Promise<SelectedPair | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pair = await selectedPair(page);
    if (settled(pair) || Date.now() > deadline) return pair;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('calls between two homes behind NATs', () => {
  test(
    '1: symmetric NATs on both sides: the call connects out of the box through the built-in relay',
    SCENARIO,
    async () => {
      const s = scenario(createTopology({ homes: [home('a', 'symmetric'), home('b', 'symmetric')] }));
      try {
        const url = await s.startHomecall();
        const [a, b] = await s.call(url, ['a', 'b']);
        await Promise.all([expectMediaFlowing(a), expectMediaFlowing(b)]);
        for (const page of [a, b]) {
          // The built-in server relays only between allocations of one call: relay on both ends.
          // On a loaded machine the TURN-over-TCP pair may answer its checks first; Chromium then
          // moves to the better UDP pair once that one works, so the wait is for that (bounded).
          const pair = await settledPair(page, (p) => p?.local.relayProtocol === 'udp', PAIR_SETTLE_MS);
          assert.equal(pair?.local.candidateType, 'relay', describePair(pair));
          assert.equal(pair?.local.relayProtocol, 'udp', describePair(pair));
          assert.match(pair?.local.url ?? '', /^turn:198\.51\.100\.1:3478\b/, describePair(pair));
          assert.equal(pair?.remote.candidateType, 'relay', describePair(pair));
        }
      } finally {
        await s.close();
      }
    },
  );

  test('2: port-preserving NATs: the call connects directly (server-reflexive pair, no relay)', SCENARIO, async () => {
    const s = scenario(createTopology({ homes: [home('a', 'cone'), home('b', 'cone')] }));
    try {
      const url = await s.startHomecall();
      const [a, b] = await s.call(url, ['a', 'b']);
      await Promise.all([expectMediaFlowing(a), expectMediaFlowing(b)]);
      for (const page of [a, b]) {
        const pair = await selectedPair(page);
        assert.match(pair?.local.candidateType ?? '', /^(srflx|prflx)$/, describePair(pair));
        assert.match(pair?.remote.candidateType ?? '', /^(srflx|prflx)$/, describePair(pair));
        // Straight between the two homes' public addresses, not via the server.
        assert.notEqual(pair?.remote.address, s.topology.publicIp, describePair(pair));
      }
    } finally {
      await s.close();
    }
  });

  test("4: deploy/coturn's recipe: two symmetric NATs connect through coturn's relay", SCENARIO, async () => {
    const s = scenario(
      createTopology({
        homes: [
          { name: 'a', nat: 'symmetric' },
          { name: 'b', nat: 'symmetric' },
        ],
      }),
    );
    try {
      const { url, coturnLog } = await withCoturn(s);
      const [a, b] = await s.call(url, ['a', 'b']);
      await Promise.all([expectMediaFlowing(a), expectMediaFlowing(b)]);
      for (const page of [a, b]) {
        // coturn relays for anyone it has a permission for, so one side may reach the other's
        // relayed address from its own NAT mapping (prflx -> relay): still through coturn.
        const pair = await selectedPair(page);
        const relay = [pair?.local, pair?.remote].find((c) => c?.candidateType === 'relay');
        assert.ok(relay, `no relay in the selected pair: ${describePair(pair)}`);
        // coturn's relayed addresses: its relay-ip and a port from its relay range.
        assert.equal(relay.address, s.topology.publicIp, describePair(pair));
        assert.ok(relay.port >= 49152, describePair(pair));
      }
      // coturn itself saw both browsers allocate with the credentials HomeCall minted.
      const allocations = coturnLog().match(/ALLOCATE processed, success/g) ?? [];
      assert.ok(allocations.length >= 2, `coturn log:\n${coturnLog()}`);
    } finally {
      await s.close();
    }
  });

  test(
    "5: mid-call, one home's public address changes: media comes back by itself on a new path",
    SCENARIO,
    async () => {
      const s = scenario(
        createTopology({
          homes: [
            { name: 'a', nat: 'symmetric' },
            { name: 'b', nat: 'symmetric' },
          ],
        }),
      );
      try {
        const { url } = await withCoturn(s);
        const [a, b] = await s.call(url, ['a', 'b']);
        await Promise.all([expectMediaFlowing(a), expectMediaFlowing(b)]);
        const before = [await selectedPair(a), await selectedPair(b)];
        const movedAt = Date.now();
        s.topology.moveHome('b');
        const ms = await waitForNewPathWithMedia([a, b], before, movedAt, RECOVERY_TIMEOUT_MS);
        console.log(`media back both ways ${ms} ms after the address change: ${describePair(await selectedPair(b))}`);
        await Promise.all([expectMediaFlowing(a), expectMediaFlowing(b)]);
      } finally {
        await s.close();
      }
    },
  );
});
