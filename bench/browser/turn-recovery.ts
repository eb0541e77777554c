/**
 * The network-change part of the TURN benchmark: two homes behind symmetric NATs (network
 * namespaces), one Chromium in each, a call through HomeCall's built-in relay; then one home's
 * public address changes and we time how long until video decodes again both ways, on a new
 * path. Needs root (namespaces), like the NAT tests it shares its helpers with.
 *
 *   node --import tsx bench/browser/turn-recovery.ts --runs 5    prints the result as one JSON line
 *
 * `npm run bench` runs it so, as a child process (its helpers are browser-test code).
 */
import { createTopology, requireNetns, cleanupLeftovers } from '../../test/helpers/netns.js';
import { home, scenario } from '../../test/netns/helpers/call.js';
import { selectedPair, waitForNewPathWithMedia } from '../../test/netns/helpers/ice-stats.js';
import { expectMediaFlowing } from '../../test/e2e/helpers/browser.js';
import { parseArgs } from 'node:util';
import { spread } from '../lib/stats.js';

/** This benchmark's own namespace prefix, apart from the NAT tests'. */
const PREFIX = 'hct-';
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
  cleanupLeftovers(PREFIX);
  const s = scenario(createTopology({ prefix: PREFIX, homes: [home('a', 'symmetric'), home('b', 'symmetric')] }));
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
  // Progress on stderr; the result alone on stdout.
  const result = await runRecovery(Number(values.runs), (m) => process.stderr.write(`${m}\n`));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
