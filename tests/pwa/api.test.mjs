// api.js against a stand-in for the browser's fetch (the network edge, not our own code).
import {test, beforeEach} from 'node:test';
import assert from 'node:assert/strict';
import {api, ApiError, flattenErrors, setCsrfFallback} from '../../pwa/src/api.js';
import {Intent} from '../../pwa/src/intent.js';

let calls;
function answer(status, body, headers = {}) {
  globalThis.fetch = async (url, init) => {
    calls.push({url, init});
    return new Response(body === null ? null : JSON.stringify(body),
                        {status, headers: {'Content-Type': 'application/json', ...headers}});
  };
}

beforeEach(() => {
  calls = [];
  globalThis.document = {cookie: 'other=1; ssk_csrf=tok%2B123', documentElement: {lang: 'en'}};
  setCsrfFallback(null);
});

test('a GET sends the language and no CSRF token or idempotency key', async () => {
  answer(200, {ok: true});
  assert.deepEqual(await api.get('/auth/me'), {ok: true});
  const {url, init} = calls[0];
  assert.equal(url, '/api/v1/auth/me');
  assert.equal(init.headers['Accept-Language'], 'en');
  assert.equal(init.headers['X-CSRF-Token'], undefined);
  assert.equal(init.headers['Idempotency-Key'], undefined);
  assert.equal(init.credentials, 'same-origin');
});

test('a POST sends the CSRF cookie, JSON and the caller\'s idempotency key', async () => {
  answer(201, {id: 'p1'});
  await api.post('/people/dependants', {full_name: 'A'}, {idempotencyKey: 'key-1'});
  const {init} = calls[0];
  assert.equal(init.method, 'POST');
  assert.equal(init.headers['X-CSRF-Token'], 'tok+123');
  assert.equal(init.headers['Idempotency-Key'], 'key-1');
  assert.equal(init.headers['Content-Type'], 'application/json');
  assert.equal(init.body, '{"full_name":"A"}');
});

test('unsafe methods other than POST carry CSRF but no idempotency key; If-Match passes through', async () => {
  answer(204, null);
  assert.equal(await api.del('/auth/sessions/s1'), null);
  assert.equal(calls[0].init.headers['X-CSRF-Token'], 'tok+123');
  assert.equal(calls[0].init.headers['Idempotency-Key'], undefined);
  answer(200, {id: 'p1'}, {ETag: '"v2"'});
  const res = await api.patch('/people/p1', {full_name: 'B'}, {ifMatch: '"v1"', withMeta: true});
  assert.equal(calls[1].init.headers['If-Match'], '"v1"');
  assert.deepEqual(res, {data: {id: 'p1'}, etag: '"v2"', status: 200});
});

test('without the cookie the token from Me is used', async () => {
  globalThis.document.cookie = '';
  setCsrfFallback('from-me');
  answer(204, null);
  await api.post('/auth/logout');
  assert.equal(calls[0].init.headers['X-CSRF-Token'], 'from-me');
});

test('a problem+json answer becomes an ApiError with field errors', async () => {
  answer(422, {type: '/problems/validation', title: 'Invalid', status: 422, detail: 'Check the fields',
               request_id: 'r1', errors: {phone: ['Bad phone'], address: {ward_code: ['Unknown ward']}}});
  const err = await api.post('/people/me', {}).catch((e) => e);
  assert.ok(err instanceof ApiError);
  assert.equal(err.status, 422);
  assert.equal(err.title, 'Invalid');
  assert.equal(err.slug, 'validation');
  assert.equal(err.requestId, 'r1');
  assert.deepEqual(err.errors, {'phone': ['Bad phone'], 'address.ward_code': ['Unknown ward']});
});

test('429 keeps Retry-After; a network failure is an offline ApiError', async () => {
  answer(429, {title: 'Too many', status: 429}, {'Retry-After': '30'});
  const limited = await api.post('/auth/otp', {phone: 'x'}).catch((e) => e);
  assert.equal(limited.retryAfter, 30);
  globalThis.fetch = async () => { throw new TypeError('Failed to fetch'); };
  const offline = await api.get('/auth/me').catch((e) => e);
  assert.equal(offline.offline, true);
  assert.equal(offline.status, 0);
});

test('a non-JSON error still becomes an ApiError with the status', async () => {
  globalThis.fetch = async () => new Response('<h1>Bad gateway</h1>', {status: 502, statusText: 'Bad Gateway'});
  const err = await api.get('/x').catch((e) => e);
  assert.equal(err.status, 502);
});

test('flattenErrors handles nested lists and plain strings', () => {
  assert.deepEqual(flattenErrors({a: 'x', b: {0: ['y']}, c: [['z']]}), {'a': ['x'], 'b.0': ['y'], 'c.0': ['z']});
});

test('one intent keeps its key across retries of the same body, and a changed body is a new intent', () => {
  const intent = new Intent();
  const k1 = intent.keyFor({phone: '0912'});
  assert.equal(intent.keyFor({phone: '0912'}), k1);
  const k2 = intent.keyFor({phone: '0913'});
  assert.notEqual(k2, k1);
  intent.done();
  assert.notEqual(intent.keyFor({phone: '0913'}), k2);
  assert.match(k1, /^[0-9a-f-]{36}$/);
});
