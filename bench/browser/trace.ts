/**
 * Diagnosis, not measurement: prints the timeline of one call (page loads, getUserMedia,
 * signalling frames, ICE, first decoded frame) for the app or the floor page, relative to the
 * moment the second page opens the link.   node --import tsx bench/browser/trace.ts homecall|floor
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCert } from '../lib/cert.js';
import { startServer } from '../lib/targets.js';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './measure.js';
import { randomUUID } from 'node:crypto';
const workDir = mkdtempSync(join(tmpdir(), 'homecall-trace-'));
const cert = await makeCert(workDir);
const target = (process.argv[2] ?? 'homecall') as 'homecall' | 'floor';
const s = await startServer(target, { cert, workDir: workDir, label: 'tr', cpuProfDir: process.env.BENCH_PROF_DIR });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const TRACE = `(() => {
  const T = (what) => { (window.__t ??= []).push([Math.round(performance.timeOrigin + performance.now()), what]); };
  window.__T = T;
  const OW = window.WebSocket;
  window.WebSocket = class extends OW { constructor(...a) { super(...a); T('ws new'); this.addEventListener('open', () => T('ws open')); this.addEventListener('message', (e) => { try { const f = JSON.parse(e.data); T('recv ' + f.type + (f.state ? ':' + f.state : '')); } catch {} }); } send(d) { try { const f = JSON.parse(d); if (f.type !== 'candidate') T('send ' + f.type); else T('send cand'); } catch {} return super.send(d); } };
  const OP = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends OP { constructor(c) { super(c); T('pc new'); this.addEventListener('track', (e) => T('track ' + e.track.kind)); this.addEventListener('iceconnectionstatechange', () => T('ice ' + this.iceConnectionState)); this.addEventListener('connectionstatechange', () => T('conn ' + this.connectionState)); } };
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => { T('gum start'); const r = await gum(c); T('gum done'); return r; };
  document.addEventListener('DOMContentLoaded', () => T('DOMContentLoaded'));
  new PerformanceObserver((l) => { for (const e of l.getEntries()) (window.__t ??= []).push([Math.round(performance.timeOrigin + e.startTime), 'longtask ' + Math.round(e.duration) + ' ms']); }).observe({ type: 'longtask', buffered: true });
  for (const m of ['setLocalDescription', 'setRemoteDescription', 'createOffer', 'createAnswer', 'addIceCandidate']) {
    const o = OP.prototype[m];
    OP.prototype[m] = function (...a) { T(m + ' start'); const r = o.apply(this, a); r.then(() => T(m + ' done'), () => T(m + ' failed')); return r; };
  }
  for (const m of ['addTransceiver', 'createDataChannel', 'addTrack']) {
    const o = OP.prototype[m];
    OP.prototype[m] = function (...a) { T(m); return o.apply(this, a); };
  }
  const scan = () => { for (const v of document.querySelectorAll('video')) { if (v.__h) continue; v.__h = 1; v.addEventListener('loadeddata', () => T('video loadeddata ' + (v.id || v.className))); } setTimeout(scan, 5); }; scan();
})();`;
const RUNS = Number(process.env.TRACE_RUNS ?? 2);
for (let run = 0; run < RUNS; run++) {
  const url = `${s.url}?session=${randomUUID()}`;
  const ctxs = await Promise.all(
    [0, 1].map(() => browser.newContext({ ignoreHTTPSErrors: true, permissions: ['camera', 'microphone'] })),
  );
  const pages = [];
  for (const c of ctxs) {
    await c.addInitScript({ content: TRACE });
    pages.push(await c.newPage());
  }
  const cdp = await ctxs[1]!.newCDPSession(pages[1]!);
  await cdp.send('Network.enable');
  const net: [number, string][] = [];
  const wall = () => Date.now();
  cdp.on('Network.webSocketCreated', () => net.push([wall(), 'cdp ws created']));
  // CDP's own monotonic timestamps: events may reach us in batches.
  let wsSentAt = 0;
  cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => {
    wsSentAt = e.timestamp;
    net.push([wall(), 'cdp ws handshake request sent']);
  });
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) =>
    net.push([
      wall(),
      `cdp ws handshake response ${e.response.status} (${Math.round((e.timestamp - wsSentAt) * 1000)} ms after the request, browser clock)`,
    ]),
  );
  // The network service's own clock for each frame, independent of how busy the page is.
  const frameType = (d: string) => {
    try {
      return (JSON.parse(d) as { type?: string }).type ?? '?';
    } catch {
      return '?';
    }
  };
  cdp.on('Network.webSocketFrameSent', (e) =>
    net.push([
      wall(),
      `cdp ws sent ${frameType(e.response.payloadData)} at +${Math.round((e.timestamp - wsSentAt) * 1000)} ms (browser clock, from the handshake request)`,
    ]),
  );
  cdp.on('Network.webSocketFrameReceived', (e) =>
    net.push([
      wall(),
      `cdp ws received ${frameType(e.response.payloadData)} at +${Math.round((e.timestamp - wsSentAt) * 1000)} ms (browser clock, from the handshake request)`,
    ]),
  );
  cdp.on('Network.requestWillBeSent', (e) =>
    net.push([wall(), `cdp request ${e.request.url.replace(/^https:\/\/[^/]+/, '')}`]),
  );
  cdp.on('Network.responseReceived', (e) => {
    const t = e.response.timing;
    if (t)
      net.push([
        wall(),
        `cdp response ${e.response.url.replace(/^https:\/\/[^/]+/, '').slice(0, 40)} ${e.response.status} connect ${Math.round(t.connectEnd - t.connectStart)} ms (tls ${Math.round(t.sslEnd - t.sslStart)} ms), headers after ${Math.round(t.receiveHeadersEnd - t.sendEnd)} ms`,
      ]);
  });
  cdp.on('Network.loadingFinished', (e) => net.push([wall(), `cdp loaded ${e.requestId}`]));
  await pages[0]!.goto(url);
  await pages[0]!.waitForSelector('[data-state="waiting"]');
  await new Promise((r) => setTimeout(r, 500));
  await s.lag();
  const t0 = Date.now();
  await pages[1]!.goto(url);
  await new Promise((r) => setTimeout(r, 3000));
  if (run >= 1)
    for (const [i, p] of pages.entries()) {
      const t = (await p.evaluate('window.__t')) as [number, string][];
      console.log(`--- page ${i + 1}`);
      for (const [at, w] of t) if (at >= t0 - 50 || i === 1) console.log(String(at - t0).padStart(6), w);
    }
  if (run >= 1) console.log('server event-loop lag during the run:', JSON.stringify(await s.lag()));
  if (run >= 1) for (const [at, w] of net) console.log(String(at - t0).padStart(6), w);
  await Promise.all(ctxs.map((c) => c.close()));
}
await browser.close();
await s.stop();
