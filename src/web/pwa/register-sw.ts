interface Options {
  isInCall(): boolean;
  /** Subscribes to state changes; used to activate a waiting update once the call is over. */
  onCallEnd(cb: () => void): () => void;
  onUpdateWaiting(): void;
}

/**
 * Registers the service worker. A new version waits (no skipWaiting by itself) and is told to
 * take over only when no call is running, so an update never breaks a call in progress.
 */
export function registerServiceWorker(o: Options): void {
  if (!('serviceWorker' in navigator) || !isSecureContext) return;
  addEventListener('load', async () => {
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
