// The site tablet's outbox: check-ins, screenings and dose records made while the network is
// down wait here (IndexedDB) with the Idempotency-Key made when the staff member pressed Save, and
// are replayed in order when it returns (the `online` event, and on start). A 2xx answer (a first
// write or an idempotent replay) clears the item; a 409/422 is a conflict kept for the staff
// member to see, never dropped; an unreachable network or a 5xx stops the run and keeps the rest.
import {request} from './api.js';

const DB = 'ssk-site';
const STORE = 'outbox';
const listeners = new Set();
let mem = null;  // no IndexedDB (node tests): an in-memory store
let syncing = null;

function open() {
  if (!globalThis.indexedDB) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, {keyPath: 'seq', autoIncrement: true});
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  if (!db) { mem ??= []; return fn(null); }
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const store = t.objectStore(STORE);
    let out;
    Promise.resolve(fn(store)).then((v) => { out = v; });
    t.oncomplete = () => { db.close(); resolve(out); };
    t.onerror = () => { db.close(); reject(t.error); };
  });
}

const asPromise = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});

/** Every item, oldest first: {seq, method, path, body, key, label, status: pending|conflict, problem}. */
export async function items() {
  return tx('readonly', (store) => (store ? asPromise(store.getAll()) : [...mem]));
}

async function put(item) {
  return tx('readwrite', (store) => {
    if (store) return asPromise(store.put(item));
    if (item.seq === undefined) item.seq = (mem.at(-1)?.seq ?? 0) + 1;
    mem = mem.filter((x) => x.seq !== item.seq).concat(item).sort((a, b) => a.seq - b.seq);
    return item.seq;
  });
}

async function remove(seq) {
  return tx('readwrite', (store) => (store ? asPromise(store.delete(seq)) : (mem = mem.filter((x) => x.seq !== seq))));
}

function changed() {
  listeners.forEach((fn) => { try { fn(); } catch { /* a screen gone */ } });
}

/** Call fn whenever the outbox changes; returns a function that stops it. */
export function onQueueChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Keep a POST for later, with its key (the one the first attempt used). */
export async function enqueue({path, body, key, label = null, kind = ''}) {
  const seq = await put({method: 'POST', path, body, key, label, kind, status: 'pending',
                         queued_at: new Date().toISOString(), problem: null});
  changed();
  return seq;
}

/** A conflict the staff member has dealt with. */
export async function dismiss(seq) {
  await remove(seq);
  changed();
}

/** {pending, conflicts} counts and lists. */
export async function summary() {
  const all = await items();
  return {pending: all.filter((x) => x.status === 'pending'), conflicts: all.filter((x) => x.status === 'conflict')};
}

/** Is this error "the network is not there" (keep the item) rather than an answer? */
export function isOffline(e) {
  return !!e?.offline || e?.status === 0;
}

/**
 * Send a POST now; when the network is down, queue it with its key and say so.
 * @returns {{queued: true, seq}|{queued: false, data}}
 */
export async function sendOrQueue({path, body, key, label, kind}) {
  if (globalThis.navigator?.onLine === false) {
    return {queued: true, seq: await enqueue({path, body, key, label, kind})};
  }
  try {
    return {queued: false, data: await request('POST', path, {body, idempotencyKey: key})};
  } catch (e) {
    if (isOffline(e)) return {queued: true, seq: await enqueue({path, body, key, label, kind})};
    throw e;
  }
}

/** Replay the pending items in order. Returns {synced, conflicts, stopped}. */
export function sync({send = request} = {}) {
  if (syncing) return syncing;
  syncing = (async () => {
    const out = {synced: 0, conflicts: 0, stopped: false};
    for (const item of await items()) {
      if (item.status !== 'pending') continue;
      try {
        await send(item.method, item.path, {body: item.body, idempotencyKey: item.key});
        await remove(item.seq);
        out.synced += 1;
      } catch (e) {
        if (isOffline(e) || e.status >= 500 || e.status === 401 || e.status === 429) {
          out.stopped = true;  // try again later, in the same order
          break;
        }
        await put({...item, status: 'conflict', problem: {status: e.status, slug: e.slug, title: e.title,
                                                           detail: e.detail, ...(e.problem ?? {})}});
        out.conflicts += 1;
      }
      changed();
    }
    changed();
    return out;
  })().finally(() => { syncing = null; });
  return syncing;
}

if (globalThis.window?.addEventListener) {
  window.addEventListener('online', () => { sync().catch(() => {}); });
  // on start: whatever an earlier visit left behind
  setTimeout(() => { if (navigator.onLine) sync().catch(() => {}); }, 1500);
}
