// The proxy-cost part of the benchmark (`--parts proxy`) at tiny sizes, so CI proves it runs:
// HomeCall behind --trust-proxy, the plain-ws floor and peerjs-server each yield every figure,
// every call and waiting socket succeeds and no frame is lost. No assertion on any timing or
// ratio (the benchmark measures those; tests do not).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PROXY_COST_SECTION, proxyCostChecks, proxyCostMarkdown } from '../../bench/lib/proxy-cost-report.js';
import type { ProxyCostResult } from '../../bench/parts/proxy-cost.js';

const repoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGETS = ['homecall-proxy', 'floor-ws', 'peerjs'] as const;

test('npm run bench -- --smoke --parts proxy measures all three servers', { timeout: 240_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'homecall-proxy-smoke-'));
  try {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--smoke', '--parts', 'proxy', '--out', out],
      { cwd: repoDir, encoding: 'utf8', timeout: 230_000 },
    );
    assert.equal(r.status, 0, `bench exited with ${r.status}\n${r.stdout}\n${r.stderr}`);
    const files = readdirSync(out).filter((f) => f.endsWith('-smoke.json'));
    assert.equal(files.length, 1, 'one results file');
    const res = JSON.parse(readFileSync(join(out, files[0]!), 'utf8'));
    assert.equal(res.meta.unavailable.proxyCost, undefined, 'the part ran');
    const pc = res.proxyCost as ProxyCostResult;
    assert.ok(pc !== null, 'proxy-cost results in the file');
    assert.deepEqual(pc.order[0], [...TARGETS], 'the first repetition runs A B C');

    for (const t of TARGETS) {
      // Behind the proxy every server is reached in plain ws: not one socket over TLS.
      assert.equal(pc.transports[t].wss, undefined, `${t}: no socket over wss: ${JSON.stringify(pc.transports[t])}`);
      assert.ok((pc.transports[t].ws ?? 0) > 0, `${t}: sockets over plain ws: ${JSON.stringify(pc.transports[t])}`);
      const f = pc.figures[t];
      assert.ok(f.cpuSPer1000Calls !== null && f.cpuSPer1000Calls.median >= 0, `${t}: CPU per 1,000 calls`);
      assert.ok(f.callsPerS !== null && f.callsPerS.median > 0, `${t}: calls completed`);
      assert.equal(f.failedCalls, 0, `${t}: no call failed: ${JSON.stringify(pc.calls.find((c) => c.target === t))}`);
      assert.ok(f.kibPerSocket !== null && Number.isFinite(f.kibPerSocket.median), `${t}: memory per socket`);
      assert.equal(f.failedSockets, 0, `${t}: every waiting socket opened and stayed open`);
      assert.ok(f.p50Us !== null && f.p99Us !== null, `${t}: relay latency sampled`);
      assert.ok(f.framesSent > 0, `${t}: frames were relayed`);
      assert.equal(f.framesLost, 0, `${t}: no frame lost`);
      assert.equal(f.outOfOrder, 0, `${t}: frames arrive in order`);
      for (const l of pc.latency.filter((x) => x.target === t))
        assert.deepEqual(l.errors, {}, `${t}: the generator saw no unexpected frame or socket error`);
    }

    // The section renders every server and every target row, between its markers.
    const md = proxyCostMarkdown(pc, 'test', [0, 0, 0]);
    assert.ok(md.startsWith(PROXY_COST_SECTION.begin) && md.endsWith(PROXY_COST_SECTION.end));
    assert.match(md, /peerjs-server 1\.0\.2/);
    // At 100 sockets an RSS delta can be at or below zero (the ratio is then n/a), so only the
    // rows are checked here, not their values.
    assert.deepEqual(
      proxyCostChecks(pc).map((k) => k.name),
      ['CPU per 1,000 calls', 'calls/s', 'memory per waiting socket', 'relay p99'],
    );
    for (const k of proxyCostChecks(pc)) assert.ok(md.includes(`| ${k.name} |`), `${k.name}: a row in the section`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
