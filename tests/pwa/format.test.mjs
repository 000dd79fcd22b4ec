import {test} from 'node:test';
import assert from 'node:assert/strict';
import {formatDateTime, formatDate, ddmmyyyyToIso, formatNumber} from '../../pwa/src/format.js';

test('instants are shown in Hà Nội time, whatever the device zone', () => {
  // 17:30 UTC is 00:30 the next day in Asia/Ho_Chi_Minh (UTC+7)
  const shown = formatDateTime('2026-11-23T17:30:00Z', 'en');
  assert.match(shown, /24\/11\/2026/);
  assert.match(shown, /00:30/);
  assert.match(formatDateTime('2026-11-23T17:30:00+00:00', 'vi'), /00:30/);
});

test('a birthday is a calendar date and never shifts a day', () => {
  assert.equal(formatDate('2019-01-01', 'en'), '01/01/2019');
  assert.match(formatDate('2019-12-31', 'vi'), /31\/12\/2019/);
});

test('the chip card date form becomes ISO', () => {
  assert.equal(ddmmyyyyToIso('07031990'), '1990-03-07');
  assert.equal(ddmmyyyyToIso('1990-03-07'), '1990-03-07');
});

test('missing values show as nothing', () => {
  assert.equal(formatDateTime(null), '');
  assert.equal(formatDate(undefined), '');
});

test('numbers are written as each language writes them; nothing is 0', () => {
  assert.equal(formatNumber(1234567, 'vi'), '1.234.567');
  assert.equal(formatNumber(1234567, 'en'), '1,234,567');
  assert.equal(formatNumber(2.5, 'vi', {minimumFractionDigits: 1, maximumFractionDigits: 1}), '2,5');
  assert.equal(formatNumber(2, 'en', {minimumFractionDigits: 1}), '2.0');
  assert.equal(formatNumber(null, 'en'), '0');
});
