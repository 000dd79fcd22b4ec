// What the app knows about the signed-in account, and the little it keeps for offline use.
// Kept on the device: the profiles' ids and names and which one is shown (so the home screen
// can show the last QR offline). Nothing else; all of it is wiped on sign-out.
import {api, setCsrfFallback} from './api.js';
import {forgetNotifications} from './notify.js';

const OFFLINE_KEY = 'ssk.offline';
const ACTIVE_KEY = 'ssk.active';
export const STAFF_ROLES = ['site_staff', 'department_staff', 'national_admin'];

export const state = {
  me: null,          // Me from /auth/me, null when signed out
  people: [],        // [Person], own profile first
  activeId: null,    // the profile whose QR the home screen shows
  offline: false,    // the last request could not reach the server
  loaded: false,
};

function readJson(key) {
  try { return JSON.parse(localStorage.getItem(key) ?? 'null'); } catch { return null; }
}

function writeJson(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* storage full or blocked */ }
}

/** Staff roles assigned to the account (`held_roles`), in force or waiting for a passkey session. */
export function staffRoles(me = state.me) {
  const held = me?.held_roles ?? me?.roles ?? [];
  return held.filter((r) => STAFF_ROLES.includes(r.role));
}

export function isStaff(me = state.me) {
  return staffRoles(me).length > 0;
}

export function setMe(me) {
  state.me = me;
  setCsrfFallback(me?.csrf_token);
  if (me) state.offline = false;
}

export function setPeople(people) {
  state.people = people;
  if (!people.some((p) => p.id === state.activeId)) state.activeId = people[0]?.id ?? null;
  saveOffline();
}

export function setActive(id) {
  state.activeId = id;
  try { localStorage.setItem(ACTIVE_KEY, id); } catch { /* ignore */ }
  saveOffline();
}

export function activePerson() {
  return state.people.find((p) => p.id === state.activeId) ?? state.people[0] ?? null;
}

function saveOffline() {
  if (!state.me) return;
  writeJson(OFFLINE_KEY, {
    account_id: state.me.account_id,
    people: state.people.map(({id, full_name, relation}) => ({id, full_name, relation})),
  });
}

/** The profiles last seen, for the offline home screen. */
export function restoreOffline() {
  const saved = readJson(OFFLINE_KEY);
  if (!saved) return false;
  state.people = saved.people ?? [];
  state.activeId = localStorage.getItem(ACTIVE_KEY) ?? state.people[0]?.id ?? null;
  return state.people.length > 0;
}

/** Load Me and the profiles; offline, fall back to what the device kept. */
export async function refresh() {
  try {
    setMe(await api.get('/auth/me'));
  } catch (e) {
    if (e.status === 401) {
      setMe(null);
      state.people = [];
      state.loaded = true;
      return;
    }
    if (e.offline) {
      state.offline = true;
      state.loaded = true;
      restoreOffline();
      return;
    }
    throw e;
  }
  try {
    state.activeId ??= localStorage.getItem(ACTIVE_KEY);
  } catch { /* ignore */ }
  if (state.me.person) setPeople(await api.get('/people'));
  else setPeople([]);
  state.loaded = true;
}

/** Forget everything this device kept for the account: storage and the cached QR images. */
export async function forgetDevice() {
  setMe(null);
  state.people = [];
  state.activeId = null;
  try {
    localStorage.removeItem(OFFLINE_KEY);
    localStorage.removeItem(ACTIVE_KEY);
    // Passports kept for offline use carry names and birth dates: never leave them behind.
    for (const key of Object.keys(localStorage)) if (key.startsWith('ssk.passports')) localStorage.removeItem(key);
  } catch { /* ignore */ }
  forgetNotifications();  // the cached inbox and this browser's push id
  if ('caches' in globalThis) {
    for (const name of await caches.keys()) if (name.startsWith('ssk-private')) await caches.delete(name);
  }
}
