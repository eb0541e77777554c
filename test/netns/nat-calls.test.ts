import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { expectMediaFlowing } from '../e2e/helpers/browser.js';
import { ensureWebBuild, REPO } from '../e2e/helpers/server.js';
import { tlsFiles } from '../helpers/tls.js';
import { cleanupLeftovers, createTopology, requireNetns } from '../helpers/netns.js';
import { type Scenario, scenario } from './helpers/call.js';
import { concreteRecipe, readCoturnRecipe } from './helpers/coturn-recipe.js';
import { describePair, selectedPair, waitForNewPathWithMedia } from './helpers/ice-stats.js';

// Two homes behind real NATs (network namespaces, nftables), the server on a public TEST-NET
// address, one Chromium in each home, the app itself on `/?session=<uuid>` with fake media.
// Each scenario proves media flows both ways (decoded frames) and which path ICE selected.

before(() => {
  requireNetns();
  cleanupLeftovers();
  ensureWebBuild();
});

/** Bounds the wait for a call to come back after a network change; the time itself is the benchmark's. */
const RECOVERY_TIMEOUT_MS = 60_000;

/** coturn per the README's recipe, and HomeCall pointed at it; both in the public namespace. */
async function withCoturn(s: Scenario): Promise<{ url: string; coturnLog: () => string }> {
  const tls = await tlsFiles();
  const recipe = concreteRecipe(readCoturnRecipe(REPO), {
    secret: randomBytes(32).toString('hex'),
    ip: s.topology.publicIp,
    certFile: tls.certPath,
    keyFile: tls.keyPath,
  });
  const coturn = await s.startCoturn(recipe.config);
  return { url: await s.startHomecall({ env: recipe.env }), coturnLog: coturn.log };
}

describe('calls between two homes behind NATs', { timeout: 120_000 }, () => {
  test("4: the README's coturn recipe: two symmetric NATs connect through coturn's relay", async () => {
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

  test("5: mid-call, one home's public address changes: media comes back by itself on a new path", async () => {
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
  });
});
