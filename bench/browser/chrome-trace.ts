/**
 * Diagnosis, not measurement: records a Chrome trace (every process: the browser's main thread,
 * both renderers, WebRTC threads, with the V8 sampler) of one call's second page opening the
 * link, after `TRACE_AT` (default 1) unmeasured calls in the same browser. Open the file in
 * https://ui.perfetto.dev or chrome://tracing; the page's own marks miss work done outside it
 * (Translate on the browser's main thread delayed the socket and the camera, issue 11).
 *
 *   node --import tsx bench/browser/chrome-trace.ts homecall|floor [out.json]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { makeCert } from '../lib/cert.js';
import { startServer } from '../lib/targets.js';
import { CHROMIUM, CHROMIUM_ARGS } from './measure.js';

const CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8',
  'v8.execute',
  'disabled-by-default-v8.compile',
  'disabled-by-default-v8.cpu_profiler',
  'blink',
  'loading',
  'navigation',
  'webrtc',
  'toplevel',
];
const target = (process.argv[2] ?? 'homecall') as 'homecall' | 'floor';
const out = process.argv[3] ?? `chrome-trace-${target}.json`;
const at = Number(process.env.TRACE_AT ?? 1);
const workDir = mkdtempSync(join(tmpdir(), 'homecall-chrome-trace-'));
const server = await startServer(target, { cert: await makeCert(workDir), workDir, label: 'chrome-trace' });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  for (let run = 0; run <= at; run++) {
    const url = `${server.url}?session=${randomUUID()}`;
    const contexts = await Promise.all(
      [0, 1].map(() => browser.newContext({ ignoreHTTPSErrors: true, permissions: ['camera', 'microphone'] })),
    );
    const [first, second] = [await contexts[0]!.newPage(), await contexts[1]!.newPage()];
    await first.goto(url);
    await first.waitForSelector('[data-state="waiting"]');
    await sleep(500);
    if (run === at) await browser.startTracing(second, { categories: CATEGORIES });
    await second.goto(url);
    await sleep(1500);
    if (run === at) writeFileSync(out, await browser.stopTracing());
    await Promise.all(contexts.map((c) => c.close()));
  }
  console.log(`trace: ${out}`);
} finally {
  await browser.close();
  await server.stop();
  rmSync(workDir, { recursive: true, force: true });
}
