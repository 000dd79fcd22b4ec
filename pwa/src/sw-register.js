// Service worker registration, and the `?kill-sw` escape hatch: opening any page with it
// unregisters every service worker of this origin and empties its caches (sw.js does the same
// on navigation requests, so a broken shell in the cache cannot keep the hatch from working).

export async function killServiceWorkerIfAsked() {
  const url = new URL(location.href);
  if (!url.searchParams.has('kill-sw')) return false;
  if ('serviceWorker' in navigator) {
    for (const reg of await navigator.serviceWorker.getRegistrations()) await reg.unregister();
  }
  if ('caches' in window) for (const name of await caches.keys()) await caches.delete(name);
  // Stay without a worker for the rest of this tab's life; a later visit registers it again.
  try { sessionStorage.setItem('ssk.sw-killed', '1'); } catch { /* ignore */ }
  url.searchParams.delete('kill-sw');
  location.replace(url.pathname + url.search + url.hash);
  return true;
}

export function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  try { if (sessionStorage.getItem('ssk.sw-killed')) return; } catch { /* ignore */ }
  const register = () => navigator.serviceWorker.register('/sw.js', {scope: '/'}).catch((e) => {
    console.warn('service worker not registered', e);
  });
  // Register after the page has loaded so the first visit's own downloads come first.
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, {once: true});
}
