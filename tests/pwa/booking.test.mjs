// The vaccination screens' pure helpers: Hà Nội times and days, eligibility said plainly in both
// languages, slugs as message keys, and the position that falls back to the area.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {formatTime, timeRange, formatDay, localToday, addDays, keyOf, booked, formatDistance,
        currentPosition, query} from '../../pwa/src/screens/booking-util.js';
import {eligibilityText, doseLabel} from '../../pwa/src/screens/vax-common.js';
import {setLang} from '../../pwa/src/i18n/index.js';
import vi from '../../pwa/src/i18n/vi.js';
import en from '../../pwa/src/i18n/en.js';

test('times are shown in Asia/Ho_Chi_Minh whatever the device zone says', () => {
  // 00:30 UTC is 07:30 in Hà Nội (UTC+7, no daylight saving)
  assert.equal(formatTime('2026-11-24T00:30:00+00:00', 'vi'), '07:30');
  assert.equal(formatTime('2026-11-24T00:30:00Z', 'en'), '07:30');
  assert.equal(timeRange('2026-11-24T00:30:00Z', '2026-11-24T04:30:00Z', 'vi'), '07:30\u201311:30');
  assert.equal(formatTime('', 'vi'), '');
});

test('a session day is a calendar date with its weekday, never shifted by a zone', () => {
  assert.equal(formatDay('2026-11-24', 'vi'), 'Thứ Ba, 24/11/2026');
  assert.equal(formatDay('2026-11-24', 'en'), 'Tue, 24/11/2026');
  assert.equal(formatDay('not a date', 'vi'), 'not a date');
});

test('today is the Hà Nội date: 23:30 UTC is already tomorrow there', () => {
  assert.equal(localToday(new Date('2026-11-23T16:59:00Z')), '2026-11-23');
  assert.equal(localToday(new Date('2026-11-23T17:00:00Z')), '2026-11-24');
  assert.equal(addDays('2026-12-31', 1), '2027-01-01');
  assert.equal(addDays('2028-02-28', 1), '2028-02-29');
});

test('slugs become message keys, and every key made from an API value exists', () => {
  assert.equal(keyOf('too-early'), 'too_early');
  assert.equal(keyOf('status-approved'), 'status_approved');
  for (const s of ['submitted', 'approved', 'rejected', 'allocated', 'cancelled']) {
    for (const messages of [vi, en]) {
      assert.ok(messages[`vax.status_${s}`], `vax.status_${s}`);
      assert.ok(messages[`vax.status_help_${s}`], `vax.status_help_${s}`);
    }
  }
  for (const s of ['booked', 'confirmed', 'attended', 'cancelled', 'expired', 'missed']) {
    assert.ok(vi[`appt.status_${s}`] && en[`appt.status_${s}`], `appt.status_${s}`);
  }
  for (const k of ['national', 'province', 'health_centre', 'site']) assert.ok(vi[`unit.kind_${k}`] && en[`unit.kind_${k}`]);
  for (const k of ['denied', 'unavailable', 'timeout', 'unsupported']) assert.ok(vi[`find.geo_${k}`] && en[`find.geo_${k}`]);
  for (const k of ['not_found', 'out_of_scope']) assert.ok(vi[`queue.skip_${k}`] && en[`queue.skip_${k}`]);
});

test('each reason the rules engine gives is said in both languages, with the date when there is one', () => {
  const reasons = ['too-early', 'too-young', 'too-old', 'product-not-allowed', 'product-inactive', 'no-rule',
                   'product-unknown', 'disease-mismatch'];
  for (const lang of ['vi', 'en']) {
    setLang(lang, {save: false});
    for (const reason of reasons) {
      const text = eligibilityText({reason, eligible_from: null, dose_number: 2}, 'Lan');
      assert.ok(text && !text.includes('{'), `${lang} ${reason}: ${text}`);
    }
  }
  setLang('vi', {save: false});
  assert.equal(eligibilityText({reason: 'too-early', eligible_from: '2026-12-14', dose_number: 2}, 'Lan'),
               'Chưa đủ khoảng cách kể từ mũi tiêm trước. Lan có thể tiêm mũi 2 từ ngày 14/12/2026.');
  setLang('en', {save: false});
  assert.equal(eligibilityText({reason: 'too-young', eligible_from: '2031-05-01', dose_number: 1}, 'An'),
               'An is too young for this vaccine. Possible from 01/05/2031.');
  assert.equal(eligibilityText({reason: 'something-new'}, 'An'), '', 'unknown reasons fall back to the server text');
  assert.equal(doseLabel('booster'), 'booster dose');
  setLang('vi', {save: false});
  assert.equal(doseLabel('2'), 'mũi 2');
});

test('seats, distances and query strings', () => {
  assert.equal(booked({capacity: 120, free: 119}), 1);
  assert.equal(booked({capacity: 10, free: -2}), 10);
  assert.equal(formatDistance(1.234, 'vi'), '1,2 km');
  assert.equal(formatDistance(1.234, 'en'), '1.2 km');
  assert.equal(formatDistance(0.456, 'en'), '460 m');
  assert.equal(formatDistance(null, 'en'), '');
  assert.equal(query({a: 1, b: '', c: null, d: undefined, e: 'x y'}), '?a=1&e=x+y');
  assert.equal(query({}), '');
});

test('a refused or missing position is a reason to fall back, never an exception', async () => {
  const geo = (fn) => ({getCurrentPosition: fn});
  assert.deepEqual(await currentPosition({geolocation: null}), {error: 'unsupported'});
  assert.deepEqual(await currentPosition({geolocation: geo((ok, fail) => fail({code: 1}))}), {error: 'denied'});
  assert.deepEqual(await currentPosition({geolocation: geo((ok, fail) => fail({code: 2}))}), {error: 'unavailable'});
  assert.deepEqual(await currentPosition({geolocation: geo((ok, fail) => fail({code: 3}))}), {error: 'timeout'});
  assert.deepEqual(await currentPosition({geolocation: geo((ok) => ok({coords: {latitude: 16.05, longitude: 108.2}}))}),
                   {lat: 16.05, lon: 108.2});
});
