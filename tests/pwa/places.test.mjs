import {test} from 'node:test';
import assert from 'node:assert/strict';
import {fold, findProvince} from '../../pwa/src/places.js';

const provinces = [{code: 1, name: 'Thành phố Hà Nội'}, {code: 79, name: 'Thành phố Hồ Chí Minh'},
                   {code: 48, name: 'Thành phố Đà Nẵng'}, {code: 22, name: 'Tỉnh Quảng Ninh'}];

test('folding removes tone marks and the province prefix', () => {
  assert.equal(fold('Thành phố Hà Nội'), 'ha noi');
  assert.equal(fold('Tỉnh Quảng Ninh'), 'quang ninh');
  assert.equal(fold('Đà Nẵng'), 'da nang');
});

test('the province is found in a chip card address', () => {
  assert.equal(findProvince(provinces, 'Số 1, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh')?.code, 79);
  assert.equal(findProvince(provinces, 'Thôn 3, Xã Hạ Long, Tỉnh Quảng Ninh')?.code, 22);
  assert.equal(findProvince(provinces, 'Somewhere else'), null);
});
