// Stock movements of one unit (a province store, a health centre or a site): receive a lot at a
// store, ship doses down the tree, count what arrived (a shortfall needs a note), write off
// wasted or expired doses, ask for an adjustment that a second person decides, read the ledger.
// Every write carries one Idempotency-Key per intent (intent.js): a double tap is replayed, not
// repeated; every refusal is shown with the server's own words, beside the form that caused it.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {formatDate, formatDateTime, formatNumber} from '../format.js';
import {field, textarea, select, radios, formValues, formError, focusFirstError, localMsg} from '../ui.js';
import {busyButton, problemText, state} from './common.js';
import {SITE, DEPARTMENT, staffGate, activeRoles, loadUnits, kindLabel, productName} from './staff-common.js';

export const HERE = '#/site/stock/moves';
const UNIT_KEY = 'ssk.stock.unit';
const SITE_KEY = 'ssk.site.id';  // the site chosen on the other site screens
const STORES = ['province', 'national'];

const newForm = () => ({values: {}, busy: false, error: null, errors: null, intent: new Intent()});

export default {
  title: 'sm.title',

  enter(ctx) {
    Object.assign(ctx.s, {units: null, unitId: '', tab: ctx.query.get('tab') || 'incoming',
                          stock: null, transfers: null, adjustments: null, movements: null, products: null,
                          lotNames: {}, items: {},
                          forms: {receipt: newForm(), ship: newForm(), writeoff: newForm(), adjust: newForm()}});
    if (staffGate(ctx, SITE, 'sm.title')) return;
    init(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, SITE, 'sm.title');
    if (gate) return gate;
    const s = ctx.s;
    const tab = s.tab;
    return html`
      <h1>${t('sm.title')}</h1>
      <p><a href="#/site/stock">${t('sm.back_to_stock')}</a></p>
      ${unitPicker(ctx)}
      ${s.units === null ? html`<p class="loading">${t('app.loading')}</p>` : !s.unitId
        ? html`<p>${t('sm.no_units')}</p>` : html`
        ${tabNav(ctx, tab)}
        ${{incoming: incomingSection, receipt: receiptForm, ship: shipSection, writeoff: writeOffForm,
           adjust: adjustSection, ledger: ledgerSection}[tab](ctx)}
        ${balances(ctx)}`}`;
  },
};

// ---- the unit, the tabs and what they load ----------------------------------------------------

function unit(ctx, id = ctx.s.unitId) {
  return (ctx.s.units ?? []).find((u) => u.id === id) ?? null;
}

function isStore(ctx) {
  return STORES.includes(unit(ctx)?.kind) && activeRoles(DEPARTMENT).length > 0;
}

function tabs(ctx) {
  return ['incoming', ...(isStore(ctx) ? ['receipt'] : []), 'ship', 'writeoff', 'adjust', 'ledger'];
}

async function init(ctx) {
  const s = ctx.s;
  try {
    s.units = await loadUnits();
  } catch (e) {
    s.units = [];
    ctx.announce(problemText(e), {error: true});
  }
  let saved = null;
  try { saved = localStorage.getItem(UNIT_KEY) ?? localStorage.getItem(SITE_KEY); } catch { /* private */ }
  const asked = unit(ctx, ctx.query.get('unit'))?.id;  // a link from the site's stock screen
  s.unitId = asked ?? unit(ctx, saved)?.id ?? s.units[0]?.id ?? '';
  if (asked) try { localStorage.setItem(UNIT_KEY, asked); } catch { /* private */ }
  if (!tabs(ctx).includes(s.tab)) s.tab = 'incoming';
  ctx.update();
  if (s.unitId) await load(ctx);
}

function chooseUnit(ctx, id) {
  const s = ctx.s;
  s.unitId = id;
  try { localStorage.setItem(UNIT_KEY, id); } catch { /* private */ }
  Object.assign(s, {stock: null, transfers: null, adjustments: null, movements: null, items: {}});
  for (const f of Object.values(s.forms)) Object.assign(f, {values: {}, error: null, errors: null});
  if (!tabs(ctx).includes(s.tab)) s.tab = 'incoming';
  ctx.update();
  if (id) load(ctx);
}

/** The unit's balances and what the open tab lists; each failure is said, the rest still loads. */
async function load(ctx) {
  const s = ctx.s;
  const id = encodeURIComponent(s.unitId);
  const jobs = [api.get(`/units/${id}/stock`).then((x) => { s.stock = x; })];
  if (s.tab === 'incoming' || s.tab === 'ship') {
    jobs.push(api.get(`/stock/transfers?unit_id=${id}&status=in_transit`).then((x) => { s.transfers = x; }));
  }
  if (s.tab === 'adjust') {
    jobs.push(api.get(`/stock/adjustments?unit_id=${id}&status=pending`).then((x) => { s.adjustments = x; }));
  }
  if (s.tab === 'ledger') {
    jobs.push(api.get(`/units/${id}/stock-movements?limit=100`).then((x) => { s.movements = x; }));
  }
  if (s.tab === 'receipt' && s.products === null) {
    jobs.push(api.get('/vaccine-products').then((x) => { s.products = x; }));
  }
  const results = await Promise.allSettled(jobs);
  const failed = results.find((r) => r.status === 'rejected');
  s.stock ??= {lots: [], products: []};
  s.transfers ??= [];
  s.adjustments ??= [];
  s.movements ??= [];
  s.products ??= [];
  if (failed) ctx.announce(problemText(failed.reason), {error: true});
  ctx.update();
}

function unitPicker(ctx) {
  const s = ctx.s;
  if (!s.units?.length) return nothing;
  if (s.units.length === 1) return html`<p class="lead">${s.units[0].name}</p>`;
  return select({name: 'unit', label: t('sm.unit'), value: s.unitId, prefix: 'sm', required: true,
                 options: s.units.map((u) => ({value: u.id, label: `${u.name} (${u.code})`})),
                 placeholder: t('form.choose'), onChange: (id) => chooseUnit(ctx, id)});
}

function tabNav(ctx, here) {
  return html`<nav class="subnav stock-tabs" aria-label=${t('sm.tabs')}><ul>${tabs(ctx).map((x) => html`<li>
    <a href="${HERE}?tab=${x}" aria-current=${x === here ? 'page' : nothing}>${t(`sm.tab_${x}`)}</a></li>`)}</ul></nav>`;
}

// ---- shared pieces ------------------------------------------------------------------------------

const nf = (n) => formatNumber(n, lang());
const signed = (n) => (n > 0 ? `+${nf(n)}` : n < 0 ? `−${nf(-n)}` : '0');

/** A whole number typed by a person; anything else goes to the server as typed, so it says why. */
function int(text) {
  const v = String(text ?? '').trim().replace(/[.\s]/g, '');
  return /^\d+$/.test(v) ? Number(v) : String(text ?? '').trim();
}

function lotLabel(ctx, lotId) {
  const lot = ctx.s.stock?.lots?.find((l) => l.id === lotId);
  if (lot) return lot.lot_number;
  const known = ctx.s.lotNames[lotId];
  if (known === undefined) {
    ctx.s.lotNames[lotId] = null;  // asked once
    api.get(`/stock/lots/${encodeURIComponent(lotId)}`)
      .then((l) => { ctx.s.lotNames[lotId] = l.lot_number; ctx.update(); }).catch(() => {});
  }
  return known || lotId.slice(0, 8);
}

function lotOptions(lots) {
  return lots.map((l) => ({value: l.id, label: t('sm.lot_option', {
    lot: l.lot_number, product: l.product_code, date: formatDate(l.expires_on, lang()), n: nf(l.balance)})}));
}

/**
 * The problem's title and detail, plus any field message the form has no field for
 * (a 422 about unit_id, say): nothing the server said is left unshown.
 */
function problemBox(error, shown) {
  if (!error) return nothing;
  const extra = Object.entries(error.errors ?? {}).filter(([k]) => k !== '_schema' && !shown.includes(k));
  return html`${formError(error)}${extra.length ? html`<ul class="form-error bullets">${extra.map(([k, v]) =>
    html`<li>${k}: ${v.join(' ')}</li>`)}</ul>` : nothing}`;
}

/** Run one write for a form-like state `f`; on a problem, keep it on `f` and say it. */
async function submitWith(ctx, f, path, body, onDone) {
  f.busy = true; f.error = null; f.errors = null; ctx.update();
  try {
    const res = await api.post(path, body, {idempotencyKey: f.intent.keyFor({path, body})});
    f.intent.done();
    f.values = {};
    await onDone(res);
    return true;
  } catch (e) {
    f.error = e;
    f.errors = e.errors && Object.keys(e.errors).length ? e.errors : null;
    ctx.announce(problemText(e), {error: true});
    focusFirstError();
    return false;
  } finally {
    f.busy = false; ctx.update();
  }
}

function localErrors(ctx, f, errors) {
  f.error = null; f.errors = errors;
  ctx.announce(t('form.fix_errors'), {error: true});
  ctx.update(); focusFirstError();
}

function focusId(id) {
  requestAnimationFrame(() => document.getElementById(id)?.focus());
}

// ---- balances -----------------------------------------------------------------------------------

function balances(ctx) {
  const st = ctx.s.stock;
  const u = unit(ctx);
  return html`<section class="section" aria-labelledby="sm-bal-h">
    <h2 id="sm-bal-h" tabindex="-1">${t('sm.balances', {unit: u?.name ?? ''})}</h2>
    ${st === null ? html`<p class="loading">${t('app.loading')}</p>` : !st.lots?.length ? html`<p>${t('sm.balances_none')}</p>` : html`
      <div class="stats-scroll" role="region" tabindex="0" aria-labelledby="sm-bal-h">
      <table class="figs stock-table" id="sm-balances">
        <thead><tr><th scope="col">${t('sm.col_lot')}</th><th scope="col">${t('sm.col_expires')}</th>
          <th scope="col">${t('sm.col_balance')}</th></tr></thead>
        <tbody>${st.lots.map((l) => html`<tr data-lot=${l.lot_number}>
          <th scope="row">${l.lot_number}<br><span class="meta">${l.product_code}</span>
            ${l.quarantined ? html`<br><span class="badge danger">${t('ss.quarantined')}</span>`
              : l.expired ? html`<br><span class="badge danger">${t('ss.expired')}</span>` : nothing}</th>
          <td>${formatDate(l.expires_on, lang())}</td>
          <td class="bal" data-balance=${l.balance}>${nf(l.balance)}</td></tr>`)}</tbody>
      </table></div>`}
  </section>`;
}

// ---- incoming transfers ------------------------------------------------------------------------

function incomingSection(ctx) {
  const s = ctx.s;
  const list = (s.transfers ?? []).filter((x) => x.status === 'in_transit' && x.to_unit.id === s.unitId);
  return html`<section class="section" aria-labelledby="sm-in-h">
    <h2 id="sm-in-h" tabindex="-1">${t('sm.incoming')}</h2>
    <p class="hint">${t('sm.incoming_hint')}</p>
    ${s.transfers === null ? html`<p class="loading">${t('app.loading')}</p>` : !list.length
      ? html`<p>${t('sm.incoming_none')}</p>`
      : html`<ul class="list transfers">${list.map((x) => incomingItem(ctx, x))}</ul>`}
  </section>`;
}

function itemState(ctx, id) {
  return (ctx.s.items[id] ??= newForm());
}

function incomingItem(ctx, x) {
  const f = itemState(ctx, x.id);
  const p = `tr-${x.id}`;
  const v = f.values;
  const submit = async (ev) => {
    ev.preventDefault();
    f.values = formValues(ev.target);
    if (f.values.quantity_received === '') return localErrors(ctx, f, {quantity_received: [localMsg('form.required')]});
    const body = {quantity_received: int(f.values.quantity_received), discrepancy_note: f.values.discrepancy_note ?? ''};
    await submitWith(ctx, f, `/stock/transfers/${encodeURIComponent(x.id)}/receive`, body, async (res) => {
      ctx.announce(res.discrepancy
        ? t('sm.received_short', {n: nf(res.quantity_received), lot: res.lot_number, missing: nf(res.discrepancy)})
        : t('sm.received', {n: nf(res.quantity_received), lot: res.lot_number}));
      await load(ctx);
      focusId('sm-in-h');
    });
    if (f.error?.slug === 'transfer-state') load(ctx);
  };
  return html`<li class="card transfer" aria-labelledby="${p}-h">
    <h3 id="${p}-h">${t('sm.transfer_head', {lot: x.lot_number, product: x.product_code})}</h3>
    <p>${t('sm.transfer_from', {unit: x.from_unit.name, n: nf(x.quantity_sent)})}<br>
      <span class="meta">${t('sm.shipped_at', {at: formatDateTime(x.shipped_at, lang())})}</span></p>
    ${x.note ? html`<p class="meta">${t('sm.note_said', {note: x.note})}</p>` : nothing}
    <form novalidate @submit=${submit}>
      ${field({name: 'quantity_received', label: t('sm.quantity_received'), value: v.quantity_received ?? String(x.quantity_sent),
               required: true, errors: f.errors, prefix: p, inputmode: 'numeric', autocomplete: 'off',
               hint: t('sm.quantity_received_hint', {n: nf(x.quantity_sent)})})}
      ${textarea({name: 'discrepancy_note', label: t('sm.discrepancy_note'), value: v.discrepancy_note ?? '',
                  errors: f.errors, prefix: p, rows: 2, hint: t('sm.discrepancy_hint')})}
      ${problemBox(f.error, ['quantity_received', 'discrepancy_note'])}
      ${busyButton(f.busy, t('sm.receive_submit', {lot: x.lot_number}), t('form.saving'))}
    </form>
  </li>`;
}

// ---- receive a lot at a store ------------------------------------------------------------------

function receiptForm(ctx) {
  const s = ctx.s;
  const f = s.forms.receipt;
  const v = f.values;
  const submit = async (ev) => {
    ev.preventDefault();
    f.values = formValues(ev.target);
    const missing = ['product_code', 'lot_number', 'expires_on', 'manufacturer', 'quantity'].filter((k) => !f.values[k]);
    if (missing.length) return localErrors(ctx, f, Object.fromEntries(missing.map((k) => [k, [localMsg('form.required')]])));
    const body = {unit_id: s.unitId, product_code: f.values.product_code, lot_number: f.values.lot_number,
                  expires_on: f.values.expires_on, manufacturer: f.values.manufacturer, quantity: int(f.values.quantity)};
    await submitWith(ctx, f, '/stock/receipts', body, async (lot) => {
      ctx.announce(t('sm.receipt_done', {n: nf(body.quantity), lot: lot.lot_number}));
      await load(ctx);
      focusId('sm-bal-h');
    });
  };
  return html`<form class="card" novalidate @submit=${submit} aria-labelledby="sm-rc-h">
    <h2 id="sm-rc-h">${t('sm.receipt')}</h2>
    <p class="hint">${t('sm.receipt_hint')}</p>
    ${select({name: 'product_code', label: t('sm.product'), value: v.product_code, required: true, errors: f.errors, prefix: 'rc',
              options: (s.products ?? []).map((p) => ({value: p.code, label: productName(p)})),
              placeholder: s.products ? t('form.choose') : t('app.loading')})}
    ${field({name: 'lot_number', label: t('sm.lot_number'), value: v.lot_number, required: true, errors: f.errors,
             prefix: 'rc', autocomplete: 'off', maxlength: 40})}
    ${field({name: 'expires_on', label: t('sm.expires_on'), type: 'date', value: v.expires_on, required: true,
             errors: f.errors, prefix: 'rc'})}
    ${field({name: 'manufacturer', label: t('sm.manufacturer'), value: v.manufacturer, required: true, errors: f.errors,
             prefix: 'rc', autocomplete: 'off', maxlength: 120})}
    ${field({name: 'quantity', label: t('sm.quantity'), value: v.quantity, required: true, errors: f.errors, prefix: 'rc',
             inputmode: 'numeric', autocomplete: 'off'})}
    ${problemBox(f.error, ['product_code', 'lot_number', 'expires_on', 'manufacturer', 'quantity'])}
    ${busyButton(f.busy, t('sm.receipt_submit'), t('form.saving'))}
  </form>`;
}

// ---- ship down the tree ------------------------------------------------------------------------

/** Units a transfer from `id` may go to: below it, or back up the same branch (a return). */
function destinations(ctx, id) {
  const units = ctx.s.units ?? [];
  const byId = new Map(units.map((u) => [u.id, u]));
  const ancestors = (u) => { const out = []; for (let p = byId.get(u.parent_id); p; p = byId.get(p.parent_id)) out.push(p.id); return out; };
  const mine = ancestors(byId.get(id) ?? {});
  return units.filter((u) => u.id !== id && (ancestors(u).includes(id) || mine.includes(u.id)));
}

function shipSection(ctx) {
  const s = ctx.s;
  const f = s.forms.ship;
  const v = f.values;
  const lots = (s.stock?.lots ?? []).filter((l) => l.balance > 0 && l.usable !== false);
  const to = destinations(ctx, s.unitId);
  const outgoing = (s.transfers ?? []).filter((x) => x.status === 'in_transit' && x.from_unit.id === s.unitId);
  const submit = async (ev) => {
    ev.preventDefault();
    f.values = formValues(ev.target);
    const missing = ['lot_id', 'to_unit_id', 'quantity'].filter((k) => !f.values[k]);
    if (missing.length) return localErrors(ctx, f, Object.fromEntries(missing.map((k) => [k, [localMsg('form.required')]])));
    const body = {lot_id: f.values.lot_id, from_unit_id: s.unitId, to_unit_id: f.values.to_unit_id,
                  quantity: int(f.values.quantity), note: f.values.note ?? ''};
    await submitWith(ctx, f, '/stock/transfers', body, async (tr) => {
      ctx.announce(t('sm.shipped', {n: nf(tr.quantity_sent), lot: tr.lot_number, unit: tr.to_unit.name}));
      await load(ctx);
      focusId('sm-out-h');
    });
  };
  return html`<form class="card" novalidate @submit=${submit} aria-labelledby="sm-ship-h">
      <h2 id="sm-ship-h">${t('sm.ship')}</h2>
      <p class="hint">${t('sm.ship_hint')}</p>
      ${select({name: 'lot_id', label: t('sm.lot'), value: v.lot_id, required: true, errors: f.errors, prefix: 'sh',
                options: lotOptions(lots), placeholder: lots.length ? t('form.choose') : t('sm.no_lots')})}
      ${select({name: 'to_unit_id', label: t('sm.to_unit'), value: v.to_unit_id, required: true, errors: f.errors, prefix: 'sh',
                options: to.map((u) => ({value: u.id, label: `${u.name} · ${kindLabel(u.kind)}`})),
                placeholder: to.length ? t('form.choose') : t('sm.no_destinations')})}
      ${field({name: 'quantity', label: t('sm.quantity'), value: v.quantity, required: true, errors: f.errors, prefix: 'sh',
               inputmode: 'numeric', autocomplete: 'off'})}
      ${field({name: 'note', label: t('sm.ship_note'), value: v.note, errors: f.errors, prefix: 'sh', maxlength: 300,
               autocomplete: 'off'})}
      ${problemBox(f.error, ['lot_id', 'to_unit_id', 'quantity', 'note'])}
      ${busyButton(f.busy, t('sm.ship_submit'), t('form.sending'))}
    </form>
    <section class="section" aria-labelledby="sm-out-h">
      <h2 id="sm-out-h" tabindex="-1">${t('sm.outgoing')}</h2>
      ${s.transfers === null ? html`<p class="loading">${t('app.loading')}</p>` : !outgoing.length
        ? html`<p>${t('sm.outgoing_none')}</p>`
        : html`<ul class="list">${outgoing.map((x) => html`<li class="row">
            <span class="name">${t('sm.transfer_head', {lot: x.lot_number, product: x.product_code})}</span>
            <span class="meta">${t('sm.transfer_to', {unit: x.to_unit.name, n: nf(x.quantity_sent)})} ·
              ${formatDateTime(x.shipped_at, lang())}</span></li>`)}</ul>`}
    </section>`;
}

// ---- write off ---------------------------------------------------------------------------------

function writeOffForm(ctx) {
  const s = ctx.s;
  const f = s.forms.writeoff;
  const v = f.values;
  const lots = (s.stock?.lots ?? []).filter((l) => l.balance > 0);
  const submit = async (ev) => {
    ev.preventDefault();
    f.values = formValues(ev.target);
    const missing = ['lot_id', 'kind', 'quantity'].filter((k) => !f.values[k]);
    if (missing.length) return localErrors(ctx, f, Object.fromEntries(missing.map((k) => [k, [localMsg('form.required')]])));
    const body = {unit_id: s.unitId, lot_id: f.values.lot_id, kind: f.values.kind, quantity: int(f.values.quantity),
                  reason: f.values.reason ?? ''};
    await submitWith(ctx, f, '/stock/write-offs', body, async (res) => {
      ctx.announce(t('sm.written_off', {n: nf(body.quantity), lot: res.lot.lot_number, left: nf(res.balance)}));
      await load(ctx);
      focusId('sm-bal-h');
    });
  };
  const kind = v.kind ?? 'waste';
  return html`<form class="card" novalidate @submit=${submit} aria-labelledby="sm-wo-h"
      @change=${(ev) => { if (ev.target.name === 'kind') { f.values = formValues(ev.currentTarget); ctx.update(); } }}>
    <h2 id="sm-wo-h">${t('sm.writeoff')}</h2>
    <p class="hint">${t('sm.writeoff_hint')}</p>
    ${select({name: 'lot_id', label: t('sm.lot'), value: v.lot_id, required: true, errors: f.errors, prefix: 'wo',
              options: lotOptions(lots), placeholder: lots.length ? t('form.choose') : t('sm.no_lots')})}
    ${radios({name: 'kind', legend: t('sm.writeoff_kind'), value: kind, required: true, errors: f.errors, prefix: 'wo',
              options: [{value: 'waste', label: t('sm.kind_waste_long')}, {value: 'expire', label: t('sm.kind_expire_long')}]})}
    ${field({name: 'quantity', label: t('sm.quantity'), value: v.quantity, required: true, errors: f.errors, prefix: 'wo',
             inputmode: 'numeric', autocomplete: 'off'})}
    ${textarea({name: 'reason', label: t('sm.reason'), value: v.reason, errors: f.errors, prefix: 'wo', rows: 2,
                required: kind === 'waste', hint: t('sm.writeoff_reason_hint')})}
    ${problemBox(f.error, ['lot_id', 'kind', 'quantity', 'reason'])}
    ${busyButton(f.busy, t('sm.writeoff_submit'), t('form.saving'), {cls: 'danger'})}
  </form>`;
}

// ---- adjustments (four eyes) -------------------------------------------------------------------

function adjustSection(ctx) {
  const s = ctx.s;
  const f = s.forms.adjust;
  const v = f.values;
  const lots = s.stock?.lots ?? [];
  const submit = async (ev) => {
    ev.preventDefault();
    f.values = formValues(ev.target);
    const missing = ['lot_id', 'direction', 'delta', 'reason'].filter((k) => !f.values[k]);
    if (missing.length) return localErrors(ctx, f, Object.fromEntries(missing.map((k) => [k, [localMsg('form.required')]])));
    const n = int(f.values.delta);
    const delta = typeof n === 'number' ? (f.values.direction === 'remove' ? -n : n) : n;
    const body = {unit_id: s.unitId, lot_id: f.values.lot_id, delta, reason: f.values.reason};
    await submitWith(ctx, f, '/stock/adjustments', body, async () => {
      ctx.announce(t('sm.adjust_requested'));
      await load(ctx);
      focusId('sm-pend-h');
    });
  };
  const pending = s.adjustments ?? [];
  return html`<form class="card" novalidate @submit=${submit} aria-labelledby="sm-adj-h">
      <h2 id="sm-adj-h">${t('sm.adjust')}</h2>
      <p class="hint">${t('sm.adjust_hint')}</p>
      ${select({name: 'lot_id', label: t('sm.lot'), value: v.lot_id, required: true, errors: f.errors, prefix: 'ad',
                options: lotOptions(lots), placeholder: lots.length ? t('form.choose') : t('sm.no_lots')})}
      ${radios({name: 'direction', legend: t('sm.adjust_direction'), value: v.direction ?? 'remove', required: true,
                errors: f.errors, prefix: 'ad',
                options: [{value: 'remove', label: t('sm.adjust_remove')}, {value: 'add', label: t('sm.adjust_add')}]})}
      ${field({name: 'delta', label: t('sm.adjust_doses'), value: v.delta, required: true, errors: f.errors, prefix: 'ad',
               inputmode: 'numeric', autocomplete: 'off'})}
      ${textarea({name: 'reason', label: t('sm.reason'), value: v.reason, required: true, errors: f.errors, prefix: 'ad',
                  rows: 2, hint: t('sm.adjust_reason_hint')})}
      ${problemBox(f.error, ['lot_id', 'delta', 'reason'])}
      ${busyButton(f.busy, t('sm.adjust_submit'), t('form.sending'))}
    </form>
    <section class="section" aria-labelledby="sm-pend-h">
      <h2 id="sm-pend-h" tabindex="-1">${t('sm.pending')}</h2>
      <p class="hint">${t('sm.pending_hint')}</p>
      ${s.adjustments === null ? html`<p class="loading">${t('app.loading')}</p>` : !pending.length
        ? html`<p>${t('sm.pending_none')}</p>`
        : html`<ul class="list adjustments">${pending.map((a) => pendingItem(ctx, a))}</ul>`}
    </section>`;
}

function pendingItem(ctx, a) {
  const f = itemState(ctx, a.id);
  const p = `adj-${a.id}`;
  const lot = lotLabel(ctx, a.lot_id);
  const mine = a.requested_by === state.me?.account_id;
  const where = a.unit_id !== ctx.s.unitId ? unit(ctx, a.unit_id)?.name : null;
  const decide = (approve) => async () => {
    const note = document.getElementById(`${p}-note`)?.value.trim() ?? '';
    f.values = {note};
    const ok = await submitWith(ctx, f, `/stock/adjustments/${encodeURIComponent(a.id)}/${approve ? 'approve' : 'reject'}`,
                                {note}, async () => {
      ctx.announce(t(approve ? 'sm.approved' : 'sm.rejected', {lot}));
      await load(ctx);
      focusId('sm-pend-h');
    });
    if (!ok && f.error?.slug === 'adjustment-state') load(ctx);
  };
  return html`<li class="card adjustment" aria-labelledby="${p}-h">
    <h3 id="${p}-h">${t('sm.adjust_head', {lot, n: signed(a.delta)})}</h3>
    <p>${t('sm.reason_said', {reason: a.reason})}</p>
    <p class="meta">${t('sm.requested_at', {at: formatDateTime(a.requested_at, lang())})}${where ? html` · ${where}` : nothing}</p>
    ${mine ? html`<p class="attention-text">${t('sm.yours')}</p>` : nothing}
    ${field({name: 'note', label: t('sm.decision_note'), value: f.values.note, errors: f.errors, prefix: p,
             autocomplete: 'off', maxlength: 500})}
    ${problemBox(f.error, ['note'])}
    <div class="actions">
      ${busyButton(f.busy, t('sm.approve'), t('form.sending'), {cls: 'primary', type: 'button', onClick: decide(true)})}
      ${busyButton(f.busy, t('sm.reject'), t('form.sending'), {cls: 'danger', type: 'button', onClick: decide(false)})}
    </div>
  </li>`;
}

// ---- the ledger --------------------------------------------------------------------------------

function ledgerSection(ctx) {
  const list = ctx.s.movements;
  return html`<section class="section" aria-labelledby="sm-led-h">
    <h2 id="sm-led-h">${t('sm.ledger')}</h2>
    <p class="hint">${t('sm.ledger_hint')}</p>
    ${list === null ? html`<p class="loading">${t('app.loading')}</p>` : !list.length ? html`<p>${t('sm.ledger_none')}</p>`
      : html`<ol class="list ledger">${list.map((m) => html`<li class="row move">
          <span class="qty ${m.quantity < 0 ? 'out' : 'in'}">${signed(m.quantity)}</span>
          <span class="name">${t(`sm.kind_${m.kind}`)}</span>
          <span class="meta"><strong class="lot">${m.lot_number}</strong> · ${m.product_code} ·
            ${formatDateTime(m.at, lang())}${m.reason ? html` · ${m.reason}` : nothing}${
            m.approved_by ? html` · ${t('sm.approved_by_second')}` : nothing}</span>
        </li>`)}</ol>`}
  </section>`;
}
