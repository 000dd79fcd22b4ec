// The verifier's device store: first sync pins the national root, lists are verified against it,
// an unchanged list is a 304, an older or foreign-signed list never replaces the one held, and
// freshness turns "valid" into "cannot confirm" past the hard limit. The server is a stand-in
// fetch answering with lists signed here by WebCrypto (the network edge, not our own code).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {VerifierStore, memoryBackend} from '../../pwa/src/verifier/store.js';
import {applyFreshness, b64uEncode, hex, sha256, verifyPassport} from '../../pwa/src/verifier/index.js';

const HOUR = 3600 * 1000;
const NOW = Date.UTC(2026, 10, 23, 3, 0);
const ISSUER = 'https://ssk.example.vn';

// ---- a few DER pieces (X.690), enough for certificates our reader accepts
const len = (n) => (n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);
const node = (tag, ...parts) => {
  const body = parts.flatMap((p) => [...p]);
  return Uint8Array.from([tag, ...len(body.length), ...body]);
};
const seq = (...p) => node(0x30, ...p);
const oid = (bytes) => node(0x06, bytes);
const OID_CN = [0x55, 0x04, 0x03];
const OID_C = [0x55, 0x04, 0x06];
const ECDSA_SHA256 = oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);
const name = (country, cn) => seq(node(0x31, seq(oid(OID_C), node(0x13, new TextEncoder().encode(country)))),
                                  node(0x31, seq(oid(OID_CN), node(0x0c, new TextEncoder().encode(cn)))));
const utcTime = (ms) => node(0x17, new TextEncoder().encode(
  new Date(ms).toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));

async function keyPair() {
  return crypto.subtle.generateKey({name: 'ECDSA', namedCurve: 'P-256'}, true, ['sign', 'verify']);
}

/** A certificate (the reader checks no certificate signature: a placeholder one is enough). */
async function certificate(pair, {country = 'VN', cn = 'test', from = NOW - 24 * HOUR, days = 730} = {}) {
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  const tbs = seq(node(0xa0, node(0x02, [2])), node(0x02, [1]), seq(ECDSA_SHA256), name(country, cn),
                  seq(utcTime(from), utcTime(from + days * 24 * HOUR)), name(country, cn), spki);
  return seq(tbs, seq(ECDSA_SHA256), node(0x03, [0, 0x30, 0x00]));
}

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const enc = (obj) => b64uEncode(new TextEncoder().encode(JSON.stringify(obj)));

async function jws(header, payloadBytes, privateKey) {
  const input = `${enc(header)}.${b64uEncode(payloadBytes)}`;
  const sig = new Uint8Array(await crypto.subtle.sign({name: 'ECDSA', hash: 'SHA-256'}, privateKey,
                                                      new TextEncoder().encode(input)));
  return `${input}.${b64uEncode(sig)}`;
}

/** The server side of it: a root, a DSC, revoked hashes, and the three endpoints. */
async function nationalServer() {
  const root = await keyPair();
  const dsc = await keyPair();
  const s = {root, dsc, rootDer: await certificate(root, {cn: 'CSCA VN'}), dscDer: await certificate(dsc, {cn: 'DSC VN'}),
             revoked: [], version: 1000, calls: []};
  s.sign = (typ, body, key = s.root.privateKey) => jws({alg: 'ES256', typ, kid: 'root'},
                                                        new TextEncoder().encode(JSON.stringify(body)), key);
  s.trustList = (version = s.version) => s.sign('ssk-trustlist+jws', {version, issued_at: new Date(NOW).toISOString(),
    certificates: [{kid: '', country: 'VN', certificate: b64(s.dscDer)}]});
  s.revocationList = (version = s.version) => s.sign('ssk-revocation+jws', {version, issued_at: new Date(NOW).toISOString(),
    hash_type: 'UCI', hashes: s.revoked});
  s.fetch = async (url, init) => {
    s.calls.push({url, ifNoneMatch: init.headers['If-None-Match'] ?? null, cache: init.cache});
    if (s.offline) throw new TypeError('Failed to fetch');
    if (url.endsWith('/verifier-config')) {
      return Response.json({root_certificate: b64(s.rootDer), root_sha256: hex(await sha256(s.rootDer)),
                            root_kid: 'root', country: 'VN', issuer_url: ISSUER, warn_after_hours: 24,
                            refuse_after_hours: 72});
    }
    const isTrust = url.endsWith('/trust-list');
    const etag = `W/"${isTrust ? 't' : 'r'}-${s.version}-${s.revoked.length}"`;
    if (init.headers['If-None-Match'] === etag) return new Response(null, {status: 304, headers: {ETag: etag}});
    const body = await (s.override?.(isTrust) ?? (isTrust ? s.trustList() : s.revocationList()));
    return new Response(body, {status: 200, headers: {ETag: etag, 'Content-Type': 'application/jose'}});
  };
  return s;
}

/** A SMART Health Card signed by the DSC (JWS, zip DEF, kid = JWK thumbprint). */
async function card(s, {iss = ISSUER} = {}) {
  const payload = {iss, nbf: NOW / 1000 - 60, vc: {type: ['https://smarthealth.cards#health-card'],
    credentialSubject: {fhirVersion: '4.0.1', fhirBundle: {resourceType: 'Bundle', type: 'collection', entry: [
      {fullUrl: 'resource:0', resource: {resourceType: 'Patient', name: [{family: 'Nguyễn', given: ['Văn', 'An']}], birthDate: '1990-05-17'}},
      {fullUrl: 'resource:1', resource: {resourceType: 'Immunization', status: 'completed',
        vaccineCode: {coding: [{system: 'http://hl7.org/fhir/sid/cvx', code: '208'}]},
        patient: {reference: 'resource:0'}, occurrenceDateTime: '2026-10-01'}}]}}}};
  const raw = new Blob([JSON.stringify(payload)]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const deflated = new Uint8Array(await new Response(raw).arrayBuffer());
  const {kty, crv, x, y} = await crypto.subtle.exportKey('jwk', s.dsc.publicKey);
  const kid = b64uEncode(await sha256(new TextEncoder().encode(JSON.stringify({crv, kty, x, y}))));
  const token = await jws({zip: 'DEF', alg: 'ES256', kid}, deflated, s.dsc.privateKey);
  return 'shc:/' + [...token].map((c) => String(c.charCodeAt(0) - 45).padStart(2, '0')).join('');
}

test('the first sync pins the root and a card verifies offline from the stored lists', async () => {
  const s = await nationalServer();
  const store = new VerifierStore({backend: memoryBackend(), fetch: s.fetch});
  assert.equal(await store.load({now: NOW}), null); // nothing yet: the screen says "sync once"
  assert.deepEqual((await store.sync({now: NOW})).changed, ['trust', 'revocations']);
  assert.ok(s.calls.every((c) => c.cache === 'no-store'));
  s.offline = true;
  const lists = await store.load({now: NOW + HOUR});
  assert.equal(lists.trust.entries.length, 1);
  const v = await verifyPassport(await card(s), {...lists, now: NOW + HOUR});
  assert.equal(v.status, 'valid');
  assert.equal(v.name, 'Nguyễn Văn An');
  assert.deepEqual(v.doses, [{dose_number: null, series_doses: null, date: '2026-10-01', product: '208'}]);
  const other = await verifyPassport(await card(s, {iss: 'https://elsewhere.example'}), {...lists, now: NOW + HOUR});
  assert.equal(other.status, 'unknown_signer'); // our key, another issuer's name on it
  await assert.rejects(store.sync({now: NOW + HOUR}), {code: 'offline'});
});

test('an unchanged list is revalidated with its ETag and counts as fresh again', async () => {
  const s = await nationalServer();
  const store = new VerifierStore({backend: memoryBackend(), fetch: s.fetch});
  await store.sync({now: NOW});
  s.calls.length = 0;
  assert.deepEqual((await store.sync({now: NOW + 30 * HOUR})).changed, []);
  assert.deepEqual(s.calls.slice(1).map((c) => c.ifNoneMatch), ['W/"t-1000-0"', 'W/"r-1000-0"']);
  const {syncedAt, fresh} = await store.status({now: NOW + 31 * HOUR});
  assert.equal(syncedAt, NOW + 30 * HOUR);
  assert.equal(fresh.level, 'fresh');
  s.revoked = ['ab'.repeat(32)];
  s.version = 1001;
  assert.deepEqual((await store.sync({now: NOW + 32 * HOUR})).changed, ['trust', 'revocations']);
  assert.ok((await store.load({now: NOW + 32 * HOUR})).revoked.has('ab'.repeat(32)));
});

test('freshness: a warning after a day, and never "valid" past three days', async () => {
  const s = await nationalServer();
  const store = new VerifierStore({backend: memoryBackend(), fetch: s.fetch});
  await store.sync({now: NOW});
  assert.equal((await store.status({now: NOW + 25 * HOUR})).fresh.level, 'stale');
  const old = (await store.status({now: NOW + 73 * HOUR})).fresh;
  assert.equal(old.level, 'too_old');
  const lists = await store.load({now: NOW + 73 * HOUR});
  const v = await verifyPassport(await card(s), {...lists, now: NOW + 73 * HOUR});
  assert.equal(v.status, 'valid');
  assert.deepEqual(applyFreshness(v, old).status, 'cannot_confirm');
  assert.equal(applyFreshness(v, old).reason, 'lists_too_old');
  const revoked = {...v, status: 'revoked'};
  assert.equal(applyFreshness(revoked, old), revoked); // a "no" from old lists is still a "no"
  assert.equal(applyFreshness(v, {level: 'none'}).reason, 'no_lists');
});

test('a list signed by another key, an older list, or another root never replaces the lists held', async () => {
  const s = await nationalServer();
  const store = new VerifierStore({backend: memoryBackend(), fetch: s.fetch});
  await store.sync({now: NOW});
  const before = await store.load({now: NOW});
  // forged: signed by the DSC, not the root
  s.version = 1001;
  s.override = (isTrust) => (isTrust ? s.sign('ssk-trustlist+jws', {version: 1001, issued_at: new Date(NOW).toISOString(), certificates: []}, s.dsc.privateKey) : null);
  await assert.rejects(store.sync({now: NOW + HOUR}), {code: 'invalid'});
  // replayed: an older version, properly signed
  s.override = (isTrust) => (isTrust ? s.trustList(999) : null);
  await assert.rejects(store.sync({now: NOW + HOUR}), {code: 'rollback'});
  const after = await store.load({now: NOW + HOUR});
  assert.equal(after.trust.entries.length, before.trust.entries.length);
  assert.equal(after.syncedAt, NOW);
  // the server now offers another root: refused, the pinned one stays
  s.override = null;
  s.root = await keyPair();
  s.rootDer = await certificate(s.root, {cn: 'another root'});
  await assert.rejects(store.sync({now: NOW + 2 * HOUR}), {code: 'root_changed'});
});

test('a root pinned in the build refuses any other root, even on the first sync', async () => {
  const s = await nationalServer();
  const store = new VerifierStore({backend: memoryBackend(), fetch: s.fetch, pinnedRootSha256: '00'.repeat(32)});
  await assert.rejects(store.sync({now: NOW}), {code: 'root_mismatch'});
  const right = new VerifierStore({backend: memoryBackend(), fetch: s.fetch,
                                   pinnedRootSha256: hex(await sha256(s.rootDer))});
  assert.deepEqual((await right.sync({now: NOW})).changed, ['trust', 'revocations']);
});
