// The service worker. Built by Vite as its own entry; the precache list below is written in by
// the build (vite.config.ts, precacheManifest) from the files the build produced. Type-checked
// on its own (tsconfig.sw.json) with the WebWorker library, which cannot share a program with DOM.

const sw = self as unknown as ServiceWorkerGlobalScope;
const PRECACHE: string[] = '__PRECACHE_MANIFEST__' as unknown as string[];
const CACHE = 'homecall-__PRECACHE_VERSION__';
/** Never cached: live endpoints. */
const BYPASS = ['/signal', '/healthz', '/metrics'];

sw.addEventListener('install', (event) => {
  // No skipWaiting here: the page tells a new worker to take over when no call is running.
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(PRECACHE)));
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key.startsWith('homecall-') && key !== CACHE) await caches.delete(key);
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('message', (event) => {
  const data: unknown = event.data;
  if (typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'skip-waiting')
    void sw.skipWaiting();
});

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== sw.location.origin || BYPASS.some((p) => url.pathname.startsWith(p)))
    return;
  if (req.mode === 'navigate') {
    // The page: fresh from the network when online, the cached shell when offline.
    event.respondWith(
      fetch(req).catch(async () => (await caches.match('/', { ignoreSearch: true })) ?? Response.error()),
    );
    return;
  }
  if (PRECACHE.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit ?? fetch(req)));
  }
});
