// Organisation units the department reaches, as a tree, and adding a vaccination site (or a
// health centre) under one of them, with its ward, coordinates, opening hours and capacity.
import {html, nothing} from 'lit-html';
import {t} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {loadProvinces, loadWards} from '../places.js';
import {field, select, radios, formValues, formError, missing, focusFirstError, localMsg} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {DEPARTMENT, staffGate, kindLabel, shortField} from './staff-common.js';

const FIELDS = ['parent_id', 'kind', 'code', 'name', 'ward_code', 'address_line', 'latitude', 'longitude',
                'opening_hours', 'daily_capacity'];

export default {
  title: 'units.title',

  enter(ctx) {
    Object.assign(ctx.s, {
      units: null, provinces: null, wardNames: new Map(), wards: null,
      form: {values: {parent_id: '', kind: 'site', code: '', name: '', ward_code: '', address_line: '',
                      latitude: '', longitude: '', opening_hours: '07:30-16:30', daily_capacity: ''},
             errors: null, error: null, busy: false, intent: new Intent()},
    });
    if (staffGate(ctx, DEPARTMENT, 'units.title')) return;
    loadProvinces().then((l) => { ctx.s.provinces = l; ctx.update(); }).catch(() => {});
    load(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, DEPARTMENT, 'units.title');
    if (gate) return gate;
    return html`
      <h1>${t('units.title')}</h1>
      ${treeSection(ctx)}
      ${addForm(ctx)}`;
  },
};

async function load(ctx) {
  const s = ctx.s;
  try {
    s.units = await api.get('/org-units');
  } catch (e) {
    s.units = [];
    ctx.announce(problemText(e), {error: true});
  }
  const f = s.form;
  const parents = parentsOf(s.units);
  if (!parents.some((u) => u.id === f.values.parent_id)) {
    f.values.parent_id = (parents.find((u) => u.kind === 'health_centre') ?? parents[0])?.id ?? '';
  }
  pickParent(ctx, f.values.parent_id, f.values.ward_code);
  // ward names for the tree, one list per province shown
  for (const code of new Set(s.units.map((u) => u.province_code).filter(Boolean))) {
    loadWards(code).then((list) => {
      for (const w of list) s.wardNames.set(w.code, w.name);
      ctx.update();
    }).catch(() => {});
  }
  ctx.update();
}

function parentsOf(units) {
  return (units ?? []).filter((u) => ['national', 'province', 'health_centre'].includes(u.kind));
}

function pickParent(ctx, id, wardCode = '') {
  const s = ctx.s;
  const f = s.form;
  f.values.parent_id = id;
  f.values.ward_code = wardCode;
  s.wards = null;
  const parent = s.units?.find((u) => u.id === id);
  ctx.update();
  if (!parent?.province_code) return;
  loadWards(parent.province_code).then((list) => {
    if (f.values.parent_id === id) { s.wards = list; ctx.update(); }
  }).catch((e) => ctx.announce(problemText(e), {error: true}));
}

function provinceName(ctx, code) {
  return ctx.s.provinces?.find((p) => p.code === code)?.name ?? '';
}

function treeSection(ctx) {
  const s = ctx.s;
  if (s.units === null) return html`<p class="loading">${t('app.loading')}</p>`;
  const ids = new Set(s.units.map((u) => u.id));
  const children = new Map();
  for (const u of s.units) {
    const key = ids.has(u.parent_id) ? u.parent_id : null;
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(u);
  }
  const node = (u) => html`<li>
    <div class="unit unit-${u.kind}">
      <span class="name">${u.name}</span>
      <span class="meta"><span class="badge">${kindLabel(u.kind)}</span> ${u.code}</span>
      ${u.kind === 'site' || u.ward_code ? html`<span class="meta">
        ${[u.address_line, s.wardNames.get(u.ward_code), provinceName(ctx, u.province_code)].filter(Boolean).join(', ')}</span>` : nothing}
      ${u.kind === 'site' ? html`<span class="meta">
        ${u.opening_hours ? t('units.hours', {hours: u.opening_hours}) : nothing}
        ${u.daily_capacity ? html` · ${t('units.capacity', {n: u.daily_capacity})}` : nothing}
        ${u.latitude !== null && u.longitude !== null ? html` · ${u.latitude.toFixed(4)}, ${u.longitude.toFixed(4)}`
          : html` · ${t('units.no_coordinates')}`}</span>` : nothing}
    </div>
    ${children.has(u.id) ? html`<ul class="tree">${children.get(u.id).map(node)}</ul>` : nothing}
  </li>`;
  return html`<section class="section" aria-labelledby="ut-h">
    <h2 id="ut-h">${t('units.tree', {n: s.units.length})}</h2>
    ${s.units.length === 0 ? html`<p>${t('units.none')}</p>`
      : html`<ul class="tree root">${(children.get(null) ?? []).map(node)}</ul>`}
  </section>`;
}

/** API field names ("address.ward_code") as the form's. */
function unitErrors(errors) {
  if (!errors) return null;
  const out = {};
  for (const [k, v] of Object.entries(errors)) out[k.replace(/^address\./, '')] = v;
  return out;
}

function toBody(v) {
  const errors = missing(v, ['parent_id', 'code', 'name']) ?? {};
  const num = (name, parse) => {
    if (v[name] === '' || v[name] === undefined) return null;
    const n = parse(String(v[name]).replace(',', '.'));
    if (Number.isNaN(n)) errors[name] = [localMsg('units.number')];
    return n;
  };
  const body = {parent_id: v.parent_id, kind: v.kind || 'site', code: String(v.code ?? '').toUpperCase(),
                name: v.name, ward_code: v.ward_code ? Number(v.ward_code) : null,
                address_line: v.address_line ?? '', latitude: num('latitude', Number),
                longitude: num('longitude', Number), opening_hours: v.opening_hours ?? '',
                daily_capacity: num('daily_capacity', (x) => (/^\d+$/.test(x) ? Number(x) : NaN))};
  return Object.keys(errors).length ? {errors} : {body};
}

function addForm(ctx) {
  const s = ctx.s;
  const f = s.form;
  const v = f.values;
  const submit = async (ev) => {
    ev.preventDefault();
    f.values = {...f.values, ...formValues(ev.target)};
    const {body, errors} = toBody(f.values);
    if (errors) {
      f.errors = errors; f.error = null;
      ctx.announce(t('form.fix_errors'), {error: true});
      ctx.update(); focusFirstError();
      return;
    }
    f.busy = true; f.errors = null; f.error = null; ctx.update();
    try {
      const unit = await api.post('/org-units', body, {idempotencyKey: f.intent.keyFor(body)});
      f.intent.done();
      ctx.announce(t('units.added', {name: unit.name, code: unit.code}));
      Object.assign(f.values, {code: '', name: '', address_line: '', latitude: '', longitude: '', daily_capacity: ''});
      await load(ctx);
    } catch (e) {
      f.error = e;
      f.errors = unitErrors(e.errors);
      ctx.announce(problemText(e), {error: true});
      focusFirstError();
    } finally {
      f.busy = false; ctx.update();
    }
  };
  const parents = parentsOf(s.units);
  return html`<form class="card" id="unit-form" novalidate @submit=${submit} aria-labelledby="ua-h">
    <h2 id="ua-h">${t('units.add')}</h2>
    ${select({name: 'parent_id', label: t('units.parent'), value: v.parent_id, required: true, errors: f.errors,
              prefix: 'ua', placeholder: s.units ? t('form.choose') : t('app.loading'),
              options: parents.map((u) => ({value: u.id, label: `${u.name} · ${kindLabel(u.kind)}`})),
              onChange: (id) => { f.values = {...f.values, ...formValues(document.getElementById('unit-form'))}; pickParent(ctx, id); }})}
    ${radios({name: 'kind', legend: t('units.kind'), value: v.kind, required: true, errors: f.errors, prefix: 'ua',
              options: [{value: 'site', label: kindLabel('site')}, {value: 'health_centre', label: kindLabel('health_centre')}]})}
    ${field({name: 'code', label: t('units.code'), value: v.code, required: true, errors: f.errors, prefix: 'ua',
             hint: t('units.code_hint'), autocomplete: 'off', maxlength: 32})}
    ${field({name: 'name', label: t('units.name'), value: v.name, required: true, errors: f.errors, prefix: 'ua',
             autocomplete: 'off'})}
    ${select({name: 'ward_code', label: t('person.ward'), value: v.ward_code, errors: f.errors, prefix: 'ua',
              disabled: !s.wards, options: (s.wards ?? []).map((w) => ({value: w.code, label: w.name})),
              placeholder: s.wards ? t('form.choose') : t('units.ward_pick_parent')})}
    ${field({name: 'address_line', label: t('units.address_line'), value: v.address_line, errors: f.errors,
             prefix: 'ua', autocomplete: 'off'})}
    <fieldset class="group" aria-describedby="ua-coord-hint">
      <legend>${t('units.coordinates')}</legend>
      <p class="hint" id="ua-coord-hint">${t('units.coordinates_hint')}</p>
      <div class="two">
        ${shortField({name: 'latitude', label: t('units.latitude'), value: v.latitude, errors: f.errors, prefix: 'ua',
                 inputmode: 'decimal', placeholder: '16.0471'})}
        ${shortField({name: 'longitude', label: t('units.longitude'), value: v.longitude, errors: f.errors, prefix: 'ua',
                 inputmode: 'decimal', placeholder: '108.2068'})}
      </div>
    </fieldset>
    ${field({name: 'opening_hours', label: t('units.opening_hours'), value: v.opening_hours, errors: f.errors,
             prefix: 'ua', hint: t('units.opening_hours_hint'), autocomplete: 'off'})}
    ${field({name: 'daily_capacity', label: t('units.daily_capacity'), value: v.daily_capacity, errors: f.errors,
             prefix: 'ua', inputmode: 'numeric', autocomplete: 'off'})}
    ${formError(f.error && !(f.errors && Object.keys(f.errors).some((k) => FIELDS.includes(k))) ? f.error : null)}
    ${busyButton(f.busy, t('units.add_submit'), t('form.saving'))}
  </form>`;
}
