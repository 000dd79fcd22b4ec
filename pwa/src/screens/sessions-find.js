// Find a vaccination session: by administrative area (province, ward) or, when the person lets
// the browser say where they are, by distance; the area is always the fallback. Also the first
// step of moving an appointment (?reschedule=<booking id>).
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {loadProvinces, loadWards} from '../places.js';
import {select, field, checkbox, formValues} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {currentPosition, formatDistance, localToday, query} from './booking-util.js';
import {LIVE_REGISTRATION, personFor, personPicker, vaxHref, productLabel, siteArea, whenText, whenHtml} from './vax-common.js';

const RADIUS_KM = 25;

export default {
  title: 'find.title',

  enter(ctx) {
    const person = personFor(ctx);
    Object.assign(ctx.s, {
      person, reschedule: ctx.query.get('reschedule'), reg: undefined, products: null, provinces: null,
      wards: null, results: null, searching: false, locating: false, mode: 'area', position: null,
      filters: {province_code: person?.address?.province_code ?? '', ward_code: '',
                date_from: ctx.query.get('from') || localToday(), product_code: '', only_allocated: true},
    });
    loadProvinces().then((l) => { ctx.s.provinces = l; ctx.update(); })
      .catch((e) => ctx.announce(problemText(e), {error: true}));
    api.get('/vaccine-products').then((l) => { ctx.s.products = l; ctx.update(); }).catch(() => { ctx.s.products = []; });
    start(ctx);
  },

  view(ctx) {
    const s = ctx.s;
    const p = s.person;
    return html`
      <h1>${s.reschedule ? t('find.title_reschedule') : t('find.title')}</h1>
      ${s.reschedule ? html`<p class="lead">${t('find.reschedule_lead')}</p>`
        : personPicker(ctx, p, '/vaccination/sessions')}
      ${registrationNote(ctx)}
      ${nearButton(ctx)}
      ${filtersForm(ctx)}
      ${resultsSection(ctx)}`;
  },
};

/** The registration decides the defaults: its allocated site, else its preferred area. */
async function start(ctx) {
  const s = ctx.s;
  if (s.person) {
    try {
      const regs = await api.get(`/registrations?person_id=${encodeURIComponent(s.person.id)}`);
      s.reg = regs.find((r) => LIVE_REGISTRATION.includes(r.status)) ?? null;
    } catch {
      s.reg = null;
    }
  } else {
    s.reg = null;
  }
  if (s.reg) {
    s.filters.province_code = s.reg.preferred_province_code ?? s.filters.province_code;
    s.filters.ward_code = s.reg.allocated_unit ? '' : (s.reg.preferred_ward_code ?? '');
  }
  pickProvince(ctx, s.filters.province_code, s.filters.ward_code);
  await search(ctx, {quiet: true});
}

function pickProvince(ctx, code, wardCode = '') {
  const s = ctx.s;
  s.filters.province_code = code;
  s.filters.ward_code = wardCode;
  s.wards = null;
  ctx.update();
  if (!code) return;
  loadWards(code).then((list) => {
    if (String(s.filters.province_code) === String(code)) { s.wards = list; ctx.update(); }
  }).catch((e) => ctx.announce(problemText(e), {error: true}));
}

function allocatedUnit(s) {
  return s.reg?.status === 'allocated' && s.filters.only_allocated ? s.reg.allocated_unit : null;
}

async function search(ctx, {quiet = false} = {}) {
  const s = ctx.s;
  const f = s.filters;
  const unit = allocatedUnit(s);
  const common = {product_code: f.product_code, date_from: f.date_from, unit_id: unit?.id, limit: 50};
  const params = s.mode === 'near' && s.position
    ? {...common, lat: s.position.lat.toFixed(5), lon: s.position.lon.toFixed(5), radius_km: RADIUS_KM}
    : {...common, province_code: unit ? '' : f.province_code, ward_code: unit ? '' : f.ward_code};
  s.searching = true; ctx.update();
  try {
    s.results = await api.get(`/vaccination-sessions${query(params)}`);
    if (!quiet) ctx.announce(t('find.found', {n: s.results.length}));
  } catch (e) {
    s.results = [];
    ctx.announce(problemText(e), {error: true});
  } finally {
    s.searching = false; ctx.update();
  }
}

async function useLocation(ctx) {
  const s = ctx.s;
  s.locating = true; ctx.update();
  const pos = await currentPosition();
  s.locating = false;
  if (pos.error) {
    // No position (refused, no GPS, too slow): say so and search by the area instead.
    s.mode = 'area';
    s.position = null;
    ctx.announce(t(`find.geo_${pos.error}`), {error: true});
    await search(ctx, {quiet: true});
    return;
  }
  s.mode = 'near';
  s.position = pos;
  await search(ctx);
}

function registrationNote(ctx) {
  const s = ctx.s;
  if (s.reg === undefined) return nothing;
  if (!s.reg) {
    return html`<p class="card attention">${t('find.no_registration')}
      <a href=${vaxHref('/vaccination', {person: s.person?.id})}>${t('find.register_link')}</a></p>`;
  }
  if (s.reg.status === 'submitted') return html`<p class="card attention">${t('find.pending')}</p>`;
  return nothing;
}

function nearButton(ctx) {
  const s = ctx.s;
  return html`<div class="near">
    ${busyButton(s.locating, t('find.near_me'), t('find.locating'),
                 {cls: s.mode === 'near' ? 'primary' : 'secondary', type: 'button', onClick: () => useLocation(ctx)})}
    <p class="hint">${t('find.near_hint', {km: RADIUS_KM})}</p>
  </div>`;
}

function filtersForm(ctx) {
  const s = ctx.s;
  const f = s.filters;
  const unit = s.reg?.status === 'allocated' ? s.reg.allocated_unit : null;
  const submit = (ev) => {
    ev.preventDefault();
    const v = formValues(ev.target);
    Object.assign(f, {province_code: v.province_code ?? f.province_code, ward_code: v.ward_code ?? '',
                      date_from: v.date_from || localToday(), product_code: v.product_code ?? '',
                      only_allocated: unit ? !!v.only_allocated : f.only_allocated});
    s.mode = 'area';
    s.position = null;
    search(ctx);
  };
  const byUnit = !!allocatedUnit(s);
  return html`<form class="card filters" id="find-form" novalidate @submit=${submit} aria-labelledby="ff-h">
    <h2 id="ff-h">${t('find.by_area')}</h2>
    ${unit ? checkbox({name: 'only_allocated', label: t('find.only_allocated', {unit: unit.name}),
                       checked: f.only_allocated, prefix: 'ff', hint: t('find.only_allocated_hint')}) : nothing}
    ${byUnit ? nothing : html`
      ${select({name: 'province_code', label: t('person.province'), value: f.province_code, prefix: 'ff',
                options: (s.provinces ?? []).map((p) => ({value: p.code, label: p.name})),
                placeholder: s.provinces ? t('find.any_province') : t('app.loading'),
                onChange: (code) => pickProvince(ctx, code)})}
      ${select({name: 'ward_code', label: t('person.ward'), value: f.ward_code, prefix: 'ff',
                disabled: !f.province_code || !s.wards,
                options: (s.wards ?? []).map((w) => ({value: w.code, label: w.name})),
                placeholder: !f.province_code ? t('person.ward_pick_province')
                  : s.wards ? t('vax.any_ward') : t('app.loading')})}`}
    ${field({name: 'date_from', label: t('find.date_from'), type: 'date', value: f.date_from, prefix: 'ff'})}
    ${select({name: 'product_code', label: t('find.vaccine'), value: f.product_code, prefix: 'ff',
              options: (s.products ?? []).map((p) => ({value: p.code, label: productLabel(p)})),
              placeholder: t('find.any_vaccine')})}
    ${busyButton(s.searching && s.mode === 'area', t('find.search'), t('find.searching'), {cls: 'secondary'})}
  </form>`;
}

function resultsSection(ctx) {
  const s = ctx.s;
  const list = s.results;
  const where = s.mode === 'near' ? t('find.results_near', {km: RADIUS_KM})
    : allocatedUnit(s) ? t('find.results_unit', {unit: allocatedUnit(s).name})
    : t('find.results_area');
  return html`<section class="section" aria-labelledby="res-h" aria-busy=${s.searching ? 'true' : 'false'}>
    <h2 id="res-h">${list === null ? t('find.results') : t('find.results_n', {n: list.length})}</h2>
    ${list === null ? html`<p class="loading">${t('app.loading')}</p>` : html`
      <p class="hint">${where}</p>
      ${list.length === 0 ? html`<p>${t('find.none')}</p>` : html`<ul class="list sessions">
        ${list.map((x) => sessionCard(ctx, x))}</ul>`}`}
  </section>`;
}

function sessionCard(ctx, x) {
  const s = ctx.s;
  const href = vaxHref(`/vaccination/sessions/${encodeURIComponent(x.id)}`,
                       {person: s.person?.id, reschedule: s.reschedule});
  const when = whenText(x.day, x.starts_at, x.ends_at);
  return html`<li class="card session">
    <h3>${x.site.name}</h3>
    <p class="when">${whenHtml(x.day, x.starts_at, x.ends_at)}</p>
    <p class="meta">${productLabel(x.product)}</p>
    <p class="meta">${siteArea(x.site)}${x.distance_km !== null && x.distance_km !== undefined
      ? html` · <strong>${formatDistance(x.distance_km, lang())}</strong>` : nothing}</p>
    <p class="seats">${t('find.free', {n: x.free, capacity: x.capacity})}</p>
    <a class="button secondary" href=${href}
      aria-label=${t('find.choose_label', {site: x.site.name, when})}>${t('find.choose')}</a>
  </li>`;
}
