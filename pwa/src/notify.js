// Notifications on this device: the unread badge, the last inbox page kept for offline reading,
// and this browser's Web Push subscription (docs/api-contract-notifications.md).
import {api} from './api.js';

const INBOX_KEY = 'ssk.inbox';       // {account_id, items, unread, saved_at}: wiped on sign-out
const PUSH_ID_KEY = 'ssk.push-id';   // this browser's subscription id on the server

export const inbox = {unread: 0};
let onBadge = () => {};

function read(key) {
  try { return JSON.parse(localStorage.getItem(key) ?? 'null'); } catch { return null; }
}
function write(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* storage full or blocked */ }
}

/** The inbox last seen by this account on this device (null if none). */
export function cachedInbox(accountId) {
  const saved = read(INBOX_KEY);
  if (!saved || (accountId && saved.account_id !== accountId)) return null;
  return saved;
}

export function saveInbox(accountId, page) {
  write(INBOX_KEY, {account_id: accountId ?? null, items: page.items, unread: page.unread,
                    saved_at: new Date().toISOString()});
  setUnread(page.unread);
}

export function setUnread(n) {
  const next = Number(n) || 0;
  if (next === inbox.unread) return;
  inbox.unread = next;
  onBadge();
}

/** Refresh the badge (GET /inbox?limit=1), quietly: offline it keeps the last count. */
export async function pollUnread() {
  try {
    const page = await api.get('/inbox?limit=1');
    setUnread(page.unread);
  } catch { /* offline or signed out: keep what we have */ }
}

/** The badge follows the app: polled on start and whenever the app comes to the foreground. */
export function startBadge(redraw, signedIn) {
  onBadge = redraw;
  const poll = () => { if (signedIn()) pollUnread(); };
  document.addEventListener('visibilitychange', () => { if (!document.hidden) poll(); });
  window.addEventListener('online', poll);
  window.addEventListener('hashchange', poll);
  // a push arrived while the app is open: the service worker tells us (see sw.js)
  navigator.serviceWorker?.addEventListener('message', (e) => { if (e.data?.type === 'ssk-push') poll(); });
  const cached = cachedInbox();
  if (cached) inbox.unread = cached.unread ?? 0;
  poll();
  if (signedIn()) resubscribePush();
}

/** Everything kept here for the account: the cached inbox and the push id. */
export function forgetNotifications() {
  inbox.unread = 0;
  try {
    localStorage.removeItem(INBOX_KEY);
    localStorage.removeItem(PUSH_ID_KEY);
  } catch { /* ignore */ }
}

// ---- Web Push ------------------------------------------------------------------------------

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** base64url (the VAPID public key) → the bytes pushManager.subscribe wants. */
export function base64UrlToBytes(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** The server's VAPID key, or null when it has none (503 push-unavailable: hide push). */
export async function vapidKey() {
  try {
    return (await api.get('/vapid-public-key')).public_key;
  } catch (e) {
    if (e.status === 503) return null;
    throw e;
  }
}

/** This browser's current subscription (null when none). */
export async function currentSubscription() {
  if (!pushSupported()) return null;
  const reg = await navigator.serviceWorker.getRegistration();  // never waits (unlike .ready)
  return reg ? reg.pushManager.getSubscription() : null;
}

async function register(sub) {
  const saved = await api.post('/push-subscriptions', sub.toJSON());
  write(PUSH_ID_KEY, saved.id);
  return saved;
}

/**
 * "Allow notifications": ask the permission, subscribe with the VAPID key, tell the server.
 * Kept small on purpose: headless Chromium in our test machines cannot reach a push service,
 * so subscribe() never completes there (AbortError); the e2e tests fire the service worker's
 * push handler through the DevTools protocol instead (tests/e2e/test_notifications.py).
 * @returns {'granted'|'denied'|'default'|'unavailable'}
 */
export async function enablePush() {
  if (!pushSupported()) return 'unavailable';
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return permission;
  const key = await vapidKey();
  if (!key) return 'unavailable';
  const reg = await navigator.serviceWorker.ready;
  const sub = await reg.pushManager.getSubscription()
    ?? await reg.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: base64UrlToBytes(key)});
  await register(sub);
  return 'granted';
}

/** Stop push on this browser: the server first (it needs our session), then the browser. */
export async function disablePush() {
  const id = read(PUSH_ID_KEY);
  if (id) {
    try { await api.del(`/push-subscriptions/${encodeURIComponent(id)}`); } catch (e) {
      if (e.status !== 404) throw e;
    }
  }
  try { localStorage.removeItem(PUSH_ID_KEY); } catch { /* ignore */ }
  const sub = await currentSubscription().catch(() => null);
  if (sub) await sub.unsubscribe();
}

/** On every start while signed in: post the subscription again (covers a changed key). */
export async function resubscribePush() {
  try {
    if (!pushSupported() || Notification.permission !== 'granted') return;
    const sub = await currentSubscription();
    if (sub) await register(sub);
  } catch { /* offline, or no push service: try again next start */ }
}
