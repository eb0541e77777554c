import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TURN_RELAY_SECTION, turnRelayMarkdown } from '../../bench/lib/turn-relay-report.js';
import type { TargetFigures, TurnRelayResult } from '../../bench/parts/turn-relay.js';

function figures(over: Partial<TargetFigures>): TargetFigures {
  return {
    cpuPer1kPacketsMs: 10,
    lostPackets: 0,
    sentPackets: 1000,
    transitP50Ms: 0.3,
    transitP99Ms: 1.2,
    addedP50Ms: 0.2,
    addedP99Ms: 1,
    callsPerCore: 100,
    ramp: [{ calls: 20, lossPct: 0, cores: 0.2, p99Ms: 1.2 }],
    ...over,
  };
}

const result = (
  b: Partial<TargetFigures>,
  c: Partial<TargetFigures>,
  busy: Partial<TargetFigures> | null = null,
): TurnRelayResult => ({
  config: {
    reps: 3,
    calls: 20,
    warmupMs: 1000,
    windowMs: 5000,
    ramp: [20],
    mainStall: busy === null ? null : { ms: 150, periodMs: 1000 },
    packetsPerSec: 170.5,
    payloadBytes: 1100,
  },
  floor: { transitP50Ms: 0.1, transitP99Ms: 0.2 },
  targets: { 'built-in': figures(b), coturn: figures(c) },
  mainBusy: busy === null ? null : figures(busy),
  cpuRatio: null,
});

const rowOf = (md: string, start: string) => md.split('\n').find((l) => l.startsWith(start)) ?? '';
const barOf = (md: string, after: string, name: string) => {
  const lines = md.split('\n');
  const at = lines.findIndex((l) => l.startsWith(after));
  return (lines.slice(at + 1).find((l) => l.trim().startsWith(name)) ?? '').split('|')[1] ?? '';
};

test('the TURN section: ratios and targets from the figures, bars drawn to the same scale', () => {
  const md = turnRelayMarkdown(result({ cpuPer1kPacketsMs: 40, addedP99Ms: 3 }, { cpuPer1kPacketsMs: 10 }), 'cmd', [1]);
  assert.match(rowOf(md, '| CPU per 1,000'), /\| 4\.00× \| within 3× coturn \| \*\*no\*\* \|$/);
  assert.match(rowOf(md, '| added latency'), /p99 under 2 ms \| \*\*no\*\* \|$/);
  assert.equal(barOf(md, 'CPU per 1,000', 'built-in').trim().length, 40, 'the larger value fills the bar');
  assert.equal(barOf(md, 'CPU per 1,000', 'coturn').trim().length, 10, 'a quarter of it, a quarter of the bar');
  const ok = turnRelayMarkdown(result({ cpuPer1kPacketsMs: 25 }, { cpuPer1kPacketsMs: 10 }), 'cmd', [1]);
  assert.match(rowOf(ok, '| CPU per 1,000'), /\| 2\.50× \| within 3× coturn \| yes \|$/);
  assert.match(rowOf(ok, '| packets lost'), /none below capacity \| yes \|$/);
  const lossy = turnRelayMarkdown(result({ lostPackets: 3 }, {}), 'cmd', [1]);
  assert.match(rowOf(lossy, '| packets lost'), /3 of 1000 .* \| \*\*no\*\* \|$/);
});

test('the TURN section replaces its old self between the markers, or is appended once', () => {
  const first = turnRelayMarkdown(result({}, {}), 'first', [1]);
  const second = turnRelayMarkdown(result({ cpuPer1kPacketsMs: 12 }, {}), 'second', [1]);
  const docs = TURN_RELAY_SECTION.replace('# Performance\n\nintro\n', first);
  assert.ok(docs.startsWith('# Performance\n\nintro\n\n<!-- turn-relay:begin -->'));
  const again = TURN_RELAY_SECTION.replace(`${docs}\n## After\n`, second);
  assert.equal(again.split('turn-relay:begin').length, 2, 'one section');
  assert.ok(again.includes('`second`') && !again.includes('`first`'));
  assert.ok(again.endsWith('## After\n'), 'what follows the section is kept');
});

test('the main-loop-stalled target: its own row (loss and p99 both count) and a bar, or nothing without it', () => {
  const none = turnRelayMarkdown(result({}, {}), 'cmd', [1]);
  assert.ok(!none.includes('main loop stalled'), 'no stalled row or bar without that target');
  const fine = turnRelayMarkdown(result({}, {}, { addedP99Ms: 1.5 }), 'cmd', [1]);
  assert.match(
    rowOf(fine, '| 150 ms of every 1000 ms'),
    /\| 0 of 1000 .*\| 0\.200 \/ 1\.500 \| no loss, p99 under 2 ms \| yes \|$/,
  );
  assert.equal(barOf(fine, 'added latency p99', 'built-in, main loop stalled').trim().length, 40);
  const slow = turnRelayMarkdown(result({}, {}, { addedP99Ms: 140 }), 'cmd', [1]);
  assert.match(rowOf(slow, '| 150 ms of every 1000 ms'), /\| \*\*no\*\* \|$/);
  const lossy = turnRelayMarkdown(result({}, {}, { lostPackets: 2, addedP99Ms: 1 }), 'cmd', [1]);
  assert.match(rowOf(lossy, '| 150 ms of every 1000 ms'), /2 of 1000 .*\| \*\*no\*\* \|$/);
});
