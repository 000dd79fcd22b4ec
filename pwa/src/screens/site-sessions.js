// Site staff: open a vaccination session at a site (day, time window in Hà Nội time, vaccine,
// capacity, optional hourly slots), and see the site's coming sessions with how full they are.
import {html, nothing} from 'lit-html';
import {t} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {field, select, checkbox, textarea, formValues, formError, missing, focusFirstError, localMsg} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {addDays, booked, localToday, query} from './booking-util.js';
import {whenText, whenHtml} from './vax-common.js';
import {SITE, staffGate, loadUnits, productName, unitOption} from './staff-common.js';

const FIELDS = ['site_id', 'product_code', 'day', 'start_time', 'end_time', 'capacity', 'hourly_slots', 'note'];

export default {
  title: 'site.title',

  enter(ctx) {
    Object.assign(ctx.s, {
      sites: null, products: null, list: null, loading: false,
      form: {values: {site_id: '', product_code: '', day: addDays(localToday(), 1), start_time: '07:30',
                      end_time: '11:30', capacity: '100', hourly_slots: true, note: ''},
             errors: null, error: null, busy: false, intent: new Intent()},
    });
    if (staffGate(ctx, SITE, 'site.title')) return;
    init(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, SITE, 'site.title');
    if (gate) return gate;
    const s = ctx.s;
    const site = s.sites?.find((u) => u.id === s.form.values.site_id);
    return html`
      <h1>${t('site.title')}</h1>
      ${site ? html`<p class="lead">${site.name}</p>` : nothing}
      ${s.sites?.length === 0 ? html`<p class="card attention">${t('site.no_sites')}</p>` : html`
        ${openForm(ctx)}
        ${listSection(ctx, site)}`}`;
  },
};

async function init(ctx) {
  const s = ctx.s;
  try {
    const [sites, products] = await Promise.all([loadUnits(['site']), api.get('/vaccine-products')]);
    s.sites = sites;
    s.products = products;
    s.form.values.site_id ||= sites[0]?.id ?? '';
  } catch (e) {
    s.sites ??= [];
    s.products ??= [];
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
  loadList(ctx);
}

async function loadList(ctx) {
  const s = ctx.s;
  const siteId = s.form.values.site_id;
  if (!siteId) return;
  s.loading = true; ctx.update();
  try {
    // every open session of the site from today, full ones included
    s.list = await api.get(`/vaccination-sessions${query({unit_id: siteId, only_free: 'false', limit: 200,
                                                           date_to: addDays(localToday(), 90)})}`);
  } catch (e) {
    s.list = [];
    ctx.announce(problemText(e), {error: true});
  } finally {
    s.loading = false; ctx.update();
  }
}

function toBody(v) {
  const errors = missing(v, ['site_id', 'product_code', 'day', 'start_time', 'end_time', 'capacity']) ?? {};
  if (v.capacity && !/^\d+$/.test(v.capacity)) errors.capacity = [localMsg('site.capacity_invalid')];
  if (v.start_time && v.end_time && v.end_time <= v.start_time) errors.end_time = [localMsg('site.end_after_start')];
  if (Object.keys(errors).length) return {errors};
  return {body: {site_id: v.site_id, product_code: v.product_code, day: v.day, start_time: v.start_time,
                 end_time: v.end_time, capacity: Number(v.capacity), hourly_slots: !!v.hourly_slots,
                 note: v.note ?? ''}};
}

function openForm(ctx) {
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
      const x = await api.post('/vaccination-sessions', body, {idempotencyKey: f.intent.keyFor(body)});
      f.intent.done();
      ctx.announce(t('site.opened', {when: whenText(x.day, x.starts_at, x.ends_at), n: x.slots.length}));
      await loadList(ctx);
      requestAnimationFrame(() => document.getElementById('sl-h')?.focus());
    } catch (e) {
      f.error = e;
      f.errors = e.errors;
      ctx.announce(problemText(e), {error: true});
      focusFirstError();
    } finally {
      f.busy = false; ctx.update();
    }
  };
  return html`<form class="card" id="open-form" novalidate @submit=${submit} aria-labelledby="so-h">
    <h2 id="so-h">${t('site.open')}</h2>
    ${(s.sites?.length ?? 0) > 1 ? select({name: 'site_id', label: t('site.site'), value: v.site_id, required: true,
        errors: f.errors, prefix: 'so', options: s.sites.map(unitOption), placeholder: t('form.choose'),
        onChange: (id) => { f.values = {...f.values, ...formValues(document.getElementById('open-form')), site_id: id}; loadList(ctx); }})
      : html`<input type="hidden" name="site_id" .value=${v.site_id}>`}
    ${select({name: 'product_code', label: t('book.vaccine'), value: v.product_code, required: true, errors: f.errors,
              prefix: 'so', placeholder: s.products ? t('form.choose') : t('app.loading'),
              options: (s.products ?? []).map((p) => ({value: p.code, label: productName(p)}))})}
    ${field({name: 'day', label: t('site.day'), type: 'date', value: v.day, required: true, errors: f.errors, prefix: 'so'})}
    <fieldset class="group" aria-describedby="so-window-hint">
      <legend>${t('site.window')}</legend>
      <p class="hint" id="so-window-hint">${t('site.window_hint')}</p>
      <div class="two">
        ${field({name: 'start_time', label: t('site.start'), type: 'time', value: v.start_time, required: true,
                 errors: f.errors, prefix: 'so'})}
        ${field({name: 'end_time', label: t('site.end'), type: 'time', value: v.end_time, required: true,
                 errors: f.errors, prefix: 'so'})}
      </div>
    </fieldset>
    ${field({name: 'capacity', label: t('site.capacity'), value: v.capacity, required: true, errors: f.errors,
             prefix: 'so', inputmode: 'numeric', autocomplete: 'off', hint: t('site.capacity_hint')})}
    ${checkbox({name: 'hourly_slots', label: t('site.hourly'), checked: v.hourly_slots, prefix: 'so',
                hint: t('site.hourly_hint')})}
    ${textarea({name: 'note', label: t('site.note'), value: v.note, errors: f.errors, prefix: 'so', rows: 2})}
    ${formError(f.error && !(f.errors && Object.keys(f.errors).some((k) => FIELDS.includes(k))) ? f.error : null)}
    ${busyButton(f.busy, t('site.open_submit'), t('form.saving'))}
  </form>`;
}

function listSection(ctx, site) {
  const s = ctx.s;
  const list = s.list;
  return html`<section class="section" aria-labelledby="sl-h" aria-busy=${s.loading ? 'true' : 'false'}>
    <h2 id="sl-h" tabindex="-1">${t('site.list')}</h2>
    ${list === null ? html`<p class="loading">${t('app.loading')}</p>`
      : list.length === 0 ? html`<p>${t('site.list_empty', {site: site?.name ?? ''})}</p>`
      : html`<ul class="list site-sessions">${list.map((x) => {
          const n = booked(x);
          const id = `fill-${x.id}`;
          return html`<li class="card">
            <h3>${whenHtml(x.day, x.starts_at, x.ends_at)}</h3>
            <p class="meta">${productName(x.product)}</p>
            <progress class="fill" max=${x.capacity} value=${n} aria-labelledby=${id}></progress>
            <p id=${id}>${t('site.fill', {n, capacity: x.capacity})} · ${t('site.free', {n: x.free})}</p>
          </li>`;
        })}</ul>`}
  </section>`;
}
