// EU DCC / HCERT ("HC1:") verification, stage for stage as signing/hcert.py verify_hcert:
// prefix -> Base45 -> zlib -> COSE_Sign1 -> kid and signature -> CWT -> key usage, time window,
// schema, revocation. Nothing in the payload is trusted (or shown) before the signature verifies.
import {b45decode} from './base45.js';
import {codePoints, hex, sha256, utf8Encode} from './bytes.js';
import {CborFloat, Tagged, decode, sigStructure} from './cbor.js';
import {inflate} from './inflate.js';
import {verifyCose} from './keys.js';
import {verdict} from './verdict.js';

export const HC1_PREFIX = 'HC1:'; // HCERT spec §4.1 (context identifier, version 1)
const MAX_DECOMPRESSED = 64 * 1024; // a passport is < 1 KB
const COSE_SIGN1_TAG = 18; // RFC 9052 §4.2
const CWT_TAG = 61; // RFC 8392 §6: a CWT may wrap the COSE message (EU vector CO28)
const HDR_ALG = 1; // RFC 9052 §3.1
const HDR_KID = 4;
const CLAIM_ISS = 1; // RFC 8392 §3.1
const CLAIM_EXP = 4;
const CLAIM_IAT = 6;
const CLAIM_HCERT = -260; // HCERT spec §2.6.4
const HCERT_EU_DCC_V1 = 1;

const isBytes = (x) => x instanceof Uint8Array;
const isNumber = (x) => (typeof x === 'number' || typeof x === 'bigint' || x instanceof CborFloat);
const num = (x) => (x instanceof CborFloat ? x.value : Number(x));

/** Parse a COSE_Sign1 (tagged 18, untagged, or tag 61 around tag 18). @throws {Error} */
export function decodeSign1(bytes) {
  let obj = decode(bytes);
  if (obj instanceof Tagged && obj.tag === CWT_TAG) obj = obj.value;
  if (obj instanceof Tagged) {
    if (obj.tag !== COSE_SIGN1_TAG) throw new Error(`CBOR tag ${obj.tag} is not COSE_Sign1`);
    obj = obj.value;
  }
  if (!Array.isArray(obj) || obj.length !== 4) throw new Error('COSE_Sign1 must be an array of 4');
  const [prot, unprotected, payload, signature] = obj;
  if (!(isBytes(prot) && isBytes(payload) && isBytes(signature) && unprotected instanceof Map)) {
    throw new Error('COSE_Sign1 element of the wrong type');
  }
  const header = prot.length ? decode(prot) : new Map();
  if (!(header instanceof Map)) throw new Error('protected header is not a map');
  // RFC 9052 §3: the protected bucket wins; EU DCC lets the kid sit in the unprotected one
  const kid = header.has(HDR_KID) ? header.get(HDR_KID) : unprotected.get(HDR_KID);
  const alg = header.has(HDR_ALG) ? header.get(HDR_ALG) : unprotected.get(HDR_ALG);
  return {protected: prot, payload, signature, alg, kid: isBytes(kid) ? kid : null};
}

/** cbor maps to plain objects and arrays (what the DCC JSON schema speaks of). */
function plain(x) {
  if (x instanceof Map) {
    const out = {};
    for (const [k, v] of x) out[String(k)] = plain(v);
    return out;
  }
  if (Array.isArray(x)) return x.map(plain);
  return x;
}

const isDict = (x) => x !== null && typeof x === 'object' && x.constructor === Object;

/** CWT claims; exp and iat are required (HCERT spec §2.6.2-2.6.3). @throws {Error} */
export function decodeClaims(bytes) {
  const claims = decode(bytes);
  if (!(claims instanceof Map)) throw new Error('CWT payload is not a map');
  const exp = claims.get(CLAIM_EXP);
  const iat = claims.get(CLAIM_IAT);
  if (!isNumber(exp) || !isNumber(iat)) throw new Error('CWT exp/iat missing or not numeric');
  const hcert = claims.get(CLAIM_HCERT);
  if (!(hcert instanceof Map) || !(hcert.get(HCERT_EU_DCC_V1) instanceof Map)) throw new Error('no -260/1');
  const iss = claims.get(CLAIM_ISS);
  // Python's int(): toward zero
  return {issuer: typeof iss === 'string' ? iss : null, issuedAt: Math.trunc(num(iat)),
          expiresAt: Math.trunc(num(exp)), dcc: plain(hcert.get(HCERT_EU_DCC_V1))};
}

// ---- the DCC JSON schema 1.3.x rules a verifier needs (signing/hcert.py check_dcc_structure)
const DATE = /^\d{4}-\d{2}-\d{2}/;
const DOB = /^((19|20)\d\d(-\d\d){0,2}){0,1}$/;
const VER = /^\d+.\d+.\d+$/;
const COUNTRY = /[A-Z]{1,10}/; // schema "country_vt" (unanchored, as published)
const TRANSLIT = /^[A-Z<]*$/;
const REQUIRED = {v: ['tg', 'vp', 'mp', 'ma', 'dn', 'sd', 'dt', 'co', 'is', 'ci'],
                  t: ['tg', 'tt', 'sc', 'tr', 'co', 'is', 'ci'], r: ['tg', 'fr', 'co', 'is', 'df', 'du', 'ci']};
const DATES = {v: ['dt'], t: [], r: ['fr', 'df', 'du']};
const STRINGS_80 = ['is', 'ci', 'nm', 'tc'];
const VALUE_SET_FIELDS = {v: ['tg', 'vp', 'mp', 'ma', 'co'], t: ['tg', 'tt', 'ma', 'tr', 'co'], r: ['tg', 'co']};

/** null when the payload conforms, else a short description of what does not. */
export function checkDccStructure(dcc, valueSets = null) {
  if (!isDict(dcc)) return 'payload is not an object';
  if (typeof dcc.ver !== 'string' || !VER.test(dcc.ver)) return 'ver';
  const nam = dcc.nam;
  if (!isDict(nam) || !('fnt' in nam || 'gnt' in nam)) return 'nam';
  for (const k of ['fn', 'fnt', 'gn', 'gnt']) {
    if (k in nam && (typeof nam[k] !== 'string' || codePoints(nam[k]) > 80
                     || (k.endsWith('t') && !TRANSLIT.test(nam[k])))) return `nam.${k}`;
  }
  if (typeof dcc.dob !== 'string' || !DOB.test(dcc.dob)) return 'dob';
  const groups = ['v', 't', 'r'].filter((g) => g in dcc);
  if (groups.length !== 1) return 'exactly one of v, t, r';
  const [group] = groups;
  const entries = dcc[group];
  if (!Array.isArray(entries) || entries.length !== 1 || !isDict(entries[0])) return `${group}: exactly one entry`;
  const entry = entries[0];
  for (const k of REQUIRED[group]) if (!(k in entry)) return `${group}.${k} missing`;
  for (const [k, v] of Object.entries(entry)) {
    if (k === 'dn' || k === 'sd') {
      const int = (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
      if (!int || v < 1) return `${group}.${k}`;
    } else if (typeof v !== 'string') {
      return `${group}.${k} not a string`;
    }
  }
  for (const k of DATES[group]) if (!DATE.test(entry[k])) return `${group}.${k} not a date`;
  if (!COUNTRY.test(entry.co)) return `${group}.co`;
  for (const k of STRINGS_80) if (codePoints(entry[k] ?? '') > 80) return `${group}.${k} too long`;
  if (valueSets) {
    for (const k of VALUE_SET_FIELDS[group]) {
      const allowed = valueSets[k];
      if (allowed && k in entry && !allowed.has(entry[k])) return `${group}.${k} not in its value set`;
    }
  }
  return null;
}

function holder(dcc) {
  const nam = isDict(dcc.nam) ? dcc.nam : {};
  const parts = [nam.fn || nam.fnt, nam.gn || nam.gnt].filter((p) => typeof p === 'string' && p);
  const doses = (Array.isArray(dcc.v) ? dcc.v : []).filter(isDict).map((e) => ({
    dose_number: e.dn ?? null, series_doses: e.sd ?? null, date: e.dt ?? null, product: e.mp ?? null}));
  return {name: parts.join(' ') || null, dob: typeof dcc.dob === 'string' ? dcc.dob : null, doses};
}

/** SHA-256 of a UVCI as hex: the revocation list entry (EU DCC revocation, hash type UCI). */
export async function uvciHash(uvci) {
  return hex(await sha256(utf8Encode(uvci)));
}

/**
 * Verify an "HC1:" string.
 * @param {string} text
 * @param {import('./trust.js').TrustList} trust
 * @param {{has(hash: string): boolean}} revoked hex SHA-256 hashes of revoked UVCIs
 * @param {{now: number, valueSets?: object}} options now in ms since the epoch
 */
export async function verifyHcert(text, trust, revoked, {now, valueSets = null}) {
  if (typeof text !== 'string' || !text.startsWith(HC1_PREFIX)) return verdict('not_a_passport', 'prefix');
  let compressed;
  try {
    compressed = b45decode(text.slice(HC1_PREFIX.length));
  } catch {
    return verdict('not_a_passport', 'base45');
  }
  let coseBytes;
  try {
    coseBytes = await inflate(compressed, 'deflate', MAX_DECOMPRESSED);
  } catch {
    return verdict('not_a_passport', 'zlib');
  }
  let msg;
  try {
    msg = decodeSign1(coseBytes);
  } catch {
    return verdict('not_a_passport', 'cose');
  }
  const candidates = trust.candidates(msg.kid);
  if (!candidates.length) return verdict('unknown_signer', 'unknown_kid');
  const toBeSigned = sigStructure(msg.protected, msg.payload);
  let signer = null;
  for (const c of candidates) {
    if (await verifyCose(await c.publicKey(), msg.alg, msg.signature, toBeSigned)) {
      signer = c;
      break;
    }
  }
  if (!signer) return verdict('invalid_signature', 'signature');
  let claims;
  try {
    claims = decodeClaims(msg.payload);
  } catch {
    return verdict('not_a_passport', 'cwt'); // signed, but not a health certificate CWT
  }
  const {dcc} = claims;
  const who = holder(dcc);
  const certType = ['v', 't', 'r'].find((g) => g in dcc) ?? null;
  if (certType && !signer.allows(certType)) return verdict('unknown_signer', 'key_usage', who);
  const ts = now / 1000;
  if (ts > claims.expiresAt) return verdict('expired', 'exp', who); // valid up to and including exp
  if (ts < claims.issuedAt) return verdict('expired', 'iat', who);
  if (!signer.validAt(now)) return verdict('expired', 'signer_validity', who);
  if (checkDccStructure(dcc, valueSets) !== null) return verdict('not_a_passport', 'schema');
  for (const entry of dcc[certType]) {
    if (typeof entry.ci === 'string' && revoked.has(await uvciHash(entry.ci))) {
      return verdict('revoked', 'revoked', who);
    }
  }
  return verdict('valid', 'ok', who);
}
