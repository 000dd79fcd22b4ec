import {test} from 'node:test';
import assert from 'node:assert/strict';
import {normalizeVnPhone, formatVnPhone} from '../../pwa/src/phone.js';

test('vietnamese mobile numbers in the usual forms become E.164', () => {
  for (const input of ['0912345678', '0912 345 678', '091.234.5678', '+84912345678', '+84 912 345 678',
                       '84912345678', '0084912345678', '+84 0912345678', ' (091) 234-5678 ']) {
    assert.equal(normalizeVnPhone(input), '+84912345678', input);
  }
});

test('fixed lines have ten national digits', () => {
  assert.equal(normalizeVnPhone('024 3825 1234'), '+842438251234');
});

test('malformed numbers are refused', () => {
  for (const input of ['', '12345', '091234567', '09123456789', '+1 202 555 0100', '0012', 'abc',
                       '0112345678', '+84', null, undefined, 912345678]) {
    assert.equal(normalizeVnPhone(input), null, String(input));
  }
});

test('numbers are shown the vietnamese way', () => {
  assert.equal(formatVnPhone('+84912345678'), '0912 345 678');
  assert.equal(formatVnPhone('+842438251234'), '024 3825 1234');
});
