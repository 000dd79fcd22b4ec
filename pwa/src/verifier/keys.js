// Public keys in WebCrypto, and the COSE / JWS signature checks (RFC 9053, RFC 8230, RFC 7518).
// WebCrypto's ECDSA takes the raw r||s signature that COSE and JWS carry: no DER conversion.
import {b64uEncode, sha256, utf8Encode} from './bytes.js';

const OID_EC = '1.2.840.10045.2.1';
const OID_RSA = '1.2.840.113549.1.1.1';
const CURVES = {'1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521'};
const CURVE_BYTES = {'P-256': 32, 'P-384': 48, 'P-521': 66};
// RFC 9053 §2.1 / RFC 8230 §2: COSE algorithm ids
export const ALG = {ES256: -7, ES384: -35, ES512: -36, PS256: -37};
const EC_HASH = {[-7]: 'SHA-256', [-35]: 'SHA-384', [-36]: 'SHA-512'};

/**
 * Import a SubjectPublicKeyInfo for verification; null when WebCrypto cannot use it.
 * @returns {Promise<{kind: 'ec'|'rsa', curve?: string, key: CryptoKey}|null>}
 */
export async function importSpki(spki, keyAlgorithm, curveOid) {
  try {
    if (keyAlgorithm === OID_EC && CURVES[curveOid]) {
      const curve = CURVES[curveOid];
      const key = await crypto.subtle.importKey('spki', spki, {name: 'ECDSA', namedCurve: curve},
                                                false, ['verify']);
      return {kind: 'ec', curve, key};
    }
    if (keyAlgorithm === OID_RSA) {
      const key = await crypto.subtle.importKey('spki', spki, {name: 'RSA-PSS', hash: 'SHA-256'},
                                                false, ['verify']);
      return {kind: 'rsa', key};
    }
  } catch { /* a key WebCrypto refuses is a key that verifies nothing */ }
  return null;
}

/** True when `signature` over `data` verifies with `pub` under COSE algorithm `alg`. */
export async function verifyCose(pub, alg, signature, data) {
  if (!pub) return false;
  try {
    if (pub.kind === 'ec' && EC_HASH[alg]) {
      // RFC 9053 §2.1: r||s, each the size of the curve
      if (signature.length !== 2 * CURVE_BYTES[pub.curve]) return false;
      return await crypto.subtle.verify({name: 'ECDSA', hash: EC_HASH[alg]}, pub.key, signature, data);
    }
    if (pub.kind === 'rsa' && alg === ALG.PS256) {
      // RFC 8230 §2: PSS with SHA-256, MGF1 SHA-256, salt of 32 bytes
      return await crypto.subtle.verify({name: 'RSA-PSS', saltLength: 32}, pub.key, signature, data);
    }
  } catch { /* malformed signature */ }
  return false;
}

/** ES256 (RFC 7518 §3.4): a 64-byte r||s; anything else (e.g. DER) is a format error. */
export async function verifyEs256(key, signature, data) {
  if (signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify({name: 'ECDSA', hash: 'SHA-256'}, key, signature, data);
  } catch {
    return false;
  }
}

/** An EC P-256 public JWK as a verification key; null when it is not one. */
export async function importJwk(jwk) {
  if (!jwk || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    return null;
  }
  try {
    return await crypto.subtle.importKey('jwk', {kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y},
                                         {name: 'ECDSA', namedCurve: 'P-256'}, true, ['verify']);
  } catch {
    return null;
  }
}

/** RFC 7638 §3.2: the JWK thumbprint (what SMART Health Cards use as the kid). */
export async function jwkThumbprint(jwk) {
  const canonical = `{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}","y":"${jwk.y}"}`;
  return b64uEncode(await sha256(utf8Encode(canonical)));
}
