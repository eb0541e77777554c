/**
 * The network-change part of the TURN benchmark: two homes behind symmetric NATs (network
 * namespaces), one Chromium in each, a call through HomeCall's built-in relay; then one home's
 * public address changes and we time how long until video decodes again both ways, on a new
 * path. Needs root (namespaces), like the NAT tests it shares its helpers with.
 */
import { createTopology, requireNetns, cleanupLeftovers } from '../../test/helpers/netns.js';
import { home, scenario } from '../../test/netns/helpers/call.js';
import { selectedPair, waitForNewPathWithMedia } from '../../test/netns/helpers/ice-stats.js';
import { expectMediaFlowing } from '../../test/e2e/helpers/browser.js';
import { spread } from '../lib/stats.js';

/** A run that has not recovered by then counts as failed (and is reported as such). */
const RECOVERY_TIMEOUT_MS = 60_000;

export interface RecoveryResult {
  runs: number;
  /** Milliseconds from the address change to media both ways, per run (null: not within 60 s). */
  recoveryMs: (number | null)[];
  medianMs: number | null;
}

export async function runRecovery(runs: number, log = console.log): Promise<RecoveryResult> {
  requireNetns();
  cleanupLeftovers();
  const s = scenario(createTopology({ homes: [home('a', 'symmetric'), home('b', 'symmetric')] }));
  const recoveryMs: (number | null)[] = [];
  try {
    const url = await s.startHomecall();
    for (let i = 0; i < runs; i++) {
      const [a, b] = await s.call(url, ['a', 'b']);
      try {
        await Promise.all([expectMediaFlowing(a), expectMediaFlowing(b)]);
        const before = [await selectedPair(a), await selectedPair(b)];
        const movedAt = Date.now();
        s.topology.moveHome('b');
        const ms = await waitForNewPathWithMedia([a, b], before, movedAt, RECOVERY_TIMEOUT_MS).catch(() => null);
        recoveryMs.push(ms);
        log(`  turn recovery run ${i + 1}: ${ms === null ? 'not recovered' : `${ms} ms`}`);
      } finally {
        for (const page of [a, b]) await page.context().browser()?.close();
      }
    }
  } finally {
    await s.close();
  }
  return { runs, recoveryMs, medianMs: spread(recoveryMs)?.median ?? null };
}
