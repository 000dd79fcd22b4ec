// The verifier's small parts, where the vectors do not reach: Base45's rejections (RFC 9285 §6),
// CBOR's corners (indefinite lengths, half floats, floats kept apart from integers, truncation),
// DER OIDs, the DCC schema rules, and the freshness policy.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {b45decode} from '../../pwa/src/verifier/base45.js';
import {CborFloat, Tagged, decode, sigStructure} from '../../pwa/src/verifier/cbor.js';
import {oidBytes} from '../../pwa/src/verifier/der.js';
import {ageParts, applyFreshness, checkDccStructure, freshness, passportFormat, verifyPassport, TrustList,
        IssuerKeys} from '../../pwa/src/verifier/index.js';

const bytes = (...b) => Uint8Array.from(b);
const HOUR = 3600e3;

test('base45 decodes RFC 9285 examples and rejects what §6 says to reject', () => {
  assert.equal(new TextDecoder().decode(b45decode('BB8')), 'AB');
  assert.equal(new TextDecoder().decode(b45decode('%69 VD92EX0')), 'Hello!!');
  assert.equal(new TextDecoder().decode(b45decode('UJCLQE7W581')), 'base-45');
  assert.deepEqual(b45decode(''), new Uint8Array(0));
  assert.throws(() => b45decode('GGW'), /triplet above 0xFFFF/); // 65536
  assert.throws(() => b45decode('ZZ'), /final pair above 0xFF/);
  assert.throws(() => b45decode('BB8A'), /3k\+1/);
  assert.throws(() => b45decode('bb8'), /outside the alphabet/);
  assert.throws(() => b45decode('BÄ8'), /outside the alphabet/);
});

test('CBOR: maps keep integer keys, byte strings stay bytes, floats stay floats', () => {
  // {1: -7, 4: h'0102', -260: {1: {"dn": 2, "x": 2.0}}}
  const v = decode(bytes(0xa3, 0x01, 0x26, 0x04, 0x42, 1, 2, 0x39, 0x01, 0x03, 0xa1, 0x01,
                         0xa2, 0x62, 0x64, 0x6e, 0x02, 0x61, 0x78, 0xf9, 0x40, 0x00));
  assert.equal(v.get(1), -7);
  assert.deepEqual(v.get(4), bytes(1, 2));
  const dcc = v.get(-260).get(1);
  assert.equal(dcc.get('dn'), 2);
  assert.ok(dcc.get('x') instanceof CborFloat && dcc.get('x').value === 2);
});

test('CBOR: indefinite lengths, tags, bignums, 64-bit integers', () => {
  assert.deepEqual(decode(bytes(0x9f, 0x01, 0x02, 0xff)), [1, 2]);
  assert.equal(decode(bytes(0xbf, 0x61, 0x61, 0x01, 0xff)).get('a'), 1);
  assert.equal(decode(bytes(0x7f, 0x61, 0x61, 0x61, 0x62, 0xff)), 'ab');
  const tagged = decode(bytes(0xd2, 0x80));
  assert.ok(tagged instanceof Tagged && tagged.tag === 18);
  assert.equal(decode(bytes(0xc2, 0x41, 0x05)), 5); // tag 2 bignum, as cbor2 reads it
  assert.equal(decode(bytes(0x1b, 0, 0, 0, 1, 0, 0, 0, 0)), 2 ** 32);
  assert.equal(typeof decode(bytes(0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)), 'bigint');
  assert.equal(decode(bytes(0x01, 0x02)), 1); // trailing bytes ignored, like cbor2.loads
});

test('CBOR: truncated, reserved or absurdly long input is an error, not a hang', () => {
  assert.throws(() => decode(bytes(0x82, 0x01)), /truncated/);
  assert.throws(() => decode(bytes(0x5a, 0xff, 0xff, 0xff, 0xff)), /truncated/);
  assert.throws(() => decode(bytes(0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)), /too long/);
  assert.throws(() => decode(bytes(0x1c)), /reserved/);
  assert.throws(() => decode(bytes(0x62, 0xff, 0xfe)), TypeError); // invalid UTF-8
  assert.throws(() => decode(new Uint8Array(200).fill(0x81)), /deep|truncated/);
});

test('the Sig_structure is the CBOR of ["Signature1", protected, h\'\', payload]', () => {
  assert.deepEqual(sigStructure(bytes(0xa1, 0x01, 0x26), bytes(0x01)),
                   bytes(0x84, 0x6a, ...new TextEncoder().encode('Signature1'), 0x43, 0xa1, 0x01, 0x26, 0x40, 0x41, 0x01));
});

test('DER OIDs encode as X.690 says (as signing/trustlist.py _der_oid)', () => {
  assert.deepEqual(oidBytes('2.5.29.37'), bytes(0x06, 0x03, 0x55, 0x1d, 0x25));
  assert.deepEqual(oidBytes('1.3.6.1.4.1.1847.2021.1.2'),
                   bytes(0x06, 0x0b, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x8e, 0x37, 0x8f, 0x65, 0x01, 0x02));
});

test('the DCC schema rules: one v entry, integer doses, value sets', () => {
  const dcc = {ver: '1.3.0', nam: {fn: 'Nguyễn', fnt: 'NGUYEN', gn: 'An', gnt: 'AN'}, dob: '1990-05-17',
               v: [{tg: '840539006', vp: 'J07BX03', mp: 'EU/1/20/1528', ma: 'ORG-100030215', dn: 2, sd: 2,
                    dt: '2026-10-01', co: 'VN', is: 'Bộ Y tế', ci: 'URN:UVCI:01:VN:BYT/1#X'}]};
  const sets = {co: new Set(['VN']), tg: new Set(['840539006'])};
  assert.equal(checkDccStructure(dcc, sets), null);
  assert.equal(checkDccStructure({...dcc, v: [dcc.v[0], dcc.v[0]]}), 'v: exactly one entry');
  assert.equal(checkDccStructure({...dcc, v: [{...dcc.v[0], dn: new CborFloat(2)}]}), 'v.dn');
  assert.equal(checkDccStructure({...dcc, v: [{...dcc.v[0], co: 'XY'}]}, sets), 'v.co not in its value set');
  assert.equal(checkDccStructure({...dcc, nam: {fn: 'x'}}), 'nam');
  assert.equal(checkDccStructure({...dcc, dob: '17/05/1990'}), 'dob');
});

test('freshness: fresh, stale after the warning, too old after the limit; "valid" never survives it', () => {
  const now = Date.UTC(2026, 10, 23);
  assert.equal(freshness(null, {now}).level, 'none');
  assert.equal(freshness(now - 23 * HOUR, {now}).level, 'fresh');
  assert.equal(freshness(now - 25 * HOUR, {now}).level, 'stale');
  assert.equal(freshness(now - 73 * HOUR, {now}).level, 'too_old');
  assert.equal(freshness(now - 5 * HOUR, {now, warnAfterHours: 2, refuseAfterHours: 4}).level, 'too_old');
  assert.equal(freshness(now + HOUR, {now}).ageMs, 0); // a clock set back
  const valid = {status: 'valid', reason: 'ok', name: 'A', dob: '1990', doses: []};
  assert.equal(applyFreshness(valid, {level: 'stale'}), valid);
  assert.equal(applyFreshness(valid, {level: 'too_old'}).status, 'cannot_confirm');
  assert.deepEqual(ageParts(3 * HOUR + 5 * 60e3), {unit: 'hours', n: 3});
  assert.deepEqual(ageParts(50 * HOUR), {unit: 'days', n: 2});
  assert.deepEqual(ageParts(59 * 60e3), {unit: 'minutes', n: 59});
});

test('dispatch: HC1, SMART Health Card, or not a passport at all', async () => {
  assert.equal(passportFormat('HC1:ABC'), 'hc1');
  assert.equal(passportFormat('shc:/5676'), 'shc');
  assert.equal(passportFormat('a.b.c'), 'shc');
  assert.equal(passportFormat('https://example.vn'), null);
  const lists = {trust: new TrustList(), revoked: new Set(), issuers: new IssuerKeys({})};
  const v = await verifyPassport('001190123456|123456789|Nguyễn Thị Lan', lists);
  assert.deepEqual([v.status, v.reason, v.name, v.format], ['not_a_passport', 'prefix', null, null]);
  assert.equal((await verifyPassport('HC1:NCF!!', lists)).reason, 'base45');
  assert.equal((await verifyPassport('HC1:NCF', lists)).reason, 'zlib');
});
