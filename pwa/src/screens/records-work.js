// Staff work on dose records: the queue of correction requests (with the evidence photos) to approve
// or reject with a reason; doses from paper cards entered by one person and approved by another;
// CSV imports of historical doses, checked whole (a per-row report; nothing half-imported), listed
// for the second person who approves them. Every refusal from the API is shown whole where the
// person acts; its messages (and each row's reasons) come in the page's language from the server.
import {html, nothing} from 'lit-html';
import {t} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {state} from '../state.js';
import {field, select, textarea, formValues, focusFirstError, localMsg} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {SITE, staffGate, activeRoles, loadUnits, unitOption} from './staff-common.js';
import {doseLabel} from './vax-common.js';
import {loadProducts, productOptions, productText, valueText, fieldLabel, doseStatusBadge,
        requestStatusBadge, changesTable, correctionRows, problemBox, focusProblem, formErrors, uploadOnce,
        fileField, when} from './records-common.js';

const ENTER = ['site_staff', 'department_staff'];  // who may enter backfills and upload imports
const STATUSES = ['pending', 'approved', 'rejected'];
const IMPORT_STATUSES = ['pending_approval', 'approved', 'rejected'];
const IMPORT_PAGE = 20;
const queueNames = new Map();  // correction id → the person's name, from the last queue read

/** The three tools side by side (a sub-navigation under the heading). */
function recordsNav(here) {
  const links = [['#/work/corrections', 'recs.corr_title'], ['#/work/backfills', 'recs.bf_title'],
                 ['#/work/imports', 'recs.imp_title']];
  return html`<nav class="subnav" aria-label=${t('recs.nav')}><ul>${links.map(([href, key]) => html`<li>
    <a href=${href} aria-current=${href === here ? 'page' : nothing}>${t(key)}</a></li>`)}</ul></nav>`;
}

function doseText(products, d) {
  return `${productText(products, d.product_code)} · ${d.series === 'booster' ? doseLabel('booster')
    : doseLabel(d.dose_number)} · ${valueText('administered_on', d.administered_on)}`;
}

/** Approve or reject (a note is needed to reject): one small form for corrections, doses, imports. */
function decisionForm(ctx, d, {id, onDecide, approveLabel, rejectLabel}) {
  const run = (approve) => (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget.form;
    d.note = formValues(form).note ?? '';
    if (!approve && d.note.length < 3) {
      d.errors = {note: [localMsg('recs.note_needed')]}; d.error = null;
      ctx.announce(t('form.fix_errors'), {error: true});
      ctx.update(); focusFirstError(form);
      return;
    }
    onDecide(approve);
  };
  return html`<form class="decide" novalidate aria-labelledby="${id}-h" @submit=${(ev) => ev.preventDefault()}>
    <h3 id="${id}-h" class="visually-hidden">${t('recs.decide')}</h3>
    ${textarea({name: 'note', label: t('recs.note'), value: d.note ?? '', rows: 2, hint: t('recs.note_hint'),
                errors: d.errors, prefix: id})}
    ${problemBox(d.error, {id: `${id}-problem`})}
    <div class="actions">
      ${busyButton(d.busy === 'approve', approveLabel, t('form.sending'), {type: 'submit', onClick: run(true),
                   cls: 'primary'})}
      ${busyButton(d.busy === 'reject', rejectLabel, t('form.sending'), {type: 'button', onClick: run(false),
                   cls: 'danger'})}
    </div>
  </form>`;
}

/** POST a decision with one key per intent; the problem stays on the card when it is refused. */
async function decide(ctx, d, path, approve, {id, done}) {
  const body = {note: d.note ?? ''};
  const what = approve ? 'approve' : 'reject';
  d.busy = what; d.error = null; d.errors = null; ctx.update();
  try {
    const res = await api.post(`${path}/${what}`, body, {idempotencyKey: d.intent.keyFor({what, ...body})});
    d.intent.done();
    d.note = '';
    await done(res, approve);
  } catch (e) {
    d.error = e; d.errors = formErrors(e);
    ctx.announce(problemText(e), {error: true});
    ctx.update();
    focusProblem(`${id}-problem`);
  } finally {
    d.busy = null; ctx.update();
  }
}

const newDecision = () => ({note: '', busy: null, error: null, errors: null, intent: new Intent()});

// ---------------------------------------------------------------- #/work/corrections

export const correctionQueue = {
  title: 'recs.corr_title',

  enter(ctx) {
    Object.assign(ctx.s, {status: ctx.query.get('status') || 'pending', items: null, products: null, loading: false});
    if (staffGate(ctx, SITE, 'recs.corr_title')) return;
    loadProducts().then((p) => { ctx.s.products = p; ctx.update(); }).catch(() => {});
    loadQueue(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, SITE, 'recs.corr_title');
    if (gate) return gate;
    const s = ctx.s;
    const pick = (ev) => {
      ev.preventDefault();
      s.status = formValues(ev.target).status ?? '';
      loadQueue(ctx, {announce: true});
    };
    return html`
      <h1>${t('recs.corr_title')}</h1>
      ${recordsNav('#/work/corrections')}
      <p class="lead">${t('recs.corr_lead')}</p>
      <form class="card filters" novalidate @submit=${pick} aria-label=${t('recs.filter')}>
        ${select({name: 'status', label: t('recs.status'), value: s.status, prefix: 'cq', placeholder: t('recs.all'),
                  options: STATUSES.map((x) => ({value: x, label: t(`rec.status_${x}`)}))})}
        ${busyButton(s.loading, t('recs.show'), t('app.loading'), {cls: 'secondary'})}
      </form>
      <section class="section" aria-labelledby="cq-h" aria-busy=${s.loading ? 'true' : 'false'}>
        <h2 id="cq-h">${s.status ? t('recs.corr_list', {status: t(`rec.status_${s.status}`)}) : t('recs.corr_list_all')}</h2>
        ${s.items === null ? html`<p class="loading">${t('app.loading')}</p>`
          : s.items.length === 0 ? html`<p>${t('recs.corr_empty')}</p>`
          : html`<ul class="list">${s.items.map((c) => queueRow(ctx, c))}</ul>`}
      </section>`;
  },
};

async function loadQueue(ctx, {announce = false} = {}) {
  const s = ctx.s;
  s.loading = true; ctx.update();
  try {
    s.items = await api.get(`/corrections?status=${encodeURIComponent(s.status)}`);
    s.items.forEach((c) => queueNames.set(c.id, c.full_name));
    if (announce) ctx.announce(t('recs.found', {n: s.items.length}));
  } catch (e) {
    s.items ??= [];
    ctx.announce(problemText(e), {error: true});
  } finally {
    s.loading = false; ctx.update();
  }
}

function queueRow(ctx, c) {
  const rows = correctionRows(c);
  const summary = rows.map((r) => `${fieldLabel(r.field)}: ${valueText(r.field, r.before, ctx.s.products)} → ${
    valueText(r.field, r.after, ctx.s.products)}`).join('; ');
  return html`<li><a class="row" href="#/work/corrections/${encodeURIComponent(c.id)}">
    <span class="name">${c.full_name}</span>
    ${requestStatusBadge(c.status)}
    <span class="meta">${t(`corr.kind_${c.kind}`)} · ${t('corr.asked_at', {at: when(c.requested_at)})}<br>${summary}</span>
  </a></li>`;
}

// ---------------------------------------------------------------- #/work/corrections/:id

export const correctionDetail = {
  title: 'recs.corr_detail',

  enter(ctx) {
    Object.assign(ctx.s, {c: null, name: queueNames.get(ctx.params.id) ?? '', dose: null, products: null,
                          d: newDecision()});
    if (staffGate(ctx, SITE, 'recs.corr_detail')) return;
    loadCorrection(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, SITE, 'recs.corr_detail');
    if (gate) return gate;
    const s = ctx.s;
    const c = s.c;
    return html`
      <h1>${t('recs.corr_detail')}</h1>
      ${recordsNav('#/work/corrections')}
      ${c ? correctionCard(ctx, c) : html`<p class="loading">${t('app.loading')}</p>`}
      <p><a class="button secondary" href="#/work/corrections">${t('recs.back_queue')}</a></p>`;
  },
};

async function loadCorrection(ctx) {
  const s = ctx.s;
  const id = encodeURIComponent(ctx.params.id);
  try {
    const [c, products] = await Promise.all([api.get(`/corrections/${id}`), loadProducts()]);
    s.c = c;
    s.products = products;
    ctx.update();
    if (!s.name) {  // opened from a link: the queue (every status) says whose request it is
      const all = await api.get('/corrections?status=');
      all.forEach((x) => queueNames.set(x.id, x.full_name));
      s.name = queueNames.get(c.id) ?? '';
    }
    if (c.dose_record_id) s.dose = (await api.get(`/doses/${encodeURIComponent(c.dose_record_id)}/history`)).dose;
  } catch (e) {
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

function correctionCard(ctx, c) {
  const s = ctx.s;
  const photos = c.evidence ?? [];
  return html`<section class="card" aria-labelledby="cd-h">
    <h2 id="cd-h" tabindex="-1">${s.name || t(`corr.kind_${c.kind}`)}</h2>
    <p class="status-line">${requestStatusBadge(c.status)}</p>
    <dl class="facts">
      <div><dt>${t('recs.kind')}</dt><dd>${t(`corr.kind_${c.kind}`)}</dd></div>
      ${s.dose ? html`<div><dt>${t('recs.dose')}</dt><dd>${doseText(s.products, s.dose)}</dd></div>` : nothing}
      <div><dt>${t('recs.asked_on')}</dt><dd>${when(c.requested_at)}</dd></div>
      ${c.decided_at ? html`<div><dt>${t('recs.decided_on')}</dt><dd>${when(c.decided_at)}</dd></div>` : nothing}
    </dl>
    <h3>${t('recs.changes')}</h3>
    ${changesTable(correctionRows(c), s.products, {beforeLabel: t('recs.on_record'),
      afterLabel: c.status === 'approved' ? t('rec.after') : t('corr.asked'), caption: t('recs.changes')})}
    <p><strong>${t('corr.reason')}:</strong> ${c.reason}</p>
    ${c.decision_note ? html`<p><strong>${t('corr.decision_note')}:</strong> ${c.decision_note}</p>` : nothing}
    <h3>${t('recs.evidence', {n: photos.length})}</h3>
    <ul class="evidence">${photos.map((p, i) => {
      const src = `/api/v1/corrections/${encodeURIComponent(c.id)}/evidence/${encodeURIComponent(p.sha256)}`;
      const alt = t('recs.photo_alt', {n: i + 1, total: photos.length});
      return html`<li><figure>
        <img src=${src} alt=${alt} loading="lazy">
        <figcaption><a href=${src} target="_blank" rel="noopener">${t('recs.photo_open', {n: i + 1})}</a>
          <span class="meta">${Math.max(1, Math.round(p.size / 1024))} KB</span></figcaption>
      </figure></li>`;
    })}</ul>
    ${c.status === 'pending' ? decisionForm(ctx, s.d, {
      id: 'cd', approveLabel: t('recs.approve_correction'), rejectLabel: t('recs.reject'),
      onDecide: (approve) => decide(ctx, s.d, `/corrections/${encodeURIComponent(c.id)}`, approve, {
        id: 'cd', done: async (res, yes) => {
          s.c = res;
          ctx.announce(yes ? t('recs.corr_approved') : t('recs.corr_rejected'));
          requestAnimationFrame(() => document.getElementById('cd-h')?.focus());
        }})}) : nothing}
  </section>`;
}

// ---------------------------------------------------------------- #/work/backfills

export const backfills = {
  title: 'recs.bf_title',

  enter(ctx) {
    Object.assign(ctx.s, {
      pending: null, products: null, units: null, decisions: {},
      find: {who: '', reason: t('recs.lookup_reason_default'), busy: false, error: null, errors: null,
             person: null, intent: new Intent()},
      form: {values: {}, busy: false, error: null, errors: null, intent: new Intent()},
    });
    if (staffGate(ctx, SITE, 'recs.bf_title')) return;
    loadProducts().then((p) => { ctx.s.products = p; ctx.update(); })
      .catch((e) => ctx.announce(problemText(e), {error: true}));
    loadUnits(['site', 'health_centre']).then((u) => { ctx.s.units = u; ctx.update(); }).catch(() => { ctx.s.units = []; });
    loadPending(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, SITE, 'recs.bf_title');
    if (gate) return gate;
    return html`
      <h1>${t('recs.bf_title')}</h1>
      ${recordsNav('#/work/backfills')}
      <p class="lead">${t('recs.bf_lead')}</p>
      ${pendingSection(ctx)}
      ${activeRoles(ENTER).length ? enterSection(ctx) : nothing}`;
  },
};

async function loadPending(ctx) {
  try {
    ctx.s.pending = await api.get('/dose-backfills');
  } catch (e) {
    ctx.s.pending ??= [];
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

function pendingSection(ctx) {
  const s = ctx.s;
  return html`<section class="section" aria-labelledby="bf-pending-h">
    <h2 id="bf-pending-h" tabindex="-1">${t('recs.bf_pending')}</h2>
    ${s.pending === null ? html`<p class="loading">${t('app.loading')}</p>`
      : s.pending.length === 0 ? html`<p>${t('recs.bf_none')}</p>`
      : html`<ul class="list">${s.pending.map((d) => pendingCard(ctx, d))}</ul>`}
  </section>`;
}

function pendingCard(ctx, d) {
  const s = ctx.s;
  const dec = (s.decisions[d.id] ??= newDecision());
  const mine = d.recorded_by === state.me?.account_id;
  const id = `bf-${d.id}`;
  return html`<li class="card backfill" id=${id}>
    <h3 id="${id}-name">${d.full_name}</h3>
    <p class="meta">${t('queue.born', {date: valueText('date_of_birth', d.date_of_birth)})}</p>
    <dl class="facts">
      <div><dt>${t('recs.dose')}</dt><dd>${productText(s.products, d.product_code)} · ${valueText('administered_on', d.administered_on)}</dd></div>
      <div><dt>${t('rec.field_lot_number')}</dt><dd>${valueText('lot_number', d.lot_number)}</dd></div>
      <div><dt>${t('rec.field_site_name')}</dt><dd>${valueText('site_name', d.site_name)}</dd></div>
      ${d.note ? html`<div><dt>${t('recs.bf_note')}</dt><dd>${d.note}</dd></div>` : nothing}
      <div><dt>${t('recs.entered')}</dt><dd>${when(d.created_at)}${mine
        ? html` <span class="badge">${t('recs.entered_by_you')}</span>` : nothing}</dd></div>
    </dl>
    ${mine ? html`<p class="hint">${t('recs.second_person_hint')}</p>` : nothing}
    ${decisionForm(ctx, dec, {
      id, approveLabel: t('recs.approve_dose'), rejectLabel: t('recs.reject'),
      onDecide: (approve) => decide(ctx, dec, `/doses/${encodeURIComponent(d.id)}`, approve, {
        id, done: async (res, yes) => {
          ctx.announce(yes ? t('recs.bf_approved', {name: d.full_name}) : t('recs.bf_rejected', {name: d.full_name}));
          delete s.decisions[d.id];
          await loadPending(ctx);
          requestAnimationFrame(() => document.getElementById('bf-pending-h')?.focus());
        }})})}
  </li>`;
}

/** What the staff member typed → the look-up's one way to identify (ID number, phone or QR). */
export function lookupKey(text) {
  const v = String(text ?? '').trim();
  const digits = v.replace(/[\s.-]/g, '');
  if (/^\d{12}$/.test(digits)) return {national_id: digits};
  if (/^(\+?84|0)\d{8,10}$/.test(digits)) return {phone: digits};
  return v ? {qr: v} : null;
}

function enterSection(ctx) {
  const s = ctx.s;
  const f = s.find;
  const lookup = async (ev) => {
    ev.preventDefault();
    const v = formValues(ev.target);
    Object.assign(f, {who: v.who, reason: v.reason});
    const errors = {};
    if (!v.who) errors.who = [localMsg('form.required')];
    if ((v.reason ?? '').length < 3) errors.reason = [localMsg('recs.lookup_reason_needed')];
    if (Object.keys(errors).length) {
      f.errors = errors; f.error = null;
      ctx.announce(t('form.fix_errors'), {error: true});
      ctx.update(); focusFirstError();
      return;
    }
    const body = {...lookupKey(v.who), reason: v.reason};
    f.busy = true; f.error = null; f.errors = null; ctx.update();
    try {
      const res = await api.post('/staff/person-lookups', body, {idempotencyKey: f.intent.keyFor(body)});
      f.intent.done();
      f.person = res.person;
      ctx.announce(t('staff.found', {name: res.person.full_name}));
      requestAnimationFrame(() => document.getElementById('bf-person-h')?.focus());
    } catch (e) {
      f.error = e;
      f.errors = e.errors?.national_id || e.errors?.phone || e.errors?.qr
        ? {who: [...(e.errors.national_id ?? []), ...(e.errors.phone ?? []), ...(e.errors.qr ?? [])]} : formErrors(e);
      ctx.announce(problemText(e), {error: true});
      ctx.update();
      focusProblem('bf-find-problem');
    } finally {
      f.busy = false; ctx.update();
    }
  };
  return html`<section class="section" aria-labelledby="bf-new-h">
    <h2 id="bf-new-h">${t('recs.bf_new')}</h2>
    ${f.person ? personCard(ctx) : html`<form class="card" novalidate @submit=${lookup} aria-labelledby="bf-find-h">
      <h3 id="bf-find-h">${t('recs.bf_find')}</h3>
      ${field({name: 'who', label: t('recs.bf_who'), value: f.who, required: true, hint: t('recs.bf_who_hint'),
               errors: f.errors, prefix: 'bf', autocomplete: 'off'})}
      ${field({name: 'reason', label: t('staff.reason'), value: f.reason, required: true, hint: t('staff.reason_hint'),
               errors: f.errors, prefix: 'bf', autocomplete: 'off'})}
      ${problemBox(f.error, {id: 'bf-find-problem'})}
      ${busyButton(f.busy, t('staff.lookup'), t('staff.looking_up'), {cls: 'secondary'})}
    </form>`}
  </section>`;
}

function personCard(ctx) {
  const s = ctx.s;
  const p = s.find.person;
  const f = s.form;
  const v = f.values;
  const submit = async (ev) => {
    ev.preventDefault();
    f.values = {...f.values, ...formValues(ev.target)};
    const errors = {};
    for (const k of ['product_code', 'administered_on']) if (!f.values[k]) errors[k] = [localMsg('form.required')];
    if (Object.keys(errors).length) {
      f.errors = errors; f.error = null;
      ctx.announce(t('form.fix_errors'), {error: true});
      ctx.update(); focusFirstError();
      return;
    }
    const body = {person_id: p.id, product_code: f.values.product_code, administered_on: f.values.administered_on,
                  lot_number: f.values.lot_number ?? '', note: f.values.note ?? '',
                  ...(f.values.unit_id ? {unit_id: f.values.unit_id} : {site_name: f.values.site_name ?? ''})};
    f.busy = true; f.error = null; f.errors = null; ctx.update();
    try {
      await api.post('/dose-backfills', body, {idempotencyKey: f.intent.keyFor(body)});
      f.intent.done();
      f.values = {};
      ctx.announce(t('recs.bf_entered', {name: p.full_name}));
      await loadPending(ctx);
      requestAnimationFrame(() => document.getElementById('bf-pending-h')?.focus());
    } catch (e) {
      f.error = e; f.errors = formErrors(e);
      ctx.announce(problemText(e), {error: true});
      ctx.update();
      focusProblem('bf-problem');
    } finally {
      f.busy = false; ctx.update();
    }
  };
  const change = () => {
    Object.assign(s.find, {person: null, who: ''});
    f.values = {}; f.error = null; f.errors = null;
    ctx.update();
    requestAnimationFrame(() => document.getElementById('bf-who')?.focus());
  };
  return html`<div class="card result">
    <h3 id="bf-person-h" tabindex="-1">${p.full_name}</h3>
    <p class="meta">${t('queue.born', {date: valueText('date_of_birth', p.date_of_birth)})}
      ${p.address?.province_name ? html` · ${p.address.province_name}` : nothing}</p>
    <button type="button" class="secondary small" @click=${change}>${t('recs.bf_other_person')}</button>
  </div>
  <form class="card" novalidate @submit=${submit} aria-labelledby="bf-dose-h" id="bf-form">
    <h3 id="bf-dose-h">${t('recs.bf_dose', {name: p.full_name})}</h3>
    <p class="hint">${t('recs.bf_dose_hint')}</p>
    ${select({name: 'product_code', label: t('rec.field_product_code'), value: v.product_code, required: true,
              errors: f.errors, prefix: 'bf', options: productOptions(s.products),
              placeholder: s.products ? t('form.choose') : t('app.loading')})}
    ${field({name: 'administered_on', label: t('rec.field_administered_on'), type: 'date', value: v.administered_on,
             required: true, errors: f.errors, prefix: 'bf'})}
    ${field({name: 'lot_number', label: t('rec.field_lot_number'), value: v.lot_number, errors: f.errors, prefix: 'bf',
             autocomplete: 'off', maxlength: 40})}
    ${select({name: 'unit_id', label: t('recs.bf_unit'), value: v.unit_id, errors: f.errors, prefix: 'bf',
              hint: t('recs.bf_unit_hint'), options: (s.units ?? []).map(unitOption), placeholder: t('recs.bf_unit_none')})}
    ${field({name: 'site_name', label: t('recs.bf_site_name'), value: v.site_name, errors: f.errors, prefix: 'bf',
             autocomplete: 'off', maxlength: 200})}
    ${field({name: 'note', label: t('recs.bf_note'), value: v.note, errors: f.errors, prefix: 'bf',
             hint: t('recs.bf_note_hint'), autocomplete: 'off', maxlength: 300})}
    ${problemBox(f.error, {id: 'bf-problem'})}
    ${busyButton(f.busy, t('recs.bf_submit'), t('form.sending'))}
  </form>`;
}

// ---------------------------------------------------------------- #/work/imports

// The columns api/vaccination/imports.py reads (a header row, UTF-8, comma-separated).
const COLUMNS = [
  ['national_id', 'who'], ['person_id', 'who'], ['date_of_birth', 'required'], ['product_code', 'required'],
  ['administered_on', 'required'], ['lot_number', 'optional'], ['dose_number', 'optional'],
  ['site_code', 'optional'], ['site_name', 'optional'],
];
const TEMPLATE = 'national_id,date_of_birth,product_code,administered_on,lot_number,dose_number,site_code,site_name\r\n'
  + '001185012345,15/06/1985,astrazeneca,2021-08-20,AZ1234,1,,Trạm Y tế phường Hoàn Kiếm\r\n';

export const imports = {
  title: 'recs.imp_title',

  enter(ctx) {
    Object.assign(ctx.s, {file: null, busy: false, error: null, errors: null, result: null, rejected: null,
                          intent: new Intent(), open: {code: '', errors: null},
                          list: {status: ctx.query.get('status') ?? 'pending_approval', items: null, total: 0,
                                 loading: false}});
    if (staffGate(ctx, SITE, 'recs.imp_title')) return;
    loadImports(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, SITE, 'recs.imp_title');
    if (gate) return gate;
    return html`
      <h1>${t('recs.imp_title')}</h1>
      ${recordsNav('#/work/imports')}
      <p class="lead">${t('recs.imp_lead')}</p>
      ${importList(ctx)}
      ${activeRoles(ENTER).length ? uploadSection(ctx) : nothing}
      ${ctx.s.rejected ? rejectedReport(ctx) : nothing}
      ${ctx.s.result ? acceptedReport(ctx) : nothing}
      ${openSection(ctx)}
      ${columnsSection()}`;
  },
};

/** Imports of the units within scope, newest first: a page at a time, the ones waiting by default. */
async function loadImports(ctx, {more = false, announce = false} = {}) {
  const l = ctx.s.list;
  l.loading = true; ctx.update();
  const offset = more ? (l.items?.length ?? 0) : 0;
  const query = new URLSearchParams({limit: String(IMPORT_PAGE), offset: String(offset)});
  if (l.status) query.set('status', l.status);
  try {
    const page = await api.get(`/dose-imports?${query}`);
    l.items = more ? [...(l.items ?? []), ...page.items] : page.items;
    l.total = page.total;
    if (announce) ctx.announce(t('recs.imp_found', {n: page.total}));
  } catch (e) {
    l.items ??= [];
    ctx.announce(problemText(e), {error: true});
  } finally {
    l.loading = false; ctx.update();
  }
}

function importList(ctx) {
  const l = ctx.s.list;
  const pick = (ev) => {
    ev.preventDefault();
    l.status = formValues(ev.target).status ?? '';
    loadImports(ctx, {announce: true});
  };
  const more = async () => {
    const next = l.items.length;
    await loadImports(ctx, {more: true});
    requestAnimationFrame(() => document.querySelectorAll('#imp-list a.row')[next]?.focus());
  };
  return html`<section class="section" aria-labelledby="imp-list-h" aria-busy=${l.loading ? 'true' : 'false'}>
    <h2 id="imp-list-h" tabindex="-1">${l.status ? t('recs.imp_list', {status: t(`rec.status_${l.status}`)})
      : t('recs.imp_list_all')}</h2>
    <p class="hint">${t('recs.imp_list_hint')}</p>
    <form class="card filters" novalidate @submit=${pick} aria-label=${t('recs.imp_filter')}>
      ${select({name: 'status', label: t('recs.status'), value: l.status, prefix: 'il', placeholder: t('recs.all'),
                options: IMPORT_STATUSES.map((x) => ({value: x, label: t(`rec.status_${x}`)}))})}
      ${busyButton(l.loading && l.items !== null, t('recs.show'), t('app.loading'), {cls: 'secondary'})}
    </form>
    ${l.items === null ? html`<p class="loading">${t('app.loading')}</p>`
      : l.items.length === 0 ? html`<p>${t('recs.imp_list_empty')}</p>`
      : html`<ul class="list" id="imp-list">${l.items.map(importRow)}</ul>`}
    ${l.items && l.items.length < l.total ? html`<button type="button" class="secondary" @click=${more}
      ?disabled=${l.loading}>${t('recs.imp_more', {shown: l.items.length, total: l.total})}</button>` : nothing}
  </section>`;
}

function importRow(b) {
  const mine = b.uploaded_by === state.me?.account_id;
  return html`<li><a class="row" href="#/work/imports/${encodeURIComponent(b.id)}">
    <span class="name">${b.file_name || b.id}</span>
    ${requestStatusBadge(b.status)}
    <span class="meta">${t('recs.imp_row_meta', {unit: b.unit?.name ?? '—', n: b.row_count, at: when(b.uploaded_at)})}${
      mine ? html` <span class="badge">${t('recs.imp_by_you')}</span>` : nothing}</span>
  </a></li>`;
}

function uploadSection(ctx) {
  const s = ctx.s;
  const submit = async (ev) => {
    ev.preventDefault();
    const file = ev.target.querySelector('#imp-file').files[0];
    if (!file) {
      s.errors = {file: [localMsg('recs.imp_pick')]}; s.error = null;
      ctx.announce(t('form.fix_errors'), {error: true});
      ctx.update(); focusFirstError();
      return;
    }
    s.busy = true; s.error = null; s.errors = null; s.result = null; s.rejected = null; ctx.update();
    try {
      s.result = await uploadOnce('/dose-imports', s.intent, {}, [['file', file]]);
      s.intent.done();
      ctx.announce(t('recs.imp_accepted', {n: s.result.row_count}));
      ctx.update();
      loadImports(ctx);  // it is in the list now, waiting for the second person
      requestAnimationFrame(() => document.getElementById('imp-ok-h')?.focus());
    } catch (e) {
      if (Array.isArray(e.problem?.rows) && e.problem.rows.length) {
        s.rejected = e;
        ctx.announce(problemText(e), {error: true});
        ctx.update();
        requestAnimationFrame(() => document.getElementById('imp-report-h')?.focus());
      } else {
        s.error = e;
        ctx.announce(problemText(e), {error: true});
        ctx.update();
        focusProblem('imp-problem');
      }
    } finally {
      s.busy = false; ctx.update();
    }
  };
  return html`<form class="card" novalidate @submit=${submit} aria-labelledby="imp-up-h">
    <h2 id="imp-up-h">${t('recs.imp_upload')}</h2>
    ${fileField({id: 'imp-file', name: 'file', label: t('recs.imp_file'), hint: t('recs.imp_file_hint'),
                 accept: '.csv,text/csv', errors: s.errors?.file, files: s.file ? [s.file] : [],
                 onChange: (input) => { s.file = input.files[0] ?? null; s.errors = null; ctx.update(); },
                 choose: t('recs.imp_choose'), none: t('recs.imp_none'), chosen: ([x]) => x.name})}
    ${problemBox(s.error, {id: 'imp-problem'})}
    ${busyButton(s.busy, t('recs.imp_send'), t('recs.imp_checking'))}
  </form>`;
}

function rejectedReport(ctx) {
  const e = ctx.s.rejected;
  const p = e.problem;
  const bad = p.rows.filter((r) => r.status === 'rejected');
  return html`<section class="card problem" aria-labelledby="imp-report-h" id="imp-report">
    <h2 id="imp-report-h" tabindex="-1">${e.title}</h2>
    ${e.detail ? html`<p>${e.detail}</p>` : nothing}
    <p><strong>${t('recs.imp_counts', {accepted: p.accepted ?? 0, rejected: p.rejected ?? bad.length})}</strong></p>
    <p>${t('recs.imp_nothing')}</p>
    <div class="stats-scroll"><table class="figs rows">
      <caption class="visually-hidden">${t('recs.imp_rejected_rows')}</caption>
      <thead><tr><th scope="col">${t('recs.imp_row')}</th><th scope="col">${t('recs.imp_why')}</th></tr></thead>
      <tbody>${bad.map((r) => html`<tr>
        <th scope="row">${r.row}</th>
        <td><ul class="reasons">${(r.reasons ?? []).filter((x) => x.severity !== 'warning').map((x) => html`<li
          data-code=${x.code}><code>${x.field}</code>: ${x.message}</li>`)}</ul></td>
      </tr>`)}</tbody>
    </table></div>
  </section>`;
}

function acceptedReport(ctx) {
  const r = ctx.s.result;
  const warned = (r.rows ?? []).filter((x) => x.warnings?.length);
  return html`<section class="card ok" aria-labelledby="imp-ok-h" id="imp-ok">
    <h2 id="imp-ok-h" tabindex="-1">${t('recs.imp_ok', {n: r.row_count})}</h2>
    <p class="status-line">${requestStatusBadge(r.status)}</p>
    <p>${t('recs.imp_ok_next')}</p>
    <p>${t('recs.imp_code')} <code class="code">${r.id}</code></p>
    ${warned.length ? html`<h3>${t('recs.imp_warnings')}</h3><ul class="bullets">${warned.map((x) => html`<li>
      ${t('recs.imp_row')} ${x.row}: ${x.warnings.join(' ')}</li>`)}</ul>` : nothing}
    <a class="button secondary" href="#/work/imports/${encodeURIComponent(r.id)}">${t('recs.imp_open_this')}</a>
  </section>`;
}

function openSection(ctx) {
  const o = ctx.s.open;
  const submit = (ev) => {
    ev.preventDefault();
    o.code = formValues(ev.target).code ?? '';
    if (!o.code) {
      o.errors = {code: [localMsg('form.required')]};
      ctx.update(); focusFirstError();
      return;
    }
    ctx.go(`#/work/imports/${encodeURIComponent(o.code)}`);
  };
  return html`<form class="card" novalidate @submit=${submit} aria-labelledby="imp-open-h">
    <h2 id="imp-open-h">${t('recs.imp_open')}</h2>
    ${field({name: 'code', label: t('recs.imp_code_label'), value: o.code, required: true, hint: t('recs.imp_code_hint'),
             errors: o.errors, prefix: 'io', autocomplete: 'off'})}
    <button type="submit" class="secondary">${t('recs.imp_open_button')}</button>
  </form>`;
}

function columnsSection() {
  const href = `data:text/csv;charset=utf-8,${encodeURIComponent(TEMPLATE)}`;
  return html`<section class="section" aria-labelledby="imp-cols-h">
    <h2 id="imp-cols-h">${t('recs.imp_columns')}</h2>
    <p class="hint">${t('recs.imp_columns_hint')}</p>
    <div class="stats-scroll"><table class="figs columns">
      <thead><tr><th scope="col">${t('recs.imp_column')}</th><th scope="col">${t('recs.imp_column_what')}</th></tr></thead>
      <tbody>${COLUMNS.map(([name, need]) => html`<tr>
        <th scope="row"><code>${name}</code></th>
        <td>${t(`recs.imp_col_${name}`)} <span class="meta">(${t(`recs.imp_need_${need}`)})</span></td>
      </tr>`)}</tbody>
    </table></div>
    <h3>${t('recs.imp_example')}</h3>
    <pre class="csv">${TEMPLATE}</pre>
    <a class="button secondary" href=${href} download="mau-nhap-mui-tiem.csv">${t('recs.imp_template')}</a>
  </section>`;
}

// ---------------------------------------------------------------- #/work/imports/:id

export const importDetail = {
  title: 'recs.imp_detail',

  enter(ctx) {
    Object.assign(ctx.s, {batch: null, failed: null, products: null, d: newDecision()});
    if (staffGate(ctx, SITE, 'recs.imp_detail')) return;
    loadImport(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, SITE, 'recs.imp_detail');
    if (gate) return gate;
    const b = ctx.s.batch;
    return html`
      <h1>${t('recs.imp_detail')}</h1>
      ${recordsNav('#/work/imports')}
      ${b ? importCard(ctx, b) : ctx.s.failed ? problemBox(ctx.s.failed, {id: 'imp-load-problem'})
        : html`<p class="loading">${t('app.loading')}</p>`}
      <p><a class="button secondary" href="#/work/imports">${t('recs.imp_title')}</a></p>`;
  },
};

async function loadImport(ctx) {
  const s = ctx.s;
  try {
    const [batch, products] = await Promise.all([api.get(`/dose-imports/${encodeURIComponent(ctx.params.id)}`),
                                                 loadProducts()]);
    s.batch = batch;
    s.products = products;
  } catch (e) {
    s.failed = e;
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

function importCard(ctx, b) {
  const s = ctx.s;
  const doses = b.doses ?? [];
  return html`<section class="card" aria-labelledby="id-h">
    <h2 id="id-h" tabindex="-1">${b.file_name || b.id}</h2>
    <p class="status-line">${requestStatusBadge(b.status)}</p>
    <dl class="facts">
      <div><dt>${t('recs.imp_code_label')}</dt><dd><code class="code">${b.id}</code></dd></div>
      <div><dt>${t('recs.imp_rows')}</dt><dd>${b.row_count}</dd></div>
      <div><dt>${t('recs.imp_uploaded')}</dt><dd>${when(b.uploaded_at)}</dd></div>
      ${b.decided_at ? html`<div><dt>${t('recs.decided_on')}</dt><dd>${when(b.decided_at)}</dd></div>` : nothing}
      ${b.decision_note ? html`<div><dt>${t('corr.decision_note')}</dt><dd>${b.decision_note}</dd></div>` : nothing}
    </dl>
    <h3>${t('recs.imp_doses', {n: doses.length})}</h3>
    <ul class="list import-doses">${doses.map((d) => html`<li class="row">
      <span class="name">${doseText(s.products, d)}</span>
      ${doseStatusBadge(d.status)}
      <span class="meta">${t('rec.field_lot_number')}: ${valueText('lot_number', d.lot_number)} ·
        ${t('rec.field_site_name')}: ${valueText('site_name', d.site_name)}</span>
    </li>`)}</ul>
    ${b.status === 'pending_approval' ? html`
      ${b.uploaded_by === state.me?.account_id ? html`<p class="hint">${t('recs.imp_yours')}</p>` : nothing}
      ${decisionForm(ctx, s.d, {
        id: 'imp-d', approveLabel: t('recs.approve_import'), rejectLabel: t('recs.reject'),
        onDecide: (approve) => decide(ctx, s.d, `/dose-imports/${encodeURIComponent(b.id)}`, approve, {
          id: 'imp-d', done: async (res, yes) => {
            ctx.announce(yes ? t('recs.imp_approved', {n: b.row_count}) : t('recs.imp_rejected_said'));
            s.batch = await api.get(`/dose-imports/${encodeURIComponent(b.id)}`);
            requestAnimationFrame(() => document.getElementById('id-h')?.focus());
          }})})}` : nothing}
  </section>`;
}
