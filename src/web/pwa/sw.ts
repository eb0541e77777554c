// The service worker. Built by Vite as its own entry; the precache list below is written in by
// the build (vite.config.ts, precacheManifest) from the files the build produced.
// Typed loosely on purpose: the DOM and WebWorker type libraries cannot share one program.

interface WaitEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends Event {
  request: Request;
  respondWith(r: Promise<Response> | Response): void;
}
interface MessageEvent extends Event {
  data?: { type?: string };
}
interface WorkerScope {
  location: Location;
  clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: string, fn: (e: Event) => void): void;
}
const sw = self as unknown as WorkerScope;
const on = <E extends Event>(type: string, fn: (e: E) => void) => sw.addEventListener(type, fn as (e: Event) => void);
const PRECACHE: string[] = '__PRECACHE_MANIFEST__' as unknown as string[];
const CACHE = 'homecall-__PRECACHE_VERSION__';
/** Never cached: live endpoints. */
const BYPASS = ['/signal', '/healthz', '/metrics'];

on<WaitEvent>('install', (event) => {
  // No skipWaiting here: the page tells a new worker to take over when no call is running.
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(PRECACHE)));
});

on<WaitEvent>('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key.startsWith('homecall-') && key !== CACHE) await caches.delete(key);
      await sw.clients.claim();
    })(),
  );
});

on<MessageEvent>('message', (event) => {
  if (event.data?.type === 'skip-waiting') void sw.skipWaiting();
});

on<FetchEvent>('fetch', (event) => {
  const req: Request = event.request;
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
