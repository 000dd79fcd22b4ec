// Every UI string exists in Vietnamese and English, with the same placeholders, and every key
// the code asks for exists.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readdir, readFile} from 'node:fs/promises';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import vi from '../../pwa/src/i18n/vi.js';
import en from '../../pwa/src/i18n/en.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../pwa/src');
const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

async function sourceFiles(dir) {
  const out = [];
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'i18n') out.push(...await sourceFiles(full));
    else if (entry.name.endsWith('.js')) out.push(full);
  }
  return out;
}

test('vietnamese and english have exactly the same keys', () => {
  assert.deepEqual(Object.keys(en).filter((k) => !(k in vi)), [], 'keys only in en');
  assert.deepEqual(Object.keys(vi).filter((k) => !(k in en)), [], 'keys only in vi');
});

test('no message is empty and both languages use the same placeholders', () => {
  for (const key of Object.keys(vi)) {
    assert.ok(vi[key].trim(), `vi ${key} is empty`);
    assert.ok(en[key].trim(), `en ${key} is empty`);
    assert.deepEqual(placeholders(en[key]), placeholders(vi[key]), `placeholders of ${key}`);
  }
});

test('vietnamese messages are really vietnamese (not left in english)', () => {
  const same = Object.keys(vi).filter((k) => vi[k] === en[k] && !['app.name'].includes(k));
  assert.deepEqual(same, []);
});

test('every key named in the code exists', async () => {
  const namespaces = new Set(Object.keys(vi).map((k) => k.split('.')[0]));
  const missing = [];
  for (const file of await sourceFiles(SRC)) {
    const text = await readFile(file, 'utf8');
    for (const [, key] of text.matchAll(/'([a-z]+\.[A-Za-z0-9_]+)'/g)) {
      if (namespaces.has(key.split('.')[0]) && !(key in vi)) missing.push(`${path.basename(file)}: ${key}`);
    }
    // keys built from data: t(`relationship.${x}`) needs every value the API can send
    for (const [, prefix] of text.matchAll(/t\(`([a-z]+\.[a-z_]*)\$\{/g)) {
      assert.ok(Object.keys(vi).some((k) => k.startsWith(prefix)), `${path.basename(file)}: ${prefix}*`);
    }
  }
  assert.deepEqual(missing, []);
});

test('the values the API sends have a label in both languages', () => {
  for (const prefix of ['relationship.child', 'relationship.parent', 'relationship.grandparent',
    'relationship.other', 'guardians.status_pending', 'guardians.status_active', 'sex.M', 'sex.F',
    'role.site_staff', 'role.department_staff', 'role.national_admin', 'role.checkpoint_officer']) {
    assert.ok(prefix in vi && prefix in en, prefix);
  }
});
