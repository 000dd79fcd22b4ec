// The offline verifier: pure ES modules, WebCrypto and DecompressionStream only. Give it a
// trust list, a revocation list and issuer keys; it answers with the same verdicts as the server
// (signing/hcert.py, signing/shc.py).
import {b64decode, b64uEncode, hex, sha256} from './bytes.js';
import {HC1_PREFIX, verifyHcert} from './hcert.js';
import {jwkThumbprint} from './keys.js';
import {IssuerKeys, SHC_PREFIX, verifyShc} from './shc.js';
import {VALUE_SETS} from './valuesets.js';

export {TrustList, TrustedKey, TrustListInvalid, parseRevocationList, parseTrustList, rootKey} from './trust.js';
export {checkDccStructure, decodeSign1, uvciHash, verifyHcert} from './hcert.js';
export {IssuerKeys, numericDecode, verifyShc} from './shc.js';
export {PRODUCT_NAMES, VALUE_SETS} from './valuesets.js';
export {ageParts, applyFreshness, freshness} from './policy.js';
export {STATUSES} from './verdict.js';
export {b64decode, b64uEncode, hex, sha256};

/** "hc1", "shc" or null: the same dispatch as api/certificates/service.py passport_format. */
export function passportFormat(text) {
  if (text.startsWith(HC1_PREFIX)) return 'hc1';
  if (text.startsWith(SHC_PREFIX) || text.split('.').length === 3) return 'shc';
  return null;
}

/**
 * Verify a scanned text.
 * @param {string} text
 * @param {{trust: import('./trust.js').TrustList, revoked: Set<string>, issuers: IssuerKeys,
 *          now?: number, valueSets?: object}} lists
 * @returns {Promise<{status, reason, name, dob, doses, format, ms}>}
 */
export async function verifyPassport(text, {trust, revoked, issuers, now = Date.now(), valueSets = VALUE_SETS}) {
  const t0 = performance.now();
  const format = passportFormat(text);
  let result;
  if (format === 'hc1') result = await verifyHcert(text, trust, revoked, {now, valueSets});
  else if (format === 'shc') result = await verifyShc(text, issuers, {now});
  else result = {status: 'not_a_passport', reason: 'prefix', name: null, dob: null, doses: []};
  return {...result, format, ms: performance.now() - t0};
}

/**
 * Our SMART Health Card keys, from the root-signed trust list (the same DSCs sign both formats):
 * the national signers whose certificate is valid at `now`, bound to our issuer URL. The server's
 * /.well-known/jwks.json holds the same keys; taking them from the signed list means an
 * unsigned download never decides what is trusted.
 */
export async function issuersFromTrustList(trust, {country, issuerUrl, now}) {
  const keys = [];
  for (const e of trust.entries) {
    if (e.country !== country || !e.validAt(now)) continue;
    const pub = await e.publicKey();
    if (!pub || pub.kind !== 'ec' || pub.curve !== 'P-256') continue;
    const exportable = await crypto.subtle.importKey('spki', e.spki, {name: 'ECDSA', namedCurve: 'P-256'}, true, ['verify']);
    const {kty, crv, x, y} = await crypto.subtle.exportKey('jwk', exportable);
    keys.push({kty, crv, x, y, kid: await jwkThumbprint({kty, crv, x, y}), use: 'sig', alg: 'ES256'});
  }
  return new IssuerKeys({[issuerUrl]: {keys}});
}

/** The SHA-256 (hex) of a base64 DER certificate: what the config's root_sha256 must equal. */
export async function fingerprint(b64Der) {
  return hex(await sha256(b64decode(b64Der)));
}
