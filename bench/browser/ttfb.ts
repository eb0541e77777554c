/**
 * Diagnosis: Chromium's time to first byte for the link's page on a fresh connection, for
 * HomeCall and the floor, from CDP's resource timing.   node --import tsx bench/browser/ttfb.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { makeCert } from '../lib/cert.js';
import { startServer } from '../lib/targets.js';
import { CHROMIUM, CHROMIUM_ARGS } from './measure.js';

const workDir = mkdtempSync(join(tmpdir(), 'homecall-ttfb-'));
const cert = await makeCert(workDir);
const servers = [
  await startServer('homecall', { cert, workDir, label: 'h' }),
  await startServer('floor', { cert, workDir, label: 'f' }),
];
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const rows: Record<string, string[]> = { homecall: [], floor: [] };
for (let i = 0; i < 6; i++) {
  for (const s of servers) {
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    let line = '';
    cdp.on('Network.responseReceived', (e) => {
      const t = e.response.timing;
      if (t && line === '' && e.type === 'Document') {
        line = `tls ${Math.round(t.sslEnd - t.sslStart)} / ttfb ${Math.round(t.receiveHeadersEnd - t.sendEnd)}`;
      }
    });
    await page.goto(`${s.url}?session=${crypto.randomUUID()}`, { waitUntil: 'load' });
    rows[s.target]!.push(line);
    await ctx.close();
  }
}
for (const [t, r] of Object.entries(rows)) console.log(t.padEnd(9), r.join(' | '));
await browser.close();
for (const s of servers) await s.stop();
