// The department's registration queue: filter (status, priority group, area), select people,
// then approve, reject with a reason, or allocate them to a site — in bulk. The server says
// which ones it skipped and why; every read of the queue is audited.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {loadProvinces, loadWards} from '../places.js';
import {formatDate, formatDateTime} from '../format.js';
import {select, textarea, formValues, focusFirstError, localMsg} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {keyOf, query} from './booking-util.js';
import {registrationStatus} from './vax-common.js';
import {DEPARTMENT, staffGate, activeRoles, loadUnits, unitOption, kindLabel} from './staff-common.js';

const STATUSES = ['submitted', 'approved', 'allocated', 'rejected', 'cancelled'];
const LIMIT = 50;

export default {
  title: 'queue.title',

  enter(ctx) {
    Object.assign(ctx.s, {
      filters: {status: ctx.query.get('status') || 'submitted', priority_group: '', province_code: '', ward_code: ''},
      offset: 0, items: null, total: 0, selected: new Set(), loading: false,
      groups: null, provinces: null, wards: null, units: null,
      act: {reason: '', unit_id: '', errors: null, busy: null, result: null,
            intents: {approve: new Intent(), reject: new Intent(), allocate: new Intent()}},
    });
    if (staffGate(ctx, DEPARTMENT, 'queue.title')) return;
    api.get('/priority-groups').then((g) => { ctx.s.groups = g; ctx.update(); }).catch(() => { ctx.s.groups = []; });
    loadScope(ctx);
    load(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, DEPARTMENT, 'queue.title');
    if (gate) return gate;
    return html`
      <h1>${t('queue.title')}</h1>
      ${filtersForm(ctx)}
      ${listSection(ctx)}
      ${ctx.s.items?.length || ctx.s.act.result ? actionsSection(ctx) : nothing}`;
  },
};

/** The provinces the account reaches (all of them for a national administrator) and its sites. */
async function loadScope(ctx) {
  const s = ctx.s;
  try {
    const [units, all] = await Promise.all([loadUnits(), loadProvinces()]);
    s.units = units.filter((u) => ['site', 'health_centre'].includes(u.kind));
    const mine = new Set(units.map((u) => u.province_code).filter((c) => c !== null && c !== undefined));
    s.provinces = activeRoles(['national_admin']).length ? all : all.filter((p) => mine.has(p.code));
    if (s.provinces.length === 1) pickProvince(ctx, s.provinces[0].code, '', {reload: false});
  } catch (e) {
    s.units ??= [];
    s.provinces ??= [];
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

function pickProvince(ctx, code, wardCode = '', {reload = false} = {}) {
  const s = ctx.s;
  s.filters.province_code = code;
  s.filters.ward_code = wardCode;
  s.wards = null;
  ctx.update();
  if (!code) return;
  loadWards(code).then((list) => {
    if (String(s.filters.province_code) === String(code)) { s.wards = list; ctx.update(); }
  }).catch((e) => ctx.announce(problemText(e), {error: true}));
  if (reload) load(ctx);
}

async function load(ctx, {announce = false} = {}) {
  const s = ctx.s;
  s.loading = true; ctx.update();
  try {
    const page = await api.get(`/registration-queue${query({...s.filters, limit: LIMIT, offset: s.offset})}`);
    s.items = page.items;
    s.total = page.total;
    const here = new Set(page.items.map((r) => r.id));
    s.selected = new Set([...s.selected].filter((id) => here.has(id)));
    if (announce) ctx.announce(t('queue.found', {n: page.total}));
  } catch (e) {
    s.items ??= [];
    ctx.announce(problemText(e), {error: true});
  } finally {
    s.loading = false; ctx.update();
  }
}

function groupName(ctx, code) {
  const g = ctx.s.groups?.find((x) => x.code === code);
  return g ? (lang() === 'en' ? g.name_en : g.name_vi) : code;
}

function filtersForm(ctx) {
  const s = ctx.s;
  const f = s.filters;
  const submit = (ev) => {
    ev.preventDefault();
    const v = formValues(ev.target);
    Object.assign(f, {status: v.status || 'submitted', priority_group: v.priority_group ?? '',
                      province_code: v.province_code ?? f.province_code, ward_code: v.ward_code ?? ''});
    s.offset = 0;
    s.selected = new Set();
    s.act.result = null;
    load(ctx, {announce: true});
  };
  return html`<form class="card filters" novalidate @submit=${submit} aria-labelledby="qf-h">
    <h2 id="qf-h">${t('queue.filters')}</h2>
    ${select({name: 'status', label: t('queue.status'), value: f.status, prefix: 'qf', required: true,
              options: STATUSES.map((x) => ({value: x, label: t(`vax.status_${x}`)})), placeholder: t('form.choose')})}
    ${select({name: 'priority_group', label: t('vax.priority_group'), value: f.priority_group, prefix: 'qf',
              options: (s.groups ?? []).map((g) => ({value: g.code, label: lang() === 'en' ? g.name_en : g.name_vi})),
              placeholder: t('queue.any_group')})}
    ${select({name: 'province_code', label: t('person.province'), value: f.province_code, prefix: 'qf',
              options: (s.provinces ?? []).map((p) => ({value: p.code, label: p.name})),
              placeholder: s.provinces ? t('queue.any_province') : t('app.loading'),
              onChange: (code) => pickProvince(ctx, code)})}
    ${select({name: 'ward_code', label: t('person.ward'), value: f.ward_code, prefix: 'qf',
              disabled: !f.province_code || !s.wards,
              options: (s.wards ?? []).map((w) => ({value: w.code, label: w.name})),
              placeholder: !f.province_code ? t('person.ward_pick_province') : s.wards ? t('vax.any_ward') : t('app.loading')})}
    ${busyButton(s.loading, t('queue.apply'), t('app.loading'), {cls: 'secondary'})}
  </form>`;
}

function toggle(ctx, id, on) {
  const sel = ctx.s.selected;
  if (on) sel.add(id); else sel.delete(id);
  ctx.update();
}

function listSection(ctx) {
  const s = ctx.s;
  const items = s.items;
  const all = items?.length > 0 && items.every((r) => s.selected.has(r.id));
  const from = s.total ? s.offset + 1 : 0;
  const to = Math.min(s.offset + LIMIT, s.total);
  const page = (delta) => { s.offset = Math.max(0, s.offset + delta); s.selected = new Set(); load(ctx, {announce: true}); };
  return html`<section class="section" aria-labelledby="ql-h" aria-busy=${s.loading ? 'true' : 'false'}>
    <h2 id="ql-h" tabindex="-1">${t('queue.list', {status: t(`vax.status_${s.filters.status}`)})}</h2>
    ${items === null ? html`<p class="loading">${t('app.loading')}</p>` : html`
      ${s.total ? html`<p class="hint" id="ql-count">${t('queue.range', {from, to, total: s.total})}</p>` : nothing}
      ${items.length === 0 ? html`<p>${t('queue.empty')}</p>` : html`
        <label class="radio select-all"><input type="checkbox" .checked=${all}
          @change=${(ev) => { s.selected = ev.target.checked ? new Set(items.map((r) => r.id)) : new Set(); ctx.update(); }}>
          <span>${t('queue.select_all', {n: items.length})}</span></label>
        <ul class="list queue">${items.map((r) => html`<li class="row q-item ${s.selected.has(r.id) ? 'chosen' : ''}">
          <label class="radio q-pick"><input type="checkbox" .checked=${s.selected.has(r.id)}
              aria-describedby="q-${r.id}" @change=${(ev) => toggle(ctx, r.id, ev.target.checked)}>
            <span class="name">${r.person_name}</span></label>
          <span class="meta" id="q-${r.id}">
            ${t('queue.born', {date: formatDate(r.date_of_birth, lang())})} · ${groupName(ctx, r.priority_group)}<br>
            ${[r.preferred_ward_name, r.preferred_province_name].filter(Boolean).join(', ')} ·
            ${t('queue.submitted_at', {at: formatDateTime(r.created_at, lang())})}
            ${r.allocated_unit ? html`<br>${t('queue.allocated_to', {unit: r.allocated_unit.name})}` : nothing}
            ${r.status_reason ? html`<br>${t('vax.reason')}: ${r.status_reason}` : nothing}
            ${r.note ? html`<br>${t('vax.note')}: ${r.note}` : nothing}
          </span>
          ${registrationStatus(r.status)}
        </li>`)}</ul>
        ${s.total > LIMIT ? html`<div class="actions pager">
          <button type="button" class="secondary small" ?disabled=${s.offset === 0} @click=${() => page(-LIMIT)}>${t('queue.prev')}</button>
          <button type="button" class="secondary small" ?disabled=${to >= s.total} @click=${() => page(LIMIT)}>${t('queue.next')}</button>
        </div>` : nothing}`}`}
  </section>`;
}

async function bulk(ctx, what, path, body, doneKey) {
  const s = ctx.s;
  const a = s.act;
  a.busy = what; a.errors = null; a.result = null; ctx.update();
  try {
    const res = await api.post(path, body, {idempotencyKey: a.intents[what].keyFor(body)});
    a.intents[what].done();
    const names = new Map((s.items ?? []).map((x) => [x.id, x.person_name]));
    a.result = {what, names, ...res};
    ctx.announce(`${t(doneKey, {n: res.done.length})}${res.skipped.length ? ' ' + t('queue.skipped_n', {n: res.skipped.length}) : ''}`);
    s.selected = new Set();
    if (what === 'reject') a.reason = '';
    await load(ctx);
    requestAnimationFrame(() => document.getElementById('qa-result')?.focus());
  } catch (e) {
    a.errors = e.errors && Object.keys(e.errors).length ? e.errors : null;
    ctx.announce(problemText(e), {error: true});
    focusFirstError();
  } finally {
    a.busy = null; ctx.update();
  }
}

function actionsSection(ctx) {
  const s = ctx.s;
  const a = s.act;
  const ids = [...s.selected];
  const n = ids.length;
  const status = s.filters.status;
  const decide = (approve) => (ev) => {
    ev?.preventDefault?.();
    if (!approve) {
      a.reason = document.getElementById('qa-reason')?.value.trim() ?? '';
      if (!a.reason) {
        a.errors = {reason: [localMsg('queue.reason_required')]};
        ctx.announce(t('queue.reason_required'), {error: true});
        ctx.update(); focusFirstError();
        return;
      }
    }
    bulk(ctx, approve ? 'approve' : 'reject', '/registration-decisions',
         {registration_ids: ids, decision: approve ? 'approve' : 'reject', reason: approve ? '' : a.reason},
         approve ? 'queue.approved_n' : 'queue.rejected_n');
  };
  const allocate = (ev) => {
    ev.preventDefault();
    a.unit_id = formValues(ev.target).unit_id ?? '';
    if (!a.unit_id) {
      a.errors = {unit_id: [localMsg('queue.unit_required')]};
      ctx.announce(t('queue.unit_required'), {error: true});
      ctx.update(); focusFirstError();
      return;
    }
    bulk(ctx, 'allocate', '/registration-allocations', {registration_ids: ids, unit_id: a.unit_id}, 'queue.allocated_n');
  };
  const none = n === 0;
  return html`<section class="card bulk" aria-labelledby="qa-h">
    <h2 id="qa-h">${t('queue.selected', {n})}</h2>
    ${a.result ? resultSummary(ctx, a.result) : nothing}
    ${none ? html`<p class="hint">${t('queue.select_hint')}</p>` : nothing}
    ${!none && status === 'submitted' ? html`
      ${busyButton(a.busy === 'approve', t('queue.approve', {n}), t('form.sending'),
                   {cls: 'primary', type: 'button', onClick: decide(true)})}
      <form novalidate class="sub" @submit=${decide(false)}>
        ${textarea({name: 'reason', label: t('queue.reject_reason'), value: a.reason, errors: a.errors,
                    prefix: 'qa', rows: 2, hint: t('queue.reject_hint'), required: true})}
        ${busyButton(a.busy === 'reject', t('queue.reject', {n}), t('form.sending'), {cls: 'danger'})}
      </form>` : nothing}
    ${!none && ['approved', 'allocated'].includes(status) ? html`
      <form novalidate class="sub" @submit=${allocate}>
        ${select({name: 'unit_id', label: t('queue.allocate_to'), value: a.unit_id, errors: a.errors, prefix: 'qa',
                  required: true, placeholder: s.units ? t('form.choose') : t('app.loading'),
                  options: (s.units ?? []).map((u) => ({...unitOption(u), label: `${unitOption(u).label} · ${kindLabel(u.kind)}`}))})}
        ${busyButton(a.busy === 'allocate', t('queue.allocate', {n}), t('form.sending'), {cls: 'primary'})}
      </form>` : nothing}
  </section>`;
}

function resultSummary(ctx, r) {
  const names = r.names;
  const doneKey = {approve: 'queue.approved_n', reject: 'queue.rejected_n', allocate: 'queue.allocated_n'}[r.what];
  return html`<div class="notice" id="qa-result" tabindex="-1">
    <p>${t(doneKey, {n: r.done.length})}</p>
    ${r.skipped.length ? html`<p>${t('queue.skipped_n', {n: r.skipped.length})}</p>
      <ul class="bullets">${r.skipped.map((x) => html`<li>${names.get(x.id) ?? x.id.slice(0, 8)}: ${skipReason(x.reason)}</li>`)}</ul>` : nothing}
  </div>`;
}

function skipReason(reason) {
  const m = /^status-(\w+)$/.exec(reason ?? '');
  if (m) return t('queue.skip_status', {status: t(`vax.status_${m[1]}`)});
  return t(`queue.skip_${keyOf(reason)}`);
}
