// The site tablet's outbox (no IndexedDB in node: the in-memory store, same rules).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {enqueue, sync, summary, dismiss, items} from '../../pwa/src/site-queue.js';
import {ApiError} from '../../pwa/src/api.js';

test('replays in order with the kept keys; 2xx clears, 409/422 become conflicts, offline stops', async () => {
  await enqueue({path: '/visits/a/doses', body: {lot_id: 'L'}, key: 'k1', label: {key: 'sv.label_dose'}});
  await enqueue({path: '/visits/b/doses', body: {lot_id: 'L'}, key: 'k2'});
  await enqueue({path: '/visits/c/doses', body: {lot_id: 'L'}, key: 'k3'});
  await enqueue({path: '/visits/d/doses', body: {lot_id: 'L'}, key: 'k4'});
  const sent = [];
  const send = async (method, path, {idempotencyKey}) => {
    sent.push([method, path, idempotencyKey]);
    if (path === '/visits/b/doses') {
      throw new ApiError({status: 409, type: '/problems/dose-already-recorded', title: 'Already', detail: 'Recorded'});
    }
    if (path === '/visits/c/doses') throw new ApiError({status: 0, title: 'Network'}, {offline: true});
    return {id: 'x'};
  };
  const first = await sync({send});
  assert.deepEqual(first, {synced: 1, conflicts: 1, stopped: true});
  assert.deepEqual(sent.map((x) => x[2]), ['k1', 'k2', 'k3']);
  let q = await summary();
  assert.deepEqual(q.pending.map((x) => x.key), ['k3', 'k4']);
  assert.equal(q.conflicts.length, 1);
  assert.equal(q.conflicts[0].problem.slug, 'dose-already-recorded');
  assert.equal(q.conflicts[0].problem.detail, 'Recorded');

  // the network is back: the rest goes; the conflict is not sent again and stays until dismissed
  const second = await sync({send: async () => ({})});
  assert.deepEqual(second, {synced: 2, conflicts: 0, stopped: false});
  q = await summary();
  assert.equal(q.pending.length, 0);
  assert.equal(q.conflicts.length, 1);
  await dismiss(q.conflicts[0].seq);
  assert.equal((await items()).length, 0);
});
