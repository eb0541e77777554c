// The benchmark's smoke run, so it cannot rot: tiny counts, a few seconds per server. It
// asserts that the run produced well-formed results, that calls completed and that no frame
// was lost; it never asserts on timings (the benchmark measures those, tests do not).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('npm run bench -- --smoke runs both servers and writes well-formed results', { timeout: 180_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'homecall-bench-smoke-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out], {
      cwd: repoDir,
      encoding: 'utf8',
      timeout: 170_000,
    });
    assert.equal(r.status, 0, `bench exited with ${r.status}\n${r.stdout}\n${r.stderr}`);
    const files = readdirSync(out).filter((f) => f.endsWith('-smoke.json'));
    assert.equal(files.length, 1, 'one results file');
    assert.ok(existsSync(join(out, files[0]!.replace(/\.json$/, '.svg'))), 'a chart beside the results');
    const res = JSON.parse(readFileSync(join(out, files[0]!), 'utf8'));

    // HomeCall is measured whenever its source exists; the floor always is.
    const targets: string[] = existsSync(join(repoDir, 'src', 'server', 'main.ts')) ? ['homecall', 'floor'] : ['floor'];
    if (targets.includes('homecall'))
      assert.equal(res.meta.unavailable.homecall, undefined, 'HomeCall built and measured');

    for (const t of targets) {
      const mem = res.memory.filter((m: { target: string }) => m.target === t);
      assert.ok(mem.length > 0, `${t}: memory measured`);
      for (const m of mem) {
        for (const p of m.points) {
          assert.equal(p.failed, 0, `${t}: every waiting participant joined`);
          assert.equal(p.stillOpen, p.n, `${t}: every waiting participant still connected`);
          assert.ok(Number.isFinite(p.kibPerSocket));
        }
      }
      const calls = res.calls.filter((c: { target: string }) => c.target === t);
      assert.ok(calls.length > 0, `${t}: calls measured`);
      for (const c of calls) {
        assert.ok(c.completed > 0, `${t}: calls completed`);
        assert.equal(c.failed, 0, `${t}: no call failed: ${JSON.stringify(c.errors)}`);
        assert.ok(c.serverCpuS >= 0);
      }
      const lat = res.latency.filter((l: { target: string }) => l.target === t);
      assert.ok(lat.length > 0, `${t}: latency measured`);
      for (const l of lat) {
        assert.ok(l.sent > 0 && l.samples > 0, `${t}: frames were relayed`);
        assert.equal(l.lost, 0, `${t}: no frame lost`);
        assert.equal(l.outOfOrder, 0, `${t}: frames arrive in order`);
        assert.equal(l.closedEarly, 0, `${t}: no socket was closed under load`);
      }
      const cap = res.capacity.find((c: { target: string }) => c.target === t);
      assert.ok(cap !== undefined && cap.held > 0, `${t}: capacity run held sockets`);
      assert.ok(cap.lag !== null, `${t}: event-loop lag was sampled`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
