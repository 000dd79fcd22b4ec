// Vietnamese first (the default), English second; every key exists in both (tests/pwa checks).
import vi from './vi.js';
import en from './en.js';

export const MESSAGES = {vi, en};
export const LANGS = ['vi', 'en'];
const STORAGE_KEY = 'ssk.lang';
let current = 'vi';
const listeners = new Set();

export function lang() {
  return current;
}

/** The language saved on this device, else Vietnamese. */
export function initLang() {
  let saved = null;
  try { saved = globalThis.localStorage?.getItem(STORAGE_KEY); } catch { /* private mode */ }
  setLang(LANGS.includes(saved) ? saved : 'vi', {save: false});
}

export function setLang(next, {save = true} = {}) {
  if (!LANGS.includes(next)) return;
  current = next;
  if (globalThis.document) document.documentElement.lang = next;
  if (save) {
    try { globalThis.localStorage?.setItem(STORAGE_KEY, next); } catch { /* private mode */ }
  }
  listeners.forEach((fn) => fn(next));
}

export function onLangChange(fn) {
  listeners.add(fn);
}

/** The message for `key` in the current language, with {placeholders} filled from `params`. */
export function t(key, params = {}) {
  const text = MESSAGES[current][key] ?? MESSAGES.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}
