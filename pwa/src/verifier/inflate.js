// zlib (RFC 1950) and raw DEFLATE (RFC 1951) through the browser's own DecompressionStream,
// with a ceiling on the output: a passport is < 1 KB, so a "zip bomb" is cut off early.

export class InflateError extends Error {}

/**
 * @param {Uint8Array} bytes
 * @param {'deflate'|'deflate-raw'} format 'deflate' is zlib (HC1), 'deflate-raw' is SHC's zip=DEF
 * @param {number} limit the most bytes the output may have
 * @returns {Promise<Uint8Array>}
 * @throws {InflateError} corrupt, truncated, or larger than `limit`
 */
export async function inflate(bytes, format, limit) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream(format));
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  try {
    for (;;) {
      const {done, value} = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) {
        reader.cancel().catch(() => {});
        throw new InflateError('inflated past the limit');
      }
      chunks.push(value);
    }
  } catch (e) {
    throw e instanceof InflateError ? e : new InflateError(String(e?.message ?? e));
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}
