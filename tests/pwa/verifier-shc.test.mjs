import {fileURLToPath} from 'node:url';
// The PWA verifier against the SMART Health Card spec examples and the official validator's
// cases (/work/shared/vectors/shc-examples/MANIFEST.json), judged as tests/contract/
// test_shc_vectors.py judges the server's verifier. Image cases (QR decoding) and issuer key-set
// lint cases are the scanner's and the issuer's concern: they run in the Python contract suite.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {IssuerKeys, numericDecode, verifyShc} from '../../pwa/src/verifier/index.js';
import {checkShcPayload} from '../../pwa/src/verifier/shc.js';

const ROOT = process.env.SSK_SHC_VECTORS ?? fileURLToPath(new URL('../../../shared/vectors/shc-examples', import.meta.url));
const MANIFEST = JSON.parse(readFileSync(path.join(ROOT, 'MANIFEST.json'), 'utf8'));
const FIXED_NOW = Date.UTC(2024, 5, 1); // for the cases whose "at" is null, as the Python test
const MAX_SINGLE_QR_JWS = 1195;

const REASON_CODE = {
  prefix: 'INVALID_NUMERIC_QR_HEADER', numeric: 'INVALID_NUMERIC_QR', chunked: 'QR_CHUNKING_DEPRECATED',
  trailing: 'TRAILING_CHARACTERS', jws: 'JWS_HEADER_ERROR', header: 'JWS_HEADER_ERROR',
  unknown_kid: 'JWS_VERIFICATION_ERROR', signature: 'JWS_VERIFICATION_ERROR',
  signature_format: 'SIGNATURE_FORMAT_ERROR', deflate: 'INFLATION_ERROR', json: 'JSON_PARSE_ERROR',
  issuer_kid: 'ISSUER_KID_MISMATCH', schema: 'SCHEMA_ERROR', exp: 'EXPIRATION_ERROR',
  nbf: 'NOT_YET_VALID', revoked: 'REVOKED',
};

const read = (name) => readFileSync(path.join(ROOT, name), 'utf8');

function inputs(c) {
  const texts = [];
  for (const name of c.files) {
    if (name.endsWith('.smart-health-card')) {
      const raw = read(name);
      if (raw !== raw.trim()) return {problem: 'trailing'};
      texts.push(...JSON.parse(raw).verifiableCredential);
    } else {
      texts.push(read(name));
    }
  }
  return {texts};
}

async function codesAndVerdicts(c) {
  const now = c.at ? c.at * 1000 : FIXED_NOW;
  if (c.files[0].endsWith('.json')) {
    const bad = checkShcPayload(JSON.parse(read(c.files[0])), {now});
    return {codes: new Set(bad ? [REASON_CODE[bad.reason]] : []), verdicts: bad ? [bad] : []};
  }
  const {texts, problem} = inputs(c);
  if (problem) return {codes: new Set([REASON_CODE[problem]]), verdicts: ['harness']};
  const issuers = new IssuerKeys(Object.fromEntries(Object.entries(c.issuers ?? {})
    .map(([iss, f]) => [iss, JSON.parse(read(f))])));
  let revokedRids = {};
  if (c.crl) {
    const crl = JSON.parse(read(c.crl));
    revokedRids = {[crl.kid]: crl.rids};
  }
  const codes = new Set();
  const verdicts = [];
  for (const text of texts) {
    const v = await verifyShc(text, issuers, {now, revokedRids});
    verdicts.push(v);
    if (v.status !== 'valid') codes.add(REASON_CODE[v.reason]);
    const decodable = !['numeric', 'chunked', 'prefix', 'trailing'].includes(v.reason);
    const jws = text.startsWith('shc:/') && decodable ? numericDecode(text) : text;
    if (jws.length > MAX_SINGLE_QR_JWS) codes.add('JWS_TOO_LONG'); // a warning in the validator
  }
  return {codes, verdicts};
}

for (const c of MANIFEST.cases) {
  const image = c.files.some((f) => /\.(png|jpg|svg)$/.test(f));
  const skip = c.type === 'jwks' ? 'an issuer key-set lint (signing.shc.check_jwks), not a verdict'
    : image ? 'a QR image: decoding is the scanner\'s part (tests/e2e, tests/contract)' : false;
  test(`SHC case: ${c.name}`, {skip}, async () => {
    const {codes, verdicts} = await codesAndVerdicts(c);
    const expected = new Set([...c.expect_codes, ...(c.expect_any ?? [])]);
    if (c.expect_valid) {
      assert.ok(verdicts.every((v) => v === 'harness' || v.status === 'valid'), JSON.stringify(verdicts));
      assert.ok([...codes].every((x) => x === 'JWS_TOO_LONG'), [...codes].join());
      assert.ok(c.expect_codes.every((x) => codes.has(x)));
    } else {
      assert.ok([...codes].some((x) => expected.has(x)), `${[...codes]} vs ${[...expected]}: ${JSON.stringify(verdicts)}`);
      assert.ok(!verdicts.some((v) => v?.status === 'valid') || verdicts.length > 1);
    }
  });
}
