// Compact JWS (RFC 7515 §7.1) split the way signing/jws.py splits it.
import {b64uDecode, utf8Decode} from './bytes.js';

/**
 * @returns {{header: object, payload: Uint8Array, signature: Uint8Array, signingInput: Uint8Array}}
 * @throws {Error} not three base64url parts, or a header that is not a JSON object
 */
export function splitCompact(token) {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('a compact JWS has three parts');
  let header;
  try {
    header = JSON.parse(utf8Decode(b64uDecode(parts[0])));
  } catch {
    throw new Error('JWS header is not JSON');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new Error('JWS header is not an object');
  return {header, payload: b64uDecode(parts[1]), signature: b64uDecode(parts[2]),
          signingInput: new TextEncoder().encode(`${parts[0]}.${parts[1]}`)};
}
