// The service worker: the app shell from a versioned precache, API reads network-first with
// the last good answer as fallback, writes never cached, the outbox replayed by Background
// Sync where the browser has it, and Web Push messages about a report shown as notifications
// that open its tracking page. The server fills in VERSION with a hash of the app's files.

import { replayReports, SYNC_TAG } from './js/report-queue.js';

const VERSION = '__SHELL_VERSION__';
const SHELL_CACHE = `frontdoor-shell-${VERSION}`;
const API_CACHE = 'frontdoor-api-v1';

const SHELL = [
  '/',
  '/manifest.webmanifest',
  '/css/app.css',
  '/i18n/en.json',
  '/i18n/es.json',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/maskable-512.png',
  '/icons/apple-touch-icon.png',
  '/js/address-search.js',
  '/js/api.js',
  '/js/app.js',
  '/js/camera.js',
  '/js/config.js',
  '/js/crew-actions.js',
  '/js/crew-jobs.js',
  '/js/crew-view.js',
  '/js/distance.js',
  '/js/dom.js',
  '/js/duplicates.js',
  '/js/form-field.js',
  '/js/geolocation.js',
  '/js/i18n.js',
  '/js/idb.js',
  '/js/map-draw.js',
  '/js/map.js',
  '/js/my-reports.js',
  '/js/outbox.js',
  '/js/photo-place.js',
  '/js/questions.js',
  '/js/report-queue.js',
  '/js/router.js',
  '/js/spell.js',
  '/js/staff.js',
  '/js/screens/call.js',
  '/js/screens/crew.js',
  '/js/screens/dashboard.js',
  '/js/screens/dispatch.js',
  '/js/screens/job.js',
  '/js/screens/mine.js',
  '/js/screens/report.js',
  '/js/screens/signin.js',
  '/js/screens/track.js',
  '/vendor/leaflet/leaflet.css',
  '/vendor/leaflet/leaflet.js',
  '/vendor/leaflet/images/layers.png',
  '/vendor/leaflet/images/layers-2x.png',
  '/vendor/leaflet/images/marker-icon.png',
  '/vendor/leaflet/images/marker-icon-2x.png',
  '/vendor/leaflet/images/marker-shadow.png',
];

self.addEventListener('install', (event) => {
  // 'reload' skips the HTTP cache, so a new version never precaches an old file.
  event.waitUntil(caches.open(SHELL_CACHE)
    .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const keep = new Set([SHELL_CACHE, API_CACHE]);
    for (const name of await caches.keys()) {
      if (!keep.has(name)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('sync', (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(replayReports());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  // Writes, other sites (map tiles) and the API's own docs go straight to the network.
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) {
    // Signed-in answers are never kept: the cache is shared by everyone using this browser.
    if (request.mode !== 'navigate' && !request.headers.has('Authorization')) {
      event.respondWith(networkFirst(request));
    }
    return;
  }
  event.respondWith(request.mode === 'navigate' ? shell() : cacheFirst(request));
});

async function shell() {
  return (await caches.match('/', { cacheName: SHELL_CACHE })) || fetch('/');
}

async function cacheFirst(request) {
  return (await caches.match(request, { cacheName: SHELL_CACHE })) || fetch(request);
}

async function networkFirst(request) {
  const cache = await caches.open(API_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch {
    const saved = await cache.match(request);
    if (saved) return saved;
    return new Response(JSON.stringify({ code: 'offline',
      message: 'You are offline and this has not been saved on the device.' }),
    { status: 503, headers: { 'Content-Type': 'application/json' } });
  }
}

// A push message (backend/notify/push.py): {title, body, url, tracking, kind, lang}. One
// notification per report: a newer message about the same report replaces the older one.
self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data?.text() || '' };
  }
  const title = message.title || 'Frontdoor';
  event.waitUntil(self.registration.showNotification(title, {
    body: message.body || '',
    lang: message.lang || undefined,
    tag: message.tracking ? `report-${message.tracking}` : undefined,
    renotify: Boolean(message.tracking),
    icon: '/icons/icon-192.png',
    badge: '/icons/icon-192.png',
    data: { url: trackingPage(message), tracking: message.tracking || null },
  }));
});

/** The page to open: the report's tracking page in this app (the message's own link when
 *  it points here, so a link made for another address never leaves the installed app). */
function trackingPage(message) {
  try {
    const url = new URL(message.url || '', self.location.origin);
    if (message.url && url.origin === self.location.origin) return url.href;
  } catch {
    // not a link at all: fall back to the tracking number
  }
  if (message.tracking) {
    return new URL(`/#/track/${encodeURIComponent(message.tracking)}`, self.location.origin).href;
  }
  return new URL('/', self.location.origin).href;
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = event.notification.data?.url || new URL('/', self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
    if (!open) return self.clients.openWindow(target);
    await open.focus().catch(() => {}); // a browser may refuse focus; still show the page
    if (open.url === target) return undefined;
    try {
      return await open.navigate(target);
    } catch {
      // Only a window this worker controls can be navigated from here; ask the page itself.
      return open.postMessage({ type: 'open', url: target });
    }
  })());
});
