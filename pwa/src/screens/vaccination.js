// Vaccination, for yourself or a dependant: register (priority group, preferred area), follow
// the registration's status and history, see the appointments and find a session to book.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {loadProvinces, loadWards} from '../places.js';
import {formatDateTime} from '../format.js';
import {select, textarea, field, formValues, formError, missing, focusFirstError} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {LIVE_REGISTRATION, ACTIVE_BOOKING, personFor, personPicker, vaxHref, registrationStatus,
        bookingStatus, productLabel, doseLabel, whenHtml, historyList} from './vax-common.js';

export default {
  title: 'vax.title',

  enter(ctx) {
    const person = personFor(ctx);
    Object.assign(ctx.s, {
      person, regs: null, bookings: null, groups: null, provinces: null, wards: null,
      form: {values: {priority_group: '', preferred_province_code: person?.address?.province_code ?? '',
                      preferred_ward_code: person?.address?.ward_code ?? '', note: ''},
             errors: null, error: null, busy: false, intent: new Intent()},
      cancel: {open: false, reason: '', busy: false, intent: new Intent()},
    });
    load(ctx);
    loadProvinces().then((l) => { ctx.s.provinces = l; ctx.update(); })
      .catch((e) => ctx.announce(problemText(e), {error: true}));
    if (ctx.s.form.values.preferred_province_code) pickProvince(ctx, ctx.s.form.values.preferred_province_code,
                                                                ctx.s.form.values.preferred_ward_code);
  },

  view(ctx) {
    const s = ctx.s;
    const p = s.person;
    if (!p) return html`<h1>${t('vax.title')}</h1><p>${t('home.no_profile')}</p>`;
    const self = p.relation === 'self';
    return html`
      <h1>${self ? t('vax.title') : t('vax.title_of', {name: p.full_name})}</h1>
      ${personPicker(ctx, p, '/vaccination')}
      ${registrationSection(ctx)}
      ${appointmentsSection(ctx)}`;
  },
};

async function load(ctx) {
  const p = ctx.s.person;
  if (!p) return;
  const id = encodeURIComponent(p.id);
  try {
    const [regs, bookings, groups] = await Promise.all([
      api.get(`/registrations?person_id=${id}`), api.get(`/bookings?person_id=${id}`),
      ctx.s.groups ? Promise.resolve(ctx.s.groups) : api.get('/priority-groups')]);
    Object.assign(ctx.s, {regs, bookings, groups});
  } catch (e) {
    ctx.s.regs ??= [];
    ctx.s.bookings ??= [];
    ctx.s.groups ??= [];
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

function pickProvince(ctx, code, wardCode = '') {
  const f = ctx.s.form;
  f.values.preferred_province_code = code;
  f.values.preferred_ward_code = wardCode;
  ctx.s.wards = null;
  ctx.update();
  if (!code) return;
  loadWards(code).then((list) => {
    if (String(f.values.preferred_province_code) === String(code)) { ctx.s.wards = list; ctx.update(); }
  }).catch((e) => ctx.announce(problemText(e), {error: true}));
}

function groupName(ctx, code) {
  const g = ctx.s.groups?.find((x) => x.code === code);
  return g ? (lang() === 'en' ? g.name_en : g.name_vi) : code;
}

function registrationSection(ctx) {
  const s = ctx.s;
  if (s.regs === null) {
    return html`<section class="section" aria-labelledby="reg-h"><h2 id="reg-h">${t('vax.registration')}</h2>
      <p class="loading">${t('app.loading')}</p></section>`;
  }
  const latest = s.regs[0] ?? null;
  const live = latest && LIVE_REGISTRATION.includes(latest.status) ? latest : null;
  return html`<section class="section" aria-labelledby="reg-h">
    <h2 id="reg-h" tabindex="-1">${t('vax.registration')}</h2>
    ${latest ? registrationCard(ctx, latest, !!live) : html`<p>${t('vax.not_registered')}</p>`}
    ${live ? nothing : registerForm(ctx, latest)}
  </section>`;
}

function registrationCard(ctx, reg, live) {
  const area = [reg.preferred_ward_name, reg.preferred_province_name].filter(Boolean).join(', ');
  return html`<div class="card reg-card" id="reg-card">
    <p class="status-line">${registrationStatus(reg.status)}</p>
    <p>${t(`vax.status_help_${reg.status}`, {unit: reg.allocated_unit?.name ?? ''})}</p>
    ${reg.status_reason && ['rejected', 'cancelled'].includes(reg.status)
      ? html`<p><strong>${t('vax.reason')}:</strong> ${reg.status_reason}</p>` : nothing}
    <dl class="facts">
      <div><dt>${t('vax.priority_group')}</dt><dd>${groupName(ctx, reg.priority_group)}</dd></div>
      <div><dt>${t('vax.area')}</dt><dd>${area}</dd></div>
      ${reg.allocated_unit ? html`<div><dt>${t('appt.site')}</dt><dd>${reg.allocated_unit.name}</dd></div>` : nothing}
      <div><dt>${t('vax.registered_at')}</dt><dd>${formatDateTime(reg.created_at, lang())}</dd></div>
    </dl>
    <h3>${t('vax.history')}</h3>
    ${historyList(reg.history)}
    ${live ? cancelRegistration(ctx, reg) : nothing}
  </div>`;
}

function cancelRegistration(ctx, reg) {
  const c = ctx.s.cancel;
  if (!c.open) {
    return html`<button type="button" class="secondary danger" aria-expanded="false"
      @click=${() => { c.open = true; ctx.update(); requestAnimationFrame(() => document.getElementById('rc-reason')?.focus()); }}>
      ${t('vax.cancel_registration')}</button>`;
  }
  const submit = async (ev) => {
    ev.preventDefault();
    c.reason = formValues(ev.target).reason;
    c.busy = true; ctx.update();
    try {
      const body = {reason: c.reason};
      await api.post(`/registrations/${encodeURIComponent(reg.id)}/cancel`, body,
                     {idempotencyKey: c.intent.keyFor({...body, registration: reg.id})});
      c.intent.done();
      Object.assign(c, {open: false, reason: ''});
      ctx.announce(t('vax.registration_cancelled'));
      await load(ctx);
      requestAnimationFrame(() => document.getElementById('reg-h')?.focus());
    } catch (e) {
      ctx.announce(problemText(e), {error: true});
    } finally {
      c.busy = false; ctx.update();
    }
  };
  return html`<form class="confirm-box" novalidate @submit=${submit} aria-labelledby="rc-h">
    <h3 id="rc-h">${t('vax.cancel_registration_q')}</h3>
    <p class="hint">${t('vax.cancel_registration_hint')}</p>
    ${field({name: 'reason', label: t('vax.cancel_reason'), value: c.reason, prefix: 'rc', autocomplete: 'off'})}
    <div class="actions">
      ${busyButton(c.busy, t('vax.cancel_registration_yes'), t('form.sending'), {cls: 'danger'})}
      <button type="button" class="secondary" @click=${() => { c.open = false; ctx.update(); }}>${t('vax.keep')}</button>
    </div>
  </form>`;
}

/** The API's address errors ("address.ward_code") under this form's field names. */
function regErrors(errors) {
  if (!errors) return null;
  const out = {};
  for (const [k, v] of Object.entries(errors)) {
    out[k.replace(/^address\.province_code$/, 'preferred_province_code')
      .replace(/^address\.ward_code$/, 'preferred_ward_code')] = v;
  }
  return out;
}

function registerForm(ctx, previous) {
  const s = ctx.s;
  const f = s.form;
  const v = f.values;
  const submit = async (ev) => {
    ev.preventDefault();
    f.values = {...f.values, ...formValues(ev.target)};
    const errors = missing(f.values, ['priority_group', 'preferred_province_code']);
    if (errors) {
      f.errors = errors; f.error = null;
      ctx.announce(t('form.fix_errors'), {error: true});
      ctx.update(); focusFirstError();
      return;
    }
    const body = {person_id: s.person.id, priority_group: f.values.priority_group,
                  preferred_province_code: Number(f.values.preferred_province_code),
                  preferred_ward_code: f.values.preferred_ward_code ? Number(f.values.preferred_ward_code) : null,
                  note: f.values.note ?? ''};
    f.busy = true; f.errors = null; f.error = null; ctx.update();
    try {
      await api.post('/registrations', body, {idempotencyKey: f.intent.keyFor(body)});
      f.intent.done();
      ctx.announce(t('vax.registered', {name: s.person.full_name}));
      await load(ctx);
      requestAnimationFrame(() => document.getElementById('reg-h')?.focus());
    } catch (e) {
      f.error = e; f.errors = regErrors(e.errors);
      ctx.announce(problemText(e), {error: true});
      focusFirstError();
    } finally {
      f.busy = false; ctx.update();
    }
  };
  const groups = (s.groups ?? []).map((g) => ({value: g.code, label: lang() === 'en' ? g.name_en : g.name_vi}));
  return html`<form class="card" novalidate @submit=${submit} aria-labelledby="regf-h" id="reg-form">
    <h3 id="regf-h">${previous ? t('vax.register_again') : t('vax.register')}</h3>
    <p class="hint">${t('vax.register_lead')}</p>
    ${select({name: 'priority_group', label: t('vax.priority_group'), value: v.priority_group, required: true,
              options: groups, errors: f.errors, prefix: 'rg', hint: t('vax.priority_hint'),
              placeholder: s.groups ? t('form.choose') : t('app.loading')})}
    <fieldset class="group">
      <legend>${t('vax.preferred_area')}</legend>
      ${select({name: 'preferred_province_code', label: t('person.province'), value: v.preferred_province_code,
                required: true, errors: f.errors, prefix: 'rg',
                options: (s.provinces ?? []).map((p) => ({value: p.code, label: p.name})),
                placeholder: s.provinces ? t('form.choose') : t('app.loading'),
                onChange: (code) => { f.values = {...f.values, ...formValues(document.getElementById('reg-form'))}; pickProvince(ctx, code); }})}
      ${select({name: 'preferred_ward_code', label: t('person.ward'), value: v.preferred_ward_code,
                errors: f.errors, prefix: 'rg', disabled: !v.preferred_province_code || !s.wards,
                options: (s.wards ?? []).map((w) => ({value: w.code, label: w.name})),
                placeholder: !v.preferred_province_code ? t('person.ward_pick_province')
                  : s.wards ? t('vax.any_ward') : t('app.loading')})}
    </fieldset>
    ${textarea({name: 'note', label: t('vax.note'), value: v.note, errors: f.errors, prefix: 'rg', rows: 2,
                hint: t('vax.note_hint')})}
    ${formError(f.error && !(f.errors && Object.keys(f.errors).length) ? f.error : null)}
    ${busyButton(f.busy, t('vax.register_submit'), t('form.sending'))}
  </form>`;
}

function appointmentsSection(ctx) {
  const s = ctx.s;
  const list = s.bookings;
  const active = (list ?? []).filter((b) => ACTIVE_BOOKING.includes(b.status));
  const past = (list ?? []).filter((b) => !ACTIVE_BOOKING.includes(b.status));
  const bookable = ['approved', 'allocated'].includes(s.regs?.[0]?.status);
  const row = (b) => html`<li><a class="row" href="#/bookings/${encodeURIComponent(b.id)}">
      <span class="name">${whenHtml(b.day, b.starts_at, b.ends_at)}</span>
      ${bookingStatus(b.status)}
      <span class="meta">${b.site?.name} · ${productLabel(b.product)} · ${doseLabel(b.dose)}</span>
    </a></li>`;
  return html`<section class="section" aria-labelledby="appt-h">
    <h2 id="appt-h">${t('vax.appointments')}</h2>
    ${list === null ? html`<p class="loading">${t('app.loading')}</p>`
      : active.length === 0 ? html`<p>${t('vax.no_appointments')}</p>`
      : html`<ul class="list appointments">${active.map(row)}</ul>`}
    <a class=${`button ${bookable ? 'primary' : 'secondary'}`} id="find-link"
      href=${vaxHref('/vaccination/sessions', {person: s.person.id})}>${t('vax.find_sessions')}</a>
    ${bookable ? nothing : html`<p class="hint">${t('vax.find_hint')}</p>`}
    ${past.length ? html`<details class="past">
        <summary>${t('vax.past_appointments', {n: past.length})}</summary>
        <ul class="list appointments">${past.map(row)}</ul></details>` : nothing}
  </section>`;
}
