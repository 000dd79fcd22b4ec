// Base45 decoding (RFC 9285), with the same rejections as signing/base45.py.

// RFC 9285 §4.2: the 45-character alphabet, value = index
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/**
 * @param {string} text
 * @returns {Uint8Array}
 * @throws {Error} a character outside the alphabet, a length of 3k+1, or a triplet above 0xFFFF /
 *   a final pair above 0xFF (RFC 9285 §6: such input MUST be rejected)
 */
export function b45decode(text) {
  const n = text.length;
  if (n % 3 === 1) throw new Error('base45: length is 3k+1');
  const out = new Uint8Array(Math.floor(n / 3) * 2 + (n % 3 === 2 ? 1 : 0));
  let o = 0;
  const v = (i) => {
    const c = text.charCodeAt(i);
    const x = c < 128 ? VALUE[c] : -1;
    if (x < 0) throw new Error('base45: character outside the alphabet');
    return x;
  };
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    // RFC 9285 §4: n = c + d*45 + e*45*45, the first byte of the pair is the high one
    const x = v(i) + v(i + 1) * 45 + v(i + 2) * 2025;
    if (x > 0xffff) throw new Error('base45: triplet above 0xFFFF');
    out[o++] = x >> 8;
    out[o++] = x & 0xff;
  }
  if (i < n) {
    const x = v(i) + v(i + 1) * 45;
    if (x > 0xff) throw new Error('base45: final pair above 0xFF');
    out[o++] = x;
  }
  return out;
}
