// Uploads (correction photos, CSV imports): a hand-built multipart body whose boundary comes from
// the intent, so a resend of the same intent is byte-identical and the server can replay it.
import {test, beforeEach} from 'node:test';
import assert from 'node:assert/strict';
import {api, multipart, sha256Hex} from '../../pwa/src/api.js';

let calls;
beforeEach(() => {
  calls = [];
  globalThis.document = {cookie: 'ssk_csrf=tok', documentElement: {lang: 'vi'}};
  globalThis.fetch = async (url, init) => {
    calls.push({url, init});
    return new Response(JSON.stringify({id: 'c1'}), {status: 201, headers: {'Content-Type': 'application/json'}});
  };
});

test('the same parts and boundary give the same bytes; text and files are framed as RFC 7578 says', async () => {
  const file = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'thẻ "tiêm".png', {type: 'image/png'});
  const one = multipart([['payload', '{"kind":"dose"}'], ['evidence', file]], 'ssk-k1');
  const two = multipart([['payload', '{"kind":"dose"}'], ['evidence', file]], 'ssk-k1');
  const a = new Uint8Array(await one.blob.arrayBuffer());
  assert.deepEqual(a, new Uint8Array(await two.blob.arrayBuffer()));
  assert.equal(one.contentType, 'multipart/form-data; boundary=ssk-k1');
  const text = new TextDecoder().decode(a);
  assert.match(text, /^--ssk-k1\r\nContent-Disposition: form-data; name="payload"\r\n\r\n\{"kind":"dose"\}\r\n/);
  // a quote in a file name cannot end the header early
  assert.match(text, /name="evidence"; filename="thẻ _tiêm_.png"\r\nContent-Type: image\/png\r\n\r\n/);
  assert.ok(text.endsWith('\r\n--ssk-k1--\r\n'));
});

test('an upload is a POST with CSRF, the idempotency key and the multipart content type', async () => {
  const form = multipart([['file', new Blob(['a,b\r\n'], {type: 'text/csv'})]], 'ssk-k2');
  await api.upload('/dose-imports', form, {idempotencyKey: 'k2'});
  const {url, init} = calls[0];
  assert.equal(url, '/api/v1/dose-imports');
  assert.equal(init.method, 'POST');
  assert.equal(init.headers['X-CSRF-Token'], 'tok');
  assert.equal(init.headers['Idempotency-Key'], 'k2');
  assert.equal(init.headers['Content-Type'], 'multipart/form-data; boundary=ssk-k2');
  assert.equal(init.body, form.blob);
});

test('sha256Hex of text and of a blob agree', async () => {
  const want = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';  // FIPS 180-2 "abc"
  assert.equal(await sha256Hex('abc'), want);
  assert.equal(await sha256Hex(new Blob(['abc'])), want);
});
