// Pure helpers for the vaccination screens (no DOM, no lit): times in Asia/Ho_Chi_Minh, the
// local calendar day, slugs as message keys, the device's position. Tested in tests/pwa/.
import {TIME_ZONE} from '../format.js';

const locales = {vi: 'vi-VN', en: 'en-GB'};

/** "07:30": the clock time of a UTC instant in Hà Nội, 24-hour. */
export function formatTime(iso, lang = 'vi') {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locales[lang] ?? locales.vi, {
    timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', hour12: false,
  }).format(d);
}

/** "07:30–11:30" (an en dash, no spaces: it never breaks across lines). */
export function timeRange(startIso, endIso, lang = 'vi') {
  return `${formatTime(startIso, lang)}\u2013${formatTime(endIso, lang)}`;
}

/**
 * A local calendar day (YYYY-MM-DD) with its weekday: "Thứ Ba, 24/11/2026" / "Tue, 24/11/2026".
 * It is a date, not an instant: no time-zone shift.
 */
export function formatDay(ymd, lang = 'vi') {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd ?? '');
  if (!m) return ymd ?? '';
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  const text = new Intl.DateTimeFormat(locales[lang] ?? locales.vi, {
    timeZone: 'UTC', weekday: lang === 'en' ? 'short' : 'long', day: '2-digit', month: '2-digit', year: 'numeric',
  }).format(d);
  return lang === 'en' ? text : text.charAt(0).toUpperCase() + text.slice(1);
}

/** Today in Hà Nội as YYYY-MM-DD (the API's `day` and date filters are local dates). */
export function localToday(now = new Date()) {
  const parts = new Intl.DateTimeFormat('en-CA', {timeZone: TIME_ZONE, year: 'numeric', month: '2-digit',
                                                 day: '2-digit'}).formatToParts(now);
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** YYYY-MM-DD plus n days. */
export function addDays(ymd, n) {
  const [y, m, d] = ymd.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** A slug from the API ("too-early", "status-approved") as the tail of a message key. */
export function keyOf(slug) {
  return String(slug ?? '').replace(/[^a-z0-9]+/gi, '_').toLowerCase();
}

/** Booked seats of a session or slot (`capacity` and `free` from the API), never negative. */
export function booked({capacity = 0, free = 0} = {}) {
  return Math.max(0, capacity - Math.max(0, free));
}

/** A kilometre figure for people: "850 m", "1,2 km" (vi) / "1.2 km" (en). */
export function formatDistance(km, lang = 'vi') {
  if (km === null || km === undefined) return '';
  if (km < 1) return `${Math.max(10, Math.round(km * 1000 / 10) * 10)} m`;
  return `${new Intl.NumberFormat(locales[lang] ?? locales.vi, {maximumFractionDigits: 1}).format(km)} km`;
}

/**
 * The device's position, or why there is none: {lat, lon} or {error: 'unsupported' | 'denied' |
 * 'unavailable' | 'timeout'}. Never throws: the caller falls back to the administrative area.
 */
export function currentPosition({geolocation = globalThis.navigator?.geolocation, timeout = 10000} = {}) {
  if (!geolocation) return Promise.resolve({error: 'unsupported'});
  return new Promise((resolve) => {
    geolocation.getCurrentPosition(
      (pos) => resolve({lat: pos.coords.latitude, lon: pos.coords.longitude}),
      (err) => resolve({error: err?.code === 1 ? 'denied' : err?.code === 3 ? 'timeout' : 'unavailable'}),
      // maximumAge 0: Chromium 150 hands out a cached position (maximumAge > 0) even after the
      // person has withdrawn the permission; a withdrawal must count at once.
      {enableHighAccuracy: false, timeout, maximumAge: 0});
  });
}

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
