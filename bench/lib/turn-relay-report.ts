/**
 * The TURN relay section of docs/performance.md (built-in against coturn): a table of the
 * figures with their targets and a text bar chart drawn from the same numbers, between markers
 * so a full report keeps it when a run has no TURN part.
 */
import type { TurnRelayResult } from '../parts/turn-relay.js';
import { docSection } from './doc-section.js';

export const TURN_RELAY_SECTION = docSection('turn-relay');
const BAR_WIDTH = 40;

const num = (v: number | null, digits = 2) => (v === null ? 'n/a' : v.toFixed(digits));
const met = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'yes' : '**no**');
/** a ÷ b; n/a where either is not above zero (an "added" p99 below the floor's own noise). */
const ratio = (a: number | null, b: number | null) => (a === null || b === null || a <= 0 || b <= 0 ? null : a / b);

/** One bar per target, scaled to the larger of the two. */
function bars(title: string, unit: string, values: [string, number | null][]): string[] {
  const max = Math.max(...values.map(([, v]) => v ?? 0), Number.MIN_VALUE);
  const pad = Math.max(8, ...values.map(([name]) => name.length));
  return [
    `${title} (${unit})`,
    ...values.map(([name, v]) => {
      const n = v === null || v <= 0 ? 0 : Math.max(1, Math.round((BAR_WIDTH * v) / max));
      return `  ${name.padEnd(pad)} |${'#'.repeat(n).padEnd(BAR_WIDTH)}| ${num(v, 3)}`;
    }),
  ];
}

/** The highest step of the ramp without loss (0.5 % or less), or null. */
function carried(ramp: TurnRelayResult['targets']['coturn']['ramp']): number | null {
  const ok = ramp.filter((r) => r.lossPct <= 0.5).map((r) => r.calls);
  return ok.length === 0 ? null : Math.max(...ok);
}

export function turnRelayMarkdown(r: TurnRelayResult, command: string, load: number[]): string {
  const b = r.targets['built-in'];
  const c = r.targets.coturn;
  const lossPct = (t: typeof b) => (t.sentPackets === 0 ? null : (100 * t.lostPackets) / t.sentPackets);
  const cpu = ratio(b.cpuPer1kPacketsMs, c.cpuPer1kPacketsMs);
  const p99 = ratio(b.addedP99Ms, c.addedP99Ms);
  const loaded = load[0] !== undefined && load[0] > 1.5;
  const intended = r.config.reps * r.config.calls * 2 * r.config.packetsPerSec * (r.config.windowMs / 1000);
  const sentPct = (t: typeof b) => num((100 * t.sentPackets) / intended, 0);
  const rampRow = (t: typeof b) =>
    t.ramp
      .map((s) => `${s.calls}: ${num(s.lossPct, 2)} % lost, ${num(s.cores, 2)} cores, p99 ${num(s.p99Ms)} ms`)
      .join('; ');
  const busy = r.mainBusy;
  const stall = r.config.mainStall;
  const busyRows =
    busy === null || stall === null
      ? []
      : [
          '',
          `The same built-in server with its main event loop blocked ${stall.ms} ms of every ${stall.periodMs} ms (a busy-loop preloaded into the process, bench/lib/main-stall.mjs: what a burst of signalling, a slow handler or a major collection of the main heap does), alternated with the two above:`,
          '',
          '| built-in, main loop stalled | packets lost | transit p50 / p99 (ms) | added latency p50 / p99 (ms) | target | met |',
          '| --- | --- | --- | --- | --- | --- |',
          `| ${stall.ms} ms of every ${stall.periodMs} ms | ${busy.lostPackets} of ${busy.sentPackets} (${num(lossPct(busy), 3)} %) | ${num(busy.transitP50Ms, 3)} / ${num(busy.transitP99Ms, 3)} | ${num(busy.addedP50Ms, 3)} / ${num(busy.addedP99Ms, 3)} | no loss, p99 under 2 ms | ${met(busy.addedP99Ms === null ? null : busy.lostPackets === 0 && busy.addedP99Ms < 2)} |`,
        ];
  return [
    TURN_RELAY_SECTION.begin,
    `## TURN relay: built-in against coturn (${r.config.calls} concurrent relayed calls)`,
    '',
    `Measured by \`${command}\`: ${r.config.calls} relayed calls, each two allocations of one session bound by a channel, ${num(r.config.packetsPerSec, 0)} packets/s of ${r.config.payloadBytes} bytes each way per call (about 1.5 Mbit/s), ${r.config.windowMs / 1000} s windows after ${r.config.warmupMs / 1000} s warm-up; built-in and coturn (Debian's, same machine, loopback) alternate window by window (A B, B A), ${r.config.reps} repetition(s), medians; the relay-less floor (leg to leg) is alternated in for "added" latency. CPU is the relay process's own (user + system). Load average at the end: ${load.map((v) => v.toFixed(2)).join(', ')}${loaded ? ' on 2 cores, shared with other work: absolute figures are noisy, ratios come from the same run' : ''}.`,
    '',
    '| figure | built-in | coturn | built-in ÷ coturn | target | met |',
    '| --- | --- | --- | --- | --- | --- |',
    `| CPU per 1,000 relayed packets (ms) | ${num(b.cpuPer1kPacketsMs, 3)} | ${num(c.cpuPer1kPacketsMs, 3)} | ${cpu === null ? 'n/a' : `${cpu.toFixed(2)}×`} | within 3× coturn | ${met(cpu === null ? null : cpu <= 3)} |`,
    `| packets lost at ${r.config.calls} calls | ${b.lostPackets} of ${b.sentPackets} (${num(lossPct(b), 3)} %) | ${c.lostPackets} of ${c.sentPackets} (${num(lossPct(c), 3)} %) | | none below capacity | ${met(b.lostPackets === 0)} |`,
    `| transit p50 / p99 (ms; floor ${num(r.floor.transitP50Ms, 3)} / ${num(r.floor.transitP99Ms, 3)}) | ${num(b.transitP50Ms, 3)} / ${num(b.transitP99Ms, 3)} | ${num(c.transitP50Ms, 3)} / ${num(c.transitP99Ms, 3)} | | | |`,
    `| added latency p50 / p99 (ms) | ${num(b.addedP50Ms, 3)} / ${num(b.addedP99Ms, 3)} | ${num(c.addedP50Ms, 3)} / ${num(c.addedP99Ms, 3)} | p99 ${p99 === null ? 'n/a' : `${p99.toFixed(2)}×`} | p99 under 2 ms | ${met(b.addedP99Ms === null ? null : b.addedP99Ms < 2)} |`,
    `| packets the generator sent, of those intended (%) | ${sentPct(b)} | ${sentPct(c)} | | | |`,
    `| calls one core carries (from CPU at ${r.config.calls} calls) | ${num(b.callsPerCore, 0)} | ${num(c.callsPerCore, 0)} | | | |`,
    `| ramp: most concurrent calls without loss | ${carried(b.ramp) ?? 'none'} | ${carried(c.ramp) ?? 'none'} | | | |`,
    ...busyRows,
    '',
    `Ramp, built-in: ${rampRow(b) || 'n/a'}. Ramp, coturn: ${rampRow(c) || 'n/a'}. The ramp's load generator runs on the same 2 cores, so its highest steps can be the generator's limit, not the relay's.`,
    '',
    '```',
    ...bars('CPU per 1,000 relayed packets', 'ms', [
      ['built-in', b.cpuPer1kPacketsMs],
      ['coturn', c.cpuPer1kPacketsMs],
    ]),
    ...bars(`added latency p99 at ${r.config.calls} calls`, 'ms', [
      ['built-in', b.addedP99Ms],
      ['coturn', c.addedP99Ms],
      ...(busy === null ? [] : [['built-in, main loop stalled', busy.addedP99Ms] as [string, number | null]]),
    ]),
    ...bars('calls one core carries', 'calls', [
      ['built-in', b.callsPerCore],
      ['coturn', c.callsPerCore],
    ]),
    '```',
    TURN_RELAY_SECTION.end,
  ].join('\n');
}
