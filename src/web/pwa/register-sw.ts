import type { Clock } from '../../shared/clock.js';

interface Options {
  isInCall(): boolean;
  /** Subscribes to state changes; used to activate a waiting update once the call is over. */
  onCallEnd(cb: () => void): () => void;
  onUpdateWaiting(): void;
  /** True while a call is being set up (camera, signalling, ICE): nothing else should compete. */
  isConnecting(): boolean;
  clock: Clock;
}

/** A call that stays in set-up this long (e.g. waiting alone for the other side) stops holding it back. */
const MAX_DEFER_MS = 10_000;

/**
 * Runs `fn` once the page has loaded, no call is being set up (or MAX_DEFER_MS passed), and the
 * main thread is idle: the worker's precache fetches then never compete with a call's first
 * requests, frames and decoding.
 */
function whenQuiet(o: Options, fn: () => void): void {
  const idle = () =>
    'requestIdleCallback' in window ? requestIdleCallback(() => fn(), { timeout: 2_000 }) : o.clock.setTimeout(fn, 200);
  const afterLoad = () => {
    if (!o.isConnecting()) {
      idle();
      return;
    }
    let done = false;
    const go = () => {
      if (done) return;
      done = true;
      off();
      o.clock.clearTimeout(timer);
      idle();
    };
    const off = o.onCallEnd(() => !o.isConnecting() && go());
    const timer = o.clock.setTimeout(go, MAX_DEFER_MS);
  };
  if (document.readyState === 'complete') afterLoad();
  else addEventListener('load', afterLoad, { once: true });
}

/**
 * Registers the service worker. A new version waits (no skipWaiting by itself) and is told to
 * take over only when no call is running, so an update never breaks a call in progress.
 */
export function registerServiceWorker(o: Options): void {
  if (!('serviceWorker' in navigator) || !isSecureContext) return;
  whenQuiet(o, async () => {
    let reg: ServiceWorkerRegistration;
    try {
      reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    } catch {
      return; // No offline shell; the app works without it.
    }
    const activateWhenIdle = (worker: ServiceWorker) => {
      if (!navigator.serviceWorker.controller) return; // First install: nothing to replace.
      if (!o.isInCall()) {
        worker.postMessage({ type: 'skip-waiting' });
        return;
      }
      o.onUpdateWaiting();
      const off = o.onCallEnd(() => {
        if (o.isInCall()) return;
        off();
        worker.postMessage({ type: 'skip-waiting' });
      });
    };
    if (reg.waiting) activateWhenIdle(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const worker = reg.installing;
      worker?.addEventListener('statechange', () => worker.state === 'installed' && activateWhenIdle(worker));
    });
  });
}
