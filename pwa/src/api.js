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
 * @param {{body?: any, idempotencyKey?: string, ifMatch?: string, withMeta?: boolean}} options
 * @returns {Promise<any>} the JSON body (null for 204), or {data, etag, status} with withMeta
 * @throws {ApiError}
 */
export async function request(method, path, {body, idempotencyKey, ifMatch, withMeta = false} = {}) {
  const headers = {'Accept': 'application/json, application/problem+json',
                   'Accept-Language': language()};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
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
      body: body === undefined ? undefined : JSON.stringify(body),
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
};
