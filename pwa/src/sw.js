// Service worker (workbox, injectManifest): the app shell is precached under versioned cache
// names; navigations get index.html; the personal QR images are kept for offline display.
/* global __APP_VERSION__ */
import {precacheAndRoute, cleanupOutdatedCaches, createHandlerBoundToURL} from 'workbox-precaching';
import {registerRoute, NavigationRoute} from 'workbox-routing';
import {NetworkFirst, StaleWhileRevalidate} from 'workbox-strategies';
import {ExpirationPlugin} from 'workbox-expiration';
import {setCacheNameDetails, clientsClaim} from 'workbox-core';

const VERSION = __APP_VERSION__;
// Private caches hold a person's data (their QR): the app deletes every "ssk-private*" cache
// on sign-out. The version suffix lets a release drop caches whose format changed.
const QR_CACHE = `ssk-private-qr-v1`;
const PLACES_CACHE = `ssk-places-v1`;
const KEEP = new Set([QR_CACHE, PLACES_CACHE]);

// The escape hatch comes first, before any cached response could be served: ?kill-sw on a
// navigation unregisters this worker, empties every cache and loads the page from the network.
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.mode === 'navigate' && url.searchParams.has('kill-sw')) {
    event.respondWith((async () => {
      await self.registration.unregister();
      for (const name of await caches.keys()) await caches.delete(name);
      return fetch(event.request);
    })());
  }
});

setCacheNameDetails({prefix: 'ssk', suffix: `v${VERSION}`});
self.skipWaiting();
clientsClaim();
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

// Every in-app navigation is the shell; the API and the docs are never the shell.
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), {
  denylist: [/^\/api\//, /^\/docs/, /^\/openapi/, /^\/problems\//],
}));

// The QR image: fresh when online (a rotated code must show at once), the last one offline.
// The query string is only a cache buster, so it is left out of the cache key.
const stripQuery = {cacheKeyWillBeUsed: async ({request}) => {
  const u = new URL(request.url);
  return `${u.origin}${u.pathname}`;
}};
registerRoute(({url}) => url.origin === self.location.origin && /^\/api\/v1\/people\/[^/]+\/qr\.svg$/.test(url.pathname),
  new NetworkFirst({cacheName: QR_CACHE, networkTimeoutSeconds: 5,
                    plugins: [stripQuery, new ExpirationPlugin({maxEntries: 20})]}));

// Provinces and wards change once in years: show the cached list and refresh it behind.
registerRoute(({url}) => url.origin === self.location.origin && url.pathname.startsWith('/api/v1/places/'),
  new StaleWhileRevalidate({cacheName: PLACES_CACHE, plugins: [new ExpirationPlugin({maxEntries: 60})]}));

// Public open statistics (no personal data): show the last figures at once, refresh behind.
// Only GETs of /api/v1/public/ (never a signed-in API path: those stay out of every cache).
const PUBLIC_CACHE = `ssk-public-v1`;
KEEP.add(PUBLIC_CACHE);
registerRoute(({url, request}) => url.origin === self.location.origin && request.method === 'GET'
    && url.pathname.startsWith('/api/v1/public/'),
  new StaleWhileRevalidate({cacheName: PUBLIC_CACHE, plugins: [new ExpirationPlugin({maxEntries: 30})]}));

// Drop runtime caches of older formats (precaches are handled by cleanupOutdatedCaches).
self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      const runtime = /^ssk-(private-)?[a-z]+-v\d+$/.test(name);
      if (runtime && !KEEP.has(name)) await caches.delete(name);
    }
  })());
});

// ---- Web Push (issue 6; payload from notifications/channels/webpush.py) ----------------------
// {"id": outbox id, "template", "title", "body", "urgent"}: title and body are already in the
// account's language. The tag is the id, so a resend of the same message (delivery is at least
// once) replaces the first copy instead of showing it twice.
self.addEventListener('push', (event) => {
  let m = null;
  try { m = event.data?.json(); } catch { m = null; }
  if (!m || !m.title) return;
  event.waitUntil((async () => {
    await self.registration.showNotification(m.title, {
      body: m.body ?? '',
      tag: m.id,
      renotify: false,
      requireInteraction: !!m.urgent,
      icon: '/icons/icon-192.png',
      lang: '',
      data: {id: m.id, template: m.template},
    });
    // an open app refreshes its unread badge
    for (const c of await self.clients.matchAll({type: 'window', includeUncontrolled: true})) {
      c.postMessage({type: 'ssk-push', id: m.id});
    }
  })());
});

// A tap opens (or focuses) the app on #/inbox?open=<id> (in the fragment: never in a server
// log). The inbox screen then POSTs /api/v1/inbox/<id>/read: the worker has no CSRF token (it
// cannot read cookies), so marking read is the page's job, done when it is online.
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const id = event.notification.data?.id;
  const url = id ? `/#/inbox?open=${encodeURIComponent(id)}` : '/#/inbox';
  event.waitUntil((async () => {
    const list = await self.clients.matchAll({type: 'window', includeUncontrolled: true});
    const open = list.find((c) => new URL(c.url).origin === self.location.origin);
    if (!open) return self.clients.openWindow(url);
    const focused = await open.focus();
    return (focused ?? open).navigate ? (focused ?? open).navigate(url) : null;
  })());
});
