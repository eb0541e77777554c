/**
 * The proxy-cost section of docs/performance.md (HomeCall behind a TLS-terminating proxy, the
 * plain-ws floor and peerjs-server, one run): the figures side by side, the ratios and the
 * targets of issue 11, between markers so a full report keeps it when a run has no such part.
 */
import type { ProxyCostResult, ProxyFigures } from '../parts/proxy-cost.js';
import { docSection } from './doc-section.js';
import type { Spread } from './stats.js';

export const PROXY_COST_SECTION = docSection('proxy-cost');

const med = (s: Spread | null) => s?.median ?? null;
const ratio = (a: number | null, b: number | null) => (a === null || b === null || b <= 0 ? null : a / b);
const x = (r: number | null) => (r === null ? 'n/a' : `${r.toFixed(2)}×`);
const met = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'yes' : '**no**');
const cell = (s: Spread | null, digits: number, scale = 1) =>
  s === null
    ? 'n/a'
    : `${(s.median * scale).toFixed(digits)} (${(s.min * scale).toFixed(digits)}–${(s.max * scale).toFixed(digits)})`;

export interface ProxyTargetCheck {
  name: string;
  vsFloor: number | null;
  vsPeerjs: number | null;
  bound: string;
  met: boolean | null;
}

/** The targets of issue 11, from one run's medians. */
export function proxyCostChecks(r: ProxyCostResult): ProxyTargetCheck[] {
  const h = r.figures['homecall-proxy'];
  const f = r.figures['floor-ws'];
  const p = r.figures.peerjs;
  const pair = (pick: (x: ProxyFigures) => Spread | null) => {
    const hv = med(pick(h));
    return { hv, vsFloor: ratio(hv, med(pick(f))), vsPeerjs: ratio(hv, med(pick(p))) };
  };
  const both = (a: boolean | null, b: boolean | null) => (a === null || b === null ? null : a && b);
  const cpu = pair((x) => x.cpuSPer1000Calls);
  const calls = pair((x) => x.callsPerS);
  const mem = pair((x) => x.kibPerSocket);
  const p99 = pair((x) => x.p99Us);
  const below = (v: number | null, bound: number) => (v === null ? null : v <= bound);
  return [
    {
      name: 'CPU per 1,000 calls',
      vsFloor: cpu.vsFloor,
      vsPeerjs: cpu.vsPeerjs,
      bound: '≤ 1.3× floor and below peerjs-server',
      met: both(below(cpu.vsFloor, 1.3), cpu.vsPeerjs === null ? null : cpu.vsPeerjs < 1),
    },
    {
      name: 'calls/s',
      vsFloor: calls.vsFloor,
      vsPeerjs: calls.vsPeerjs,
      bound: '≥ 0.8× floor',
      met: calls.vsFloor === null ? null : calls.vsFloor >= 0.8,
    },
    {
      name: 'memory per waiting socket',
      vsFloor: mem.vsFloor,
      vsPeerjs: mem.vsPeerjs,
      bound: '≤ 1.15× floor and below peerjs-server',
      met: both(below(mem.vsFloor, 1.15), mem.vsPeerjs === null ? null : mem.vsPeerjs < 1),
    },
    {
      name: 'relay p99',
      vsFloor: p99.vsFloor,
      vsPeerjs: p99.vsPeerjs,
      bound: '≤ 1.3× floor, no frame lost',
      met: both(below(p99.vsFloor, 1.3), h.framesSent > 0 ? h.framesLost === 0 : null),
    },
  ];
}

export function proxyCostMarkdown(r: ProxyCostResult, command: string, load: number[]): string {
  const c = r.config;
  const h = r.figures['homecall-proxy'];
  const f = r.figures['floor-ws'];
  const p = r.figures.peerjs;
  const loaded = load[0] !== undefined && load[0] > 1.5;
  const checks = proxyCostChecks(r);
  const row = (name: string, pick: (x: ProxyFigures) => string) => `| ${name} | ${pick(h)} | ${pick(f)} | ${pick(p)} |`;
  const lost = (x: ProxyFigures) =>
    `${x.framesLost} of ${x.framesSent}${x.outOfOrder > 0 ? `, ${x.outOfOrder} out of order` : ''}`;
  return [
    PROXY_COST_SECTION.begin,
    '## Behind a TLS-terminating proxy: HomeCall, the plain-ws floor and peerjs-server',
    '',
    `Measured by \`${command}\`: plain ws on loopback, as behind nginx (README recipe B): HomeCall with \`--trust-proxy\` (and the load flags above), \`bench/floor-relay.ts --plain\` and peerjs-server 1.0.2 (\`bench/peerjs-server.ts\`: its CLI's settings, its concurrent-client limit raised). The generator sends what nginx passes on (Host, Origin, \`X-Forwarded-Proto: https\`, \`X-Forwarded-For\`) to all three and speaks peerjs's own protocol to peerjs-server (OPEN, OFFER, ANSWER, CANDIDATE, LEAVE, a HEARTBEAT every 5 s). ${c.reps} repetition(s), in the order ${r.order.map((o) => o.map((t) => t.replace('homecall-proxy', 'H').replace('floor-ws', 'F').replace('peerjs', 'P')).join(' ')).join(', ')} (H HomeCall, F floor, P peerjs-server) for each figure; a fresh server for every measurement; median (min–max). Calls: c=${c.concurrency}, ${c.windowMs / 1000} s windows after ${c.warmupMs / 1000} s warm-up; memory: RSS growth ÷ ${c.waiting.toLocaleString('en-US')} waiting sockets; relay: ${c.latency.idlePairs.toLocaleString('en-US')} idle + ${c.latency.activePairs} active pairs, ${c.latency.framesPerSec.toLocaleString('en-US')} frames/s in all, ${c.latency.durationMs / 1000} s. Load average at the end: ${load.map((v) => v.toFixed(2)).join(', ')}${loaded ? ' on 2 cores, shared with other work: absolute figures are noisy, the ratios come from the same run' : ''}.`,
    '',
    '| figure | HomeCall (trust-proxy) | floor (plain ws) | peerjs-server 1.0.2 |',
    '| --- | --- | --- | --- |',
    row('server CPU-s per 1,000 full calls', (x) => cell(x.cpuSPer1000Calls, 2)),
    row('calls/s', (x) => cell(x.callsPerS, 0)),
    row('KiB per waiting socket', (x) => cell(x.kibPerSocket, 1)),
    row('relay p50 (µs)', (x) => cell(x.p50Us, 0)),
    row('relay p99 (ms)', (x) => cell(x.p99Us, 2, 1 / 1000)),
    row('frames lost', lost),
    row('calls failed / waiting sockets not held', (x) => `${x.failedCalls} / ${x.failedSockets}`),
    '',
    '| target | HomeCall ÷ floor | HomeCall ÷ peerjs-server | bound | met |',
    '| --- | --- | --- | --- | --- |',
    ...checks.map((k) => `| ${k.name} | ${x(k.vsFloor)} | ${x(k.vsPeerjs)} | ${k.bound} | ${met(k.met)} |`),
    PROXY_COST_SECTION.end,
  ].join('\n');
}
