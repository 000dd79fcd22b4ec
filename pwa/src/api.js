// The only module that calls fetch(). Every request says which language the answer should be
// in; every unsafe one carries the CSRF token; every POST carries an Idempotency-Key that the
// caller keeps for the whole user intent (see intent.js), so a resend is replayed, not redone.

const BASE = '/api/v1';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
let csrfFallback = null;
let offlineMessage = 'Network error';

/** Problem+json (RFC 9457) as an exception; `errors` is flattened to {"address.ward_code": [..]}. */
export class ApiError extends Error {
  constructor(problem = {}, {offline = false, retryAfter = null} = {}) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.name = 'ApiError';
    this.problem = problem;
    this.status = problem.status ?? 0;
    this.type = problem.type ?? 'about:blank';
    this.title = problem.title ?? '';
    this.detail = problem.detail ?? '';
    this.requestId = problem.request_id ?? null;
    this.errors = flattenErrors(problem.errors);
    this.offline = offline;
    this.retryAfter = retryAfter;
  }

  /** The problem's slug: the last path segment of its type URL ("otp-expired"). */
  get slug() {
    return String(this.type).replace(/\/+$/, '').split('/').pop();
  }
}

/** Nested marshmallow errors → dotted field names; non-field messages land under "_schema". */
export function flattenErrors(errors, prefix = '', out = {}) {
  if (!errors || typeof errors !== 'object') return out;
  for (const [k, v] of Object.entries(errors)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v) && v.every((m) => typeof m === 'string')) out[name] = v;
    else if (typeof v === 'string') out[name] = [v];
    else if (Array.isArray(v)) flattenErrors(Object.fromEntries(v.entries()), name, out);
    else flattenErrors(v, name, out);
  }
  return out;
}

/** The session's CSRF token: the readable `ssk_csrf` cookie, or Me.csrf_token as a fallback. */
export function csrfToken() {
  const cookies = globalThis.document?.cookie ?? '';
  for (const part of cookies.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'ssk_csrf') return decodeURIComponent(rest.join('='));
  }
  return csrfFallback;
}

export function setCsrfFallback(token) {
  csrfFallback = token || null;
}

/** The text of the error raised when the network cannot be reached (set by the i18n layer). */
export function setOfflineMessage(text) {
  offlineMessage = text;
}

function language() {
  return globalThis.document?.documentElement?.lang || 'vi';
}

/**
 * One request to the API.
 * @param {string} method
 * @param {string} path below /api/v1, e.g. "/auth/me"
 * @param {{body?: any, raw?: Blob, contentType?: string, idempotencyKey?: string, ifMatch?: string,
 *          withMeta?: boolean}} options (`raw` is sent as it is, e.g. a multipart() body)
 * @returns {Promise<any>} the JSON body (null for 204), or {data, etag, status} with withMeta
 * @throws {ApiError}
 */
export async function request(method, path, {body, raw, contentType, idempotencyKey, ifMatch,
                                             withMeta = false} = {}) {
  const headers = {'Accept': 'application/json, application/problem+json',
                   'Accept-Language': language()};
  if (raw !== undefined) headers['Content-Type'] = contentType ?? raw.type;  // a file or a multipart()
  else if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (!SAFE.has(method)) {
    const token = csrfToken();
    if (token) headers['X-CSRF-Token'] = token;
  }
  if (method === 'POST') headers['Idempotency-Key'] = idempotencyKey ?? globalThis.crypto.randomUUID();
  if (ifMatch) headers['If-Match'] = ifMatch;
  let res;
  try {
    res = await fetch(`${BASE}${path}`, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError({status: 0, title: offlineMessage}, {offline: true});
  }
  if (res.ok) {
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    return withMeta ? {data, etag: res.headers.get('ETag'), status: res.status} : data;
  }
  const problem = await res.json().catch(() => ({title: res.statusText}));
  problem.status ??= res.status;
  const retry = res.headers.get('Retry-After');
  throw new ApiError(problem, {retryAfter: retry === null ? null : Number(retry)});
}

export const api = {
  get: (path, opts) => request('GET', path, opts),
  post: (path, body = {}, opts = {}) => request('POST', path, {...opts, body}),
  put: (path, body, opts = {}) => request('PUT', path, {...opts, body}),
  patch: (path, body, opts = {}) => request('PATCH', path, {...opts, body}),
  del: (path, opts) => request('DELETE', path, opts),
  /** POST a multipart() body (photos, a CSV file) with the same CSRF and idempotency headers. */
  upload: (path, form, opts = {}) => request('POST', path, {...opts, raw: form.blob, contentType: form.contentType}),
};

/**
 * A multipart/form-data body built by hand. Its boundary is given by the caller (derive it from the
 * intent's Idempotency-Key): a resend of the same intent is then the same bytes, so the server
 * replays its first answer; FormData picks a new random boundary on every send, which the server
 * would see as another body with a reused key (a 422).
 * @param {Array<[string, string | Blob]>} parts text fields and files (a File keeps its name and type)
 * @param {string} boundary 1-70 characters of [0-9A-Za-z-]
 * @returns {{blob: Blob, contentType: string}}
 */
export function multipart(parts, boundary) {
  const safe = (v) => String(v).replace(/[\r\n"\\]/g, '_');
  const chunks = [];
  for (const [name, value] of parts) {
    if (typeof value === 'string') {
      chunks.push(`--${boundary}\r\nContent-Disposition: form-data; name="${safe(name)}"\r\n\r\n`, value, '\r\n');
    } else {
      chunks.push(`--${boundary}\r\nContent-Disposition: form-data; name="${safe(name)}"; `
        + `filename="${safe(value.name ?? 'file')}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`,
      value, '\r\n');
    }
  }
  chunks.push(`--${boundary}--\r\n`);
  const contentType = `multipart/form-data; boundary=${boundary}`;
  return {blob: new Blob(chunks, {type: contentType}), contentType};
}

/** The SHA-256 of a file or text, in hex: what an upload's intent is keyed on. */
export async function sha256Hex(data) {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : await data.arrayBuffer();
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
