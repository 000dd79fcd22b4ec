// Just enough DER (X.690) to read a document signer certificate (RFC 5280): its public key
// (SubjectPublicKeyInfo, which WebCrypto imports as it is), validity, subject country and the
// DCC extended key usages (EU DCC Vol. 1 §5.1). The signature on the certificate is not checked:
// a certificate is trusted because the root-signed trust list names it, not by a chain.

const OID_EKU = '2.5.29.37';
const OID_COUNTRY = '2.5.4.6';
// EU DCC Vol. 1 §5.1: which certificate types a DSC may sign (both published OID families)
export const DCC_EKUS = {
  t: ['1.3.6.1.4.1.1847.2021.1.1', '1.3.6.1.4.1.0.1847.2021.1.1'],
  v: ['1.3.6.1.4.1.1847.2021.1.2', '1.3.6.1.4.1.0.1847.2021.1.2'],
  r: ['1.3.6.1.4.1.1847.2021.1.3', '1.3.6.1.4.1.0.1847.2021.1.3'],
};
const ALL_DCC_EKUS = new Set(Object.values(DCC_EKUS).flat());

/** One TLV at `pos`: {tag, start (of the value), end, whole: [pos, end)}. */
export function tlv(bytes, pos) {
  if (pos + 2 > bytes.length) throw new Error('DER: truncated');
  const tag = bytes[pos];
  let len = bytes[pos + 1];
  let i = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: unsupported length');
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + bytes[i + k];
    i += n;
  }
  if (i + len > bytes.length) throw new Error('DER: truncated');
  return {tag, start: i, end: i + len, pos};
}

export function children(bytes, node) {
  const out = [];
  for (let p = node.start; p < node.end;) {
    const c = tlv(bytes, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function oidString(bytes, node) {
  const v = bytes.subarray(node.start, node.end);
  const arcs = [];
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    n = n * 128 + (v[i] & 0x7f);
    if (!(v[i] & 0x80)) {
      if (!arcs.length) arcs.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else arcs.push(n);
      n = 0;
    }
  }
  return arcs.join('.');
}

/** DER of an OBJECT IDENTIFIER (X.690 §8.19), tag and length included. */
export function oidBytes(dotted) {
  const arcs = dotted.split('.').map(Number);
  const body = [40 * arcs[0] + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const chunk = [arc & 0x7f];
    for (let a = Math.floor(arc / 128); a > 0; a = Math.floor(a / 128)) chunk.unshift(0x80 | (a & 0x7f));
    body.push(...chunk);
  }
  return Uint8Array.from([0x06, body.length, ...body]);
}

function contains(hay, needle) {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function time(bytes, node) {
  const s = new TextDecoder().decode(bytes.subarray(node.start, node.end)).replace(/Z$/, '');
  // RFC 5280 §4.1.2.5.1: UTCTime YY >= 50 is 19YY; GeneralizedTime has four digits
  const m = node.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?/.exec(s)
    : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?/.exec(s);
  if (!m) throw new Error('DER: bad time');
  let year = Number(m[1]);
  if (node.tag === 0x17) year += year >= 50 ? 1900 : 2000;
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
}

/**
 * The parts of an X.509 certificate a verifier needs.
 * @param {Uint8Array} der
 * @returns {{spki: Uint8Array, keyAlgorithm: string, curve: string|null, notBefore: number,
 *            notAfter: number, country: string|null, keyUsage: Set<string>}}
 */
export function readCertificate(der) {
  const cert = tlv(der, 0);
  const [tbs] = children(der, cert);
  let fields = children(der, tbs);
  if (fields[0].tag === 0xa0) fields = fields.slice(1); // [0] EXPLICIT version
  const [, , , validity, subject, spkiNode, ...rest] = fields;
  const [nb, na] = children(der, validity);
  const spki = der.subarray(spkiNode.pos, spkiNode.end);
  const [algId] = children(der, spkiNode);
  const [algOid, params] = children(der, algId);
  const keyAlgorithm = oidString(der, algOid);
  const curve = params && params.tag === 0x06 ? oidString(der, params) : null;
  let country = null;
  for (const rdn of children(der, subject)) {
    for (const atv of children(der, rdn)) {
      const [type, value] = children(der, atv);
      if (oidString(der, type) === OID_COUNTRY) {
        country = new TextDecoder().decode(der.subarray(value.start, value.end));
      }
    }
  }
  const keyUsage = new Set();
  const exts = rest.find((n) => n.tag === 0xa3); // [3] EXPLICIT extensions
  if (exts) {
    const [list] = children(der, exts);
    for (const ext of children(der, list)) {
      const parts = children(der, ext);
      if (oidString(der, parts[0]) !== OID_EKU) continue;
      const value = parts[parts.length - 1]; // OCTET STRING holding SEQUENCE OF OID
      try {
        for (const oid of children(der, tlv(der, value.start))) {
          const dotted = oidString(der, oid);
          if (ALL_DCC_EKUS.has(dotted)) keyUsage.add(dotted);
        }
      } catch {
        // a malformed EKU (seen in EU vectors): look for the DCC OIDs anywhere in the TBS, as
        // signing/trustlist.py's lenient reader does when strict X.509 parsing refuses the file
        const tbsBytes = der.subarray(tbs.start, tbs.end);
        for (const dotted of ALL_DCC_EKUS) if (contains(tbsBytes, oidBytes(dotted))) keyUsage.add(dotted);
      }
    }
  }
  return {spki, keyAlgorithm, curve, notBefore: time(der, nb), notAfter: time(der, na), country,
          keyUsage};
}
