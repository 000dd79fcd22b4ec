// Byte helpers shared by the verifier: base64 / base64url, hex, SHA-256 via WebCrypto.

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Standard base64 (padding optional, whitespace ignored) to bytes. @throws {Error} not base64 */
export function b64decode(text) {
  const body = String(text).replace(/\s+/g, '').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(body) || body.length % 4 === 1) throw new Error('invalid base64');
  const bin = atob(body + '='.repeat((4 - (body.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Strict base64url without padding (RFC 7515 §2), as signing/jws.py reads it. */
export function b64uDecode(text) {
  if (typeof text !== 'string' || !B64URL.test(text) || text.length % 4 === 1) {
    throw new Error('invalid base64url');
  }
  return b64decode(text.replace(/-/g, '+').replace(/_/g, '/'));
}

export function b64encode(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin);
}

export function b64uEncode(bytes) {
  return b64encode(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function hex(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += bytes[i].toString(16).padStart(2, '0');
  return out;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const utf8 = new TextDecoder('utf-8', {fatal: true});
/** Strict UTF-8 (invalid sequences throw, as Python's bytes.decode does). */
export function utf8Decode(bytes) {
  return utf8.decode(bytes);
}

export const utf8Encode = (text) => new TextEncoder().encode(text);

/** Python's len(): code points, not UTF-16 units. */
export const codePoints = (s) => [...s].length;
