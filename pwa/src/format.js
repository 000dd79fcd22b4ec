// Dates and times for people: stored and sent in UTC, always shown in Hà Nội time.
export const TIME_ZONE = 'Asia/Ho_Chi_Minh';

const locales = {vi: 'vi-VN', en: 'en-GB'};

/** An ISO-8601 instant (UTC) as a date and time in Asia/Ho_Chi_Minh. */
export function formatDateTime(iso, lang = 'vi') {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locales[lang] ?? locales.vi, {
    timeZone: TIME_ZONE, day: '2-digit', month: '2-digit', year: 'numeric',
    hour: '2-digit', minute: '2-digit', hour12: false,
  }).format(d);
}

/** A calendar date (YYYY-MM-DD, e.g. a birthday): no time zone shift, it is not an instant. */
export function formatDate(ymd, lang = 'vi') {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd ?? '');
  if (!m) return ymd ?? '';
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return new Intl.DateTimeFormat(locales[lang] ?? locales.vi, {
    timeZone: 'UTC', day: '2-digit', month: '2-digit', year: 'numeric',
  }).format(d);
}

/** A number as the reader writes it (vi 1.234,5 · en 1,234.5); `options` are Intl.NumberFormat's.
 * Nothing (null, undefined) is 0. */
export function formatNumber(x, lang = 'vi', options = {}) {
  return new Intl.NumberFormat(locales[lang] ?? locales.vi, options).format(x ?? 0);
}

/** The chip ID card writes dates as DDMMYYYY; forms and the API use YYYY-MM-DD. */
export function ddmmyyyyToIso(s) {
  const m = /^(\d{2})(\d{2})(\d{4})$/.exec(s ?? '');
  return m ? `${m[3]}-${m[2]}-${m[1]}` : s;
}
