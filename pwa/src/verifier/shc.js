// SMART Health Card ("shc:/") verification, stage for stage as signing/shc.py verify_shc.
import {utf8Decode} from './bytes.js';
import {inflate} from './inflate.js';
import {splitCompact} from './jws.js';
import {importJwk, verifyEs256} from './keys.js';
import {verdict} from './verdict.js';

export const SHC_PREFIX = 'shc:/'; // SHC "Encoding Chunks as QR codes"
export const HEALTH_CARD_TYPE = 'https://smarthealth.cards#health-card';
const NUMERIC_OFFSET = 45; // SHC: each JWS char c -> two digits of ord(c) - 45
const MAX_INFLATED = 256 * 1024;
const CHUNKED = /^shc:\/(\d+)\/(\d+)\//;

/** "shc:/" + two digits per character -> the JWS. @throws {Error} */
export function numericDecode(text) {
  const digits = text.slice(SHC_PREFIX.length);
  if (digits.length % 2 || !/^[0-9]*$/.test(digits)) throw new Error('numeric QR must be an even number of digits');
  let out = '';
  for (let i = 0; i < digits.length; i += 2) {
    const pair = Number(digits.slice(i, i + 2));
    if (pair > 122 - NUMERIC_OFFSET) throw new Error('numeric QR pair above 77');
    out += String.fromCharCode(pair + NUMERIC_OFFSET);
  }
  return out;
}

const isDict = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
const isNum = (x) => typeof x === 'number' || typeof x === 'boolean'; // Python: bool is an int

function holder(payload) {
  const entries = payload?.vc?.credentialSubject?.fhirBundle?.entry;
  let name = null;
  let dob = null;
  const doses = [];
  for (const e of Array.isArray(entries) ? entries : []) {
    const r = isDict(e) && isDict(e.resource) ? e.resource : {};
    if (r.resourceType === 'Patient') {
      const n = (Array.isArray(r.name) && r.name[0]) || {};
      name = [n.family ?? '', ...(Array.isArray(n.given) ? n.given : [])].join(' ').trim() || null;
      dob = r.birthDate ?? null;
    } else if (r.resourceType === 'Immunization') {
      const coding = (Array.isArray(r.vaccineCode?.coding) && r.vaccineCode.coding[0]) || {};
      doses.push({dose_number: null, series_doses: null, date: r.occurrenceDateTime ?? null,
                  product: coding.code ?? null});
    }
  }
  return {name, dob, doses};
}

/** The payload rules (SHC "Health Cards are encoded as Compact Serialization JWS"); null = fine. */
export function checkShcPayload(payload, {now}) {
  if (!isDict(payload) || typeof payload.iss !== 'string') return verdict('not_a_passport', 'schema');
  const vc = payload.vc;
  const types = isDict(vc) ? vc.type : null;
  const typed = Array.isArray(types) ? types.includes(HEALTH_CARD_TYPE)
    : typeof types === 'string' && types.includes(HEALTH_CARD_TYPE);
  if (!isDict(vc) || !typed || !isDict(vc.credentialSubject ?? {}) || !isDict(vc.credentialSubject?.fhirBundle)) {
    return verdict('not_a_passport', 'schema');
  }
  const {nbf, exp} = payload;
  if (!isNum(nbf)) return verdict('not_a_passport', 'schema');
  const ts = now / 1000;
  if (exp !== undefined && exp !== null) {
    // RFC 7519 §4.1.4: NumericDate is seconds; a value in milliseconds is malformed
    if (!isNum(exp) || exp > 1e11) return verdict('not_a_passport', 'exp');
    if (ts > exp) return verdict('expired', 'exp', holder(payload));
  }
  if (nbf > ts) return verdict('expired', 'nbf', holder(payload));
  return null;
}

/**
 * Issuer key sets: either one set {keys: [...]} trusted for any iss, or {issuerUrl: {keys}}, when
 * the signing key must belong to the card's iss. Keys are imported once per set.
 */
export class IssuerKeys {
  constructor(jwks) {
    this.byKid = new Map(); // kid -> {iss, jwk, key: Promise<CryptoKey|null>}
    const sets = Array.isArray(jwks?.keys) ? [[null, jwks]] : Object.entries(jwks ?? {});
    for (const [iss, set] of sets) {
      for (const jwk of Array.isArray(set?.keys) ? set.keys : []) {
        if (typeof jwk?.kid === 'string' && !this.byKid.has(jwk.kid)) this.byKid.set(jwk.kid, {iss, jwk, key: null});
      }
    }
  }

  get(kid) {
    const found = this.byKid.get(kid);
    if (found) found.key ??= importJwk(found.jwk);
    return found;
  }
}

/**
 * Verify a "shc:/" QR text or a bare compact JWS.
 * @param {string} text
 * @param {IssuerKeys} issuers
 * @param {{now: number, revokedRids?: Object<string, string[]>}} options
 */
export async function verifyShc(text, issuers, {now, revokedRids = {}}) {
  if (typeof text !== 'string') return verdict('not_a_passport', 'prefix');
  if (text !== text.trim() || text.startsWith('\ufeff')) return verdict('not_a_passport', 'trailing');
  let jws;
  if (text.startsWith(SHC_PREFIX)) {
    const chunk = CHUNKED.exec(text);
    if (chunk) return verdict('not_a_passport', Number(chunk[2]) <= 1 ? 'prefix' : 'chunked');
    try {
      jws = numericDecode(text);
    } catch {
      return verdict('not_a_passport', 'numeric');
    }
  } else if (text.startsWith('shc:')) {
    return verdict('not_a_passport', 'prefix');
  } else {
    jws = text;
  }
  let parts;
  try {
    parts = splitCompact(jws);
  } catch {
    return verdict('not_a_passport', 'jws');
  }
  const {header, payload: deflated, signature, signingInput} = parts;
  if (header.alg !== 'ES256' || header.zip !== 'DEF' || typeof header.kid !== 'string') {
    return verdict('not_a_passport', 'header');
  }
  // structure first (nothing is shown before the signature verifies)
  let raw;
  try {
    raw = await inflate(deflated, 'deflate-raw', MAX_INFLATED);
  } catch {
    return verdict('not_a_passport', 'deflate');
  }
  if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) return verdict('not_a_passport', 'trailing');
  let json;
  try {
    json = utf8Decode(raw);
  } catch {
    return verdict('not_a_passport', 'json');
  }
  let payload;
  try {
    payload = JSON.parse(json);
  } catch (e) {
    // V8: "Unexpected non-whitespace character after JSON at position N" = Python's "Extra data"
    return verdict('not_a_passport', /after JSON/.test(e.message) ? 'trailing' : 'json');
  }
  if (!isDict(payload)) return verdict('not_a_passport', 'json');
  const found = issuers.get(header.kid);
  if (!found) return verdict('unknown_signer', 'unknown_kid');
  const key = await found.key;
  if (!key) return verdict('unknown_signer', 'unknown_kid');
  if (signature.length !== 64) return verdict('invalid_signature', 'signature_format');
  if (!(await verifyEs256(key, signature, signingInput))) return verdict('invalid_signature', 'signature');
  if (found.iss !== null && payload.iss !== found.iss) return verdict('unknown_signer', 'issuer_kid');
  const bad = checkShcPayload(payload, {now});
  if (bad) return bad;
  const rid = payload.vc.rid;
  for (const entry of revokedRids[header.kid] ?? []) {
    const [ridPart, until] = String(entry).split(/\.(.*)/s);
    if (rid === ridPart && (!until || payload.nbf < Number.parseInt(until, 10))) {
      return verdict('revoked', 'revoked', holder(payload));
    }
  }
  return verdict('valid', 'ok', holder(payload));
}
