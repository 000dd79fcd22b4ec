// The trust list (kid -> document signers) and the revocation list, as the PWA holds them, and
// the check that the national root signed them (formats in signing/trustlist.py).
import {b64decode, b64encode, sha256, utf8Decode} from './bytes.js';
import {DCC_EKUS, readCertificate} from './der.js';
import {importSpki, verifyEs256} from './keys.js';
import {splitCompact} from './jws.js';

export const TRUSTLIST_TYP = 'ssk-trustlist+jws';
export const REVOCATION_TYP = 'ssk-revocation+jws';

export class TrustListInvalid extends Error {
  constructor(message) {
    super(message);
    this.name = 'TrustListInvalid';
  }
}

/** One document signer: its key, country, validity and the DCC types it may sign. */
export class TrustedKey {
  constructor({kid, country, notBefore, notAfter, keyUsage, spki, keyAlgorithm, curve, certificate}) {
    Object.assign(this, {kid, country, notBefore, notAfter, keyUsage, spki, keyAlgorithm, curve, certificate});
    this.kidB64 = b64encode(kid);
    this._pub = null;
  }

  /** EU DCC Vol. 1 §3.3.1: the kid is the first 8 bytes of SHA-256 over the DER certificate. */
  static async fromCertificate(der, country = null) {
    const info = readCertificate(der);
    const kid = (await sha256(der)).subarray(0, 8);
    return new TrustedKey({...info, kid, country: country ?? info.country, certificate: der});
  }

  /** WebCrypto key, imported once (a promise shared by every verification). */
  publicKey() {
    this._pub ??= importSpki(this.spki, this.keyAlgorithm, this.curve);
    return this._pub;
  }

  /** EU DCC Vol. 1 §5.1: a DSC with DCC EKUs may sign only those types ('v', 't', 'r'). */
  allows(certType) {
    if (!this.keyUsage.size) return true;
    return (DCC_EKUS[certType] ?? []).some((oid) => this.keyUsage.has(oid));
  }

  validAt(ms) {
    return this.notBefore <= ms && ms <= this.notAfter;
  }
}

/** kid -> signers (several may share a kid: each is tried, EU DCC Vol. 1 §3.3.1). */
export class TrustList {
  constructor(entries = [], {version = 0, issuedAt = null} = {}) {
    this.entries = entries;
    this.version = version;
    this.issuedAt = issuedAt;
    this.byKid = new Map();
    for (const e of entries) {
      const list = this.byKid.get(e.kidB64) ?? [];
      list.push(e);
      this.byKid.set(e.kidB64, list);
    }
  }

  static async fromCertificates(ders, {country = null} = {}) {
    return new TrustList(await Promise.all(ders.map((d) => TrustedKey.fromCertificate(d, country))));
  }

  candidates(kid) {
    return kid ? this.byKid.get(b64encode(kid)) ?? [] : [];
  }

  /** Import every key now, so the first scan does not pay for it. */
  async warm() {
    await Promise.all(this.entries.map((e) => e.publicKey()));
    return this;
  }
}

/** The root's ES256 verification key, from its certificate (DER). */
export async function rootKey(rootCertificateDer) {
  const info = readCertificate(rootCertificateDer);
  const pub = await importSpki(info.spki, info.keyAlgorithm, info.curve);
  if (!pub || pub.kind !== 'ec' || pub.curve !== 'P-256') throw new TrustListInvalid('the root is not an ES256 key');
  return pub.key;
}

/** Verify a root-signed list and return its JSON payload. @throws {TrustListInvalid} */
export async function readSignedList(token, typ, key) {
  let parts;
  try {
    parts = splitCompact(String(token).trim());
  } catch (e) {
    throw new TrustListInvalid(e.message);
  }
  if (parts.header.alg !== 'ES256' || parts.header.typ !== typ) throw new TrustListInvalid(`expected an ES256 ${typ}`);
  if (!(await verifyEs256(key, parts.signature, parts.signingInput))) {
    throw new TrustListInvalid('signature does not verify with the pinned national root');
  }
  let body;
  try {
    body = JSON.parse(utf8Decode(parts.payload));
  } catch {
    throw new TrustListInvalid('payload is not JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new TrustListInvalid('payload is not an object');
  return body;
}

/** The trust list from its signed form. @throws {TrustListInvalid} */
export async function parseTrustList(token, key) {
  const body = await readSignedList(token, TRUSTLIST_TYP, key);
  try {
    const entries = await Promise.all(body.certificates.map(
      (c) => TrustedKey.fromCertificate(b64decode(c.certificate), c.country ?? null)));
    const issuedAt = Date.parse(body.issued_at);
    if (!Number.isFinite(issuedAt) || !Number.isInteger(body.version)) throw new Error('version or issued_at');
    return new TrustList(entries, {version: body.version, issuedAt});
  } catch (e) {
    throw new TrustListInvalid(`trust list content: ${e.message}`);
  }
}

/** The revocation list: a Set of hex SHA-256 hashes of revoked UVCIs. @throws {TrustListInvalid} */
export async function parseRevocationList(token, key) {
  const body = await readSignedList(token, REVOCATION_TYP, key);
  const issuedAt = Date.parse(body.issued_at);
  if (body.hash_type !== 'UCI' || !Array.isArray(body.hashes) || !Number.isFinite(issuedAt)
      || !Number.isInteger(body.version)) {
    throw new TrustListInvalid('revocation list content');
  }
  return {hashes: new Set(body.hashes.map(String)), version: body.version, issuedAt};
}
