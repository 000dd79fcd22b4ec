// A minimal CBOR decoder (RFC 8949) for COSE_Sign1 and CWT, and the one encoder the
// Sig_structure needs.
//
// Why not a package: a verifier needs only decoding, with integer map keys kept as numbers, the
// exact bytes of byte strings (the protected header is signed as it was sent), floats told apart
// from integers (the DCC schema wants integers), indefinite lengths (some EU passports use them)
// and no code generation (cbor-x builds decoders with `new Function`, which a strict CSP
// forbids). That is ~150 lines. Like Python's cbor2.loads (the server verifier), decoding reads
// the first item and ignores trailing bytes, so both verifiers give the same verdicts.

/** A tagged item (RFC 8949 §3.4) whose tag this decoder does not interpret. */
export class Tagged {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

/** A floating-point number: kept apart from integers, as cbor2 decodes 2.0 to a float. */
export class CborFloat {
  constructor(value) {
    this.value = value;
  }
}

export const UNDEFINED = Symbol('cbor-undefined');
const BREAK = Symbol('cbor-break');
const MAX_DEPTH = 64;
const utf8 = new TextDecoder('utf-8', {fatal: true});

class Reader {
  constructor(bytes) {
    this.b = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.p = 0;
  }

  need(n) {
    if (this.p + n > this.b.length) throw new Error('CBOR: truncated');
  }

  u8() {
    this.need(1);
    return this.b[this.p++];
  }

  /** The argument of an initial byte (RFC 8949 §3): a Number, or a BigInt past 2^53. */
  arg(info) {
    if (info < 24) return info;
    const v = this.view;
    let x;
    switch (info) {
      case 24: this.need(1); x = v.getUint8(this.p); this.p += 1; return x;
      case 25: this.need(2); x = v.getUint16(this.p); this.p += 2; return x;
      case 26: this.need(4); x = v.getUint32(this.p); this.p += 4; return x;
      case 27: {
        this.need(8);
        const big = v.getBigUint64(this.p);
        this.p += 8;
        return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      }
      default: throw new Error('CBOR: reserved additional information');
    }
  }

  bytes(n) {
    if (typeof n !== 'number') throw new Error('CBOR: string too long');
    this.need(n);
    const out = this.b.subarray(this.p, this.p + n);
    this.p += n;
    return out;
  }

  item(depth = 0) {
    if (depth > MAX_DEPTH) throw new Error('CBOR: nested too deep');
    const ib = this.u8();
    const major = ib >> 5;
    const info = ib & 0x1f;
    if (info === 31) return this.indefinite(major, depth);
    switch (major) {
      case 0: return this.arg(info);
      case 1: {
        const n = this.arg(info);
        return typeof n === 'bigint' ? -1n - n : -1 - n;
      }
      case 2: return this.bytes(this.arg(info));
      case 3: return utf8.decode(this.bytes(this.arg(info)));
      case 4: {
        const n = this.arg(info);
        if (typeof n !== 'number' || n > this.b.length) throw new Error('CBOR: array too long');
        const out = new Array(n);
        for (let i = 0; i < n; i++) out[i] = this.item(depth + 1);
        return out;
      }
      case 5: {
        const n = this.arg(info);
        if (typeof n !== 'number' || n > this.b.length) throw new Error('CBOR: map too long');
        const out = new Map();
        for (let i = 0; i < n; i++) {
          const k = this.item(depth + 1);
          out.set(k, this.item(depth + 1));
        }
        return out;
      }
      case 6: return tagged(this.arg(info), this.item(depth + 1));
      default: return this.simple(info);
    }
  }

  indefinite(major, depth) {
    const parts = [];
    if (major === 2 || major === 3) {
      for (;;) {
        const ib = this.u8();
        if (ib === 0xff) break;
        if (ib >> 5 !== major || (ib & 0x1f) === 31) throw new Error('CBOR: bad chunk');
        parts.push(this.bytes(this.arg(ib & 0x1f)));
      }
      const all = new Uint8Array(parts.reduce((n, c) => n + c.length, 0));
      let o = 0;
      for (const c of parts) { all.set(c, o); o += c.length; }
      return major === 2 ? all : utf8.decode(all);
    }
    if (major === 4) {
      for (;;) {
        const x = this.itemOrBreak(depth);
        if (x === BREAK) return parts;
        parts.push(x);
      }
    }
    if (major === 5) {
      const out = new Map();
      for (;;) {
        const k = this.itemOrBreak(depth);
        if (k === BREAK) return out;
        out.set(k, this.item(depth + 1));
      }
    }
    throw new Error('CBOR: indefinite length not allowed here');
  }

  itemOrBreak(depth) {
    this.need(1);
    if (this.b[this.p] === 0xff) {
      this.p++;
      return BREAK;
    }
    return this.item(depth + 1);
  }

  simple(info) {
    const v = this.view;
    let x;
    switch (info) {
      case 20: return false;
      case 21: return true;
      case 22: return null;
      case 23: return UNDEFINED;
      case 24: return new Tagged('simple', this.u8());
      case 25: this.need(2); x = halfToFloat(v.getUint16(this.p)); this.p += 2; return new CborFloat(x);
      case 26: this.need(4); x = v.getFloat32(this.p); this.p += 4; return new CborFloat(x);
      case 27: this.need(8); x = v.getFloat64(this.p); this.p += 8; return new CborFloat(x);
      default:
        if (info < 20) return new Tagged('simple', info);
        throw new Error('CBOR: reserved simple value');
    }
  }
}

function tagged(tag, value) {
  // RFC 8949 §3.4.3: bignums, which cbor2 turns into integers
  if ((tag === 2 || tag === 3) && value instanceof Uint8Array) {
    let n = 0n;
    for (const byte of value) n = (n << 8n) | BigInt(byte);
    if (tag === 3) n = -1n - n;
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
  return new Tagged(tag, value);
}

function halfToFloat(h) {
  // RFC 8949 Appendix D
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  let val;
  if (exp === 0) val = mant * 2 ** -24;
  else if (exp !== 31) val = (mant + 1024) * 2 ** (exp - 25);
  else val = mant === 0 ? Infinity : NaN;
  return h & 0x8000 ? -val : val;
}

/** Decode the first CBOR item of `bytes`. @throws {Error} malformed or truncated */
export function decode(bytes) {
  return new Reader(bytes).item();
}

// ---- encoding: only what the COSE Sig_structure needs (array, text, byte strings)

function head(major, n) {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** RFC 9052 §4.4: Sig_structure = ["Signature1", body_protected, external_aad, payload]. */
export function sigStructure(protectedBytes, payload, externalAad = new Uint8Array(0)) {
  const context = new TextEncoder().encode('Signature1');
  const parts = [
    Uint8Array.from(head(4, 4)),
    Uint8Array.from(head(3, context.length)), context,
    Uint8Array.from(head(2, protectedBytes.length)), protectedBytes,
    Uint8Array.from(head(2, externalAad.length)), externalAad,
    Uint8Array.from(head(2, payload.length)), payload,
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
