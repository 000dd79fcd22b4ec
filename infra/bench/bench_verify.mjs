// The PWA's offline verifier, stage by stage, in Node (by hand, not in CI):
//
//     node infra/bench/bench_verify.mjs
//
// Node's WebCrypto and DecompressionStream stand in for the browser's here; the figure that
// counts is measured in Chromium (infra/bench/bench_verify.py, and tests/e2e/test_checkpoint.py
// records it in test-artifacts/e2e/cp-timing.json). Passports: the valid EU test vectors.
import {readFileSync, readdirSync, statSync} from 'node:fs';
import path from 'node:path';
import {b45decode} from '../../pwa/src/verifier/base45.js';
import {decodeSign1, decodeClaims} from '../../pwa/src/verifier/hcert.js';
import {sigStructure} from '../../pwa/src/verifier/cbor.js';
import {inflate} from '../../pwa/src/verifier/inflate.js';
import {verifyCose} from '../../pwa/src/verifier/keys.js';
import {TrustList, VALUE_SETS, b64decode, verifyHcert} from '../../pwa/src/verifier/index.js';

const ROOT = '/work/shared/vectors/dcc-testdata';
const walk = (d) => readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n))
  : n.endsWith('.json') ? [path.join(d, n)] : []));

function clock(text) {
  let t = text.replace(/(\.\d{3})\d+/, '$1');
  if (/[+-]\d{4}$/.test(t)) t = `${t.slice(0, -2)}:${t.slice(-2)}`;
  return Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(t) ? t : `${t}Z`);
}

const cases = [];
for (const file of walk(ROOT)) {
  const v = JSON.parse(readFileSync(file, 'utf8'));
  const flags = Object.values(v.EXPECTEDRESULTS ?? {});
  if (!v.TESTCTX?.CERTIFICATE || !flags.length || flags.some((f) => !f)) continue;
  const trust = await TrustList.fromCertificates([b64decode(v.TESTCTX.CERTIFICATE)]);
  await trust.warm();
  const c = {text: v.PREFIX, trust, now: clock(v.TESTCTX.VALIDATIONCLOCK)};
  if ((await verifyHcert(c.text, c.trust, new Set(), {now: c.now, valueSets: VALUE_SETS})).status === 'valid') cases.push(c);
}

async function timeIt(label, fn, rounds = 5) {
  const per = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 200) {
      await fn(cases[n % cases.length]);
      n++;
    }
    per.push((performance.now() - t0) / n);
  }
  per.sort((a, b) => a - b);
  const ms = per[Math.floor(per.length / 2)];
  console.log(`  ${label.padEnd(40)} ${(1000 / ms).toFixed(0).padStart(8)}/s ${(ms * 1000).toFixed(1).padStart(9)} µs`);
}

console.log(`Node ${process.version}; ${cases.length} valid EU vectors, each verified in turn\n`);
const prepared = await Promise.all(cases.map(async (c) => {
  const compressed = b45decode(c.text.slice(4));
  const cose = await inflate(compressed, 'deflate', 65536);
  const msg = decodeSign1(cose);
  return {compressed, cose, msg, tbs: sigStructure(msg.protected, msg.payload), key: await c.trust.candidates(msg.kid)[0].publicKey()};
}));
let i = 0;
const next = () => prepared[i++ % prepared.length];
await timeIt('base45 decode', (c) => b45decode(c.text.slice(4)));
await timeIt('inflate (DecompressionStream)', () => inflate(next().compressed, 'deflate', 65536));
await timeIt('COSE_Sign1 + CWT decode (CBOR)', () => { const p = next(); decodeSign1(p.cose); decodeClaims(p.msg.payload); });
await timeIt('signature (WebCrypto verify)', () => { const p = next(); return verifyCose(p.key, p.msg.alg, p.msg.signature, p.tbs); });
await timeIt('whole verifyHcert (+ schema, SHA-256 UVCI)', (c) => verifyHcert(c.text, c.trust, new Set(), {now: c.now, valueSets: VALUE_SETS}));
