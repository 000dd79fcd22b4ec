// The verifier's lists on the device: synced from the server when there is a network, kept in
// IndexedDB so that scanning works with none. Every list is verified against the pinned national
// root when it arrives and again when it is loaded; an older list never replaces a newer one.
import {b64decode} from './bytes.js';
import {PINNED_ROOT_SHA256} from './pinned-root.js';
import {freshness} from './policy.js';
import {TrustListInvalid, parseRevocationList, parseTrustList, rootKey} from './trust.js';
import {fingerprint, issuersFromTrustList} from './index.js';

const DB_NAME = 'ssk-verifier';
const STORE = 'kv';

export class VerifierSyncError extends Error {
  constructor(code, message) {
    super(message ?? code);
    this.name = 'VerifierSyncError';
    this.code = code; // offline | root_mismatch | root_changed | rollback | invalid | http
  }
}

/** A tiny key-value store on IndexedDB (the lists are public data: no private cache). */
export function idbBackend(name = DB_NAME) {
  let opening = null;
  const open = () => (opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  }));
  const run = async (mode, fn) => {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
    });
  };
  return {
    get: (key) => run('readonly', (s) => s.get(key)),
    set: (key, value) => run('readwrite', (s) => s.put(value, key)),
  };
}

/** The same interface in memory (tests, and browsers without IndexedDB). */
export function memoryBackend() {
  const m = new Map();
  return {get: async (k) => structuredClone(m.get(k)), set: async (k, v) => { m.set(k, structuredClone(v)); }};
}

const LISTS = [
  {name: 'trust', path: '/trust-list', parse: parseTrustList},
  {name: 'revocations', path: '/revocation-list', parse: parseRevocationList},
];

export class VerifierStore {
  constructor({backend = idbBackend(), fetch = (...a) => globalThis.fetch(...a), base = '/api/v1',
               pinnedRootSha256 = PINNED_ROOT_SHA256} = {}) {
    Object.assign(this, {backend, fetch, base, pinnedRootSha256});
  }

  async _get(path, etag) {
    const headers = {Accept: 'application/jose, application/json'};
    if (etag) headers['If-None-Match'] = etag;
    try {
      // no-store: this store is the cache; the server's ETag makes an unchanged list a 304
      return await this.fetch(`${this.base}${path}`, {headers, cache: 'no-store', credentials: 'omit'});
    } catch {
      throw new VerifierSyncError('offline');
    }
  }

  /** Pin the root on the first sync; afterwards only refresh the policy, never the root. */
  async _syncConfig() {
    const stored = await this.backend.get('config');
    let res;
    try {
      res = await this._get('/verifier-config');
    } catch (e) {
      if (stored) return stored;
      throw e;
    }
    if (!res.ok) {
      if (stored) return stored;
      throw new VerifierSyncError('http', `verifier-config: HTTP ${res.status}`);
    }
    const config = await res.json();
    const actual = await fingerprint(config.root_certificate);
    if (actual !== config.root_sha256 || (this.pinnedRootSha256 && actual !== this.pinnedRootSha256)) {
      throw new VerifierSyncError('root_mismatch', 'the server offers a root this app does not pin');
    }
    if (stored && stored.root_sha256 !== actual) {
      throw new VerifierSyncError('root_changed', 'the national root changed: reset the verifier to accept it');
    }
    const next = {...config, pinnedAt: stored?.pinnedAt ?? Date.now()};
    await this.backend.set('config', next);
    return next;
  }

  /**
   * Fetch what changed. Each list that the server confirms (200 or 304) counts as synced now.
   * @returns {Promise<{changed: string[]}>}
   * @throws {VerifierSyncError}
   */
  async sync({now = Date.now()} = {}) {
    const config = await this._syncConfig();
    const key = await rootKey(b64decode(config.root_certificate));
    const changed = [];
    for (const list of LISTS) {
      const stored = await this.backend.get(list.name);
      const res = await this._get(list.path, stored?.etag);
      if (res.status === 304 && stored) {
        await this.backend.set(list.name, {...stored, syncedAt: now});
        continue;
      }
      if (!res.ok) throw new VerifierSyncError('http', `${list.path}: HTTP ${res.status}`);
      const jws = await res.text();
      let parsed;
      try {
        parsed = await list.parse(jws, key);
      } catch (e) {
        throw new VerifierSyncError('invalid', e instanceof TrustListInvalid ? e.message : String(e));
      }
      if (stored && parsed.version < stored.version) {
        throw new VerifierSyncError('rollback', `${list.path}: older than the one this device holds`);
      }
      await this.backend.set(list.name, {jws, etag: res.headers.get('ETag'), syncedAt: now,
                                         issuedAt: parsed.issuedAt, version: parsed.version});
      changed.push(list.name);
    }
    return {changed};
  }

  /** When the lists were last confirmed, and the policy: for the freshness line. */
  async status({now = Date.now()} = {}) {
    const [config, trust, revocations] = await Promise.all(
      [this.backend.get('config'), this.backend.get('trust'), this.backend.get('revocations')]);
    const syncedAt = trust && revocations ? Math.min(trust.syncedAt, revocations.syncedAt) : null;
    return {config, syncedAt,
            fresh: freshness(syncedAt, {now, warnAfterHours: config?.warn_after_hours,
                                        refuseAfterHours: config?.refuse_after_hours})};
  }

  /**
   * The lists ready to verify with (signatures checked again), or null before the first sync.
   * @returns {Promise<{trust, revoked: Set<string>, issuers, config, syncedAt}|null>}
   */
  async load({now = Date.now()} = {}) {
    const {config, syncedAt} = await this.status({now});
    if (!config || !syncedAt) return null;
    const key = await rootKey(b64decode(config.root_certificate));
    const trust = await parseTrustList((await this.backend.get('trust')).jws, key);
    const revocations = await parseRevocationList((await this.backend.get('revocations')).jws, key);
    await trust.warm();
    const issuers = await issuersFromTrustList(trust, {country: config.country, issuerUrl: config.issuer_url, now});
    return {trust, revoked: revocations.hashes, issuers, config, syncedAt};
  }
}
