// Vietnamese phone numbers to E.164, the same forms the API accepts (09x…, +84…, 84…).
// The server is the authority; this only lets the form say "malformed" without a round trip.

/**
 * Normalise a Vietnamese phone number to E.164 (+84…), or return null when it cannot be one.
 * @param {string} input what the person typed: spaces, dots, dashes and brackets are ignored
 * @returns {string|null}
 */
export function normalizeVnPhone(input) {
  if (typeof input !== 'string') return null;
  let s = input.trim().replace(/[\s.\-()]/g, '');
  if (s.startsWith('00')) s = '+' + s.slice(2);
  let national;
  if (s.startsWith('+')) {
    if (!s.startsWith('+84')) return null;
    national = s.slice(3);
  } else if (s.startsWith('84') && s.length >= 11) {
    national = s.slice(2);
  } else if (s.startsWith('0')) {
    national = s.slice(1);
  } else {
    return null;
  }
  if (national.startsWith('0')) national = national.slice(1); // "+84 09…" written by hand
  // Mobile numbers have 9 national digits (3x, 5x, 7x, 8x, 9x); fixed lines (2x) have 10.
  if (!/^\d+$/.test(national)) return null;
  if (/^[35789]\d{8}$/.test(national) || /^2\d{9}$/.test(national)) return `+84${national}`;
  return null;
}

/** Show an E.164 number the way Vietnamese people write it: 0912 345 678. */
export function formatVnPhone(e164) {
  if (typeof e164 !== 'string' || !e164.startsWith('+84')) return e164 ?? '';
  const n = '0' + e164.slice(3);
  return n.length === 10 ? `${n.slice(0, 4)} ${n.slice(4, 7)} ${n.slice(7)}`
                         : `${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`;
}
