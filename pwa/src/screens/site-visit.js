// Site tablet: check a person in (camera scan of the personal QR, the chip ID card's QR text, or
// an ID number / phone), see the booking, the dose history and the next dose the server proposes,
// screen them with the Ministry's checklist, and record the dose from the site's own stock.
// Check-ins, screenings and doses made while the network is down wait in the outbox (site-queue).
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {formatDate, formatDateTime} from '../format.js';
import {formValues, formError, focusFirstError, localMsg} from '../ui.js';
import {cameraAvailable, startScanner} from '../scanner.js';
import {busyButton, problemText, sexLabel} from './common.js';
import {SITE, staffGate} from './staff-common.js';
import {doseLabel} from './vax-common.js';
import {sendOrQueue} from '../site-queue.js';
import {loadSites, sitePicker, watchQueue, queueBanner, siteNav, cacheGet, cacheSet} from './site-common.js';

const VITALS = [['temperature_c', 'decimal'], ['pulse', 'numeric'], ['systolic', 'numeric'],
                ['diastolic', 'numeric'], ['respiratory_rate', 'numeric'], ['spo2', 'numeric']];

/** What the staff member typed or scanned → the check-in body's one way to identify. */
export function identify(text) {
  const v = String(text ?? '').trim();
  if (!v) return null;
  if (/^SSK\d*:/i.test(v)) return {qr: v};
  if (v.includes('|')) return {cccd_text: v};
  const digits = v.replace(/[\s.-]/g, '');
  if (/^\d{12}$/.test(digits) || /^\d{9}$/.test(digits)) return {national_id: digits};
  if (/^(\+?84|0)\d{8,10}$/.test(digits)) return {phone: digits};
  return {qr: v};
}

export default {
  title: 'sv.title',

  enter(ctx) {
    Object.assign(ctx.s, {sites: null, siteId: '', queue: null, who: '', scanning: false, scanner: null,
                          checkin: {busy: false, error: null, intent: new Intent()},
                          visit: null, queuedCheckin: null, checklist: cacheGet('checklist'), stock: cacheGet('stock'),
                          screen: {values: {}, busy: false, error: null, errors: null, intent: new Intent()},
                          dose: {lot_id: '', busy: false, error: null, intent: new Intent(), queued: null}});
    ctx.onLeave(() => ctx.s.scanner?.stop());
    if (staffGate(ctx, SITE, 'sv.title')) return;
    watchQueue(ctx);
    init(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, SITE, 'sv.title');
    if (gate) return gate;
    const s = ctx.s;
    return html`
      <h1>${t('sv.title')}</h1>
      ${siteNav('#/site/visit')}
      ${sitePicker(ctx, () => loadStock(ctx))}
      ${queueBanner(ctx)}
      ${checkinForm(ctx)}
      ${s.queuedCheckin ? html`<p class="card attention" id="checkin-queued">${t('sv.checkin_queued', {who: s.queuedCheckin})}</p>` : nothing}
      ${s.visit ? visitCard(ctx) : nothing}`;
  },
};

async function init(ctx) {
  try {
    await loadSites(ctx);
  } catch (e) {
    ctx.s.sites = [];
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
  api.get('/screening-checklist').then((c) => { ctx.s.checklist = c; cacheSet('checklist', c); ctx.update(); })
    .catch(() => {});
  loadStock(ctx);
}

async function loadStock(ctx) {
  const s = ctx.s;
  if (!s.siteId) return;
  try {
    const stock = await api.get(`/units/${encodeURIComponent(s.siteId)}/stock`);
    s.stock = {site_id: s.siteId, lots: stock.lots};
    cacheSet('stock', s.stock);
  } catch { /* offline: the cached list */ }
  ctx.update();
}

function usableLots(ctx, productCode) {
  const st = ctx.s.stock;
  if (!st || st.site_id !== ctx.s.siteId) return [];
  return st.lots.filter((l) => l.usable && l.balance > 0 && (!productCode || l.product_code === productCode))
    .sort((a, b) => a.expires_on.localeCompare(b.expires_on));
}

// ---- check-in -------------------------------------------------------------------------------

function toggleScan(ctx) {
  const s = ctx.s;
  if (s.scanning) {
    s.scanner?.stop(); s.scanning = false; ctx.update();
    return;
  }
  s.scanning = true;
  ctx.update();
  requestAnimationFrame(() => {
    s.scanner = startScanner(document.getElementById('sv-video'), {
      onResult: (text) => {
        s.scanning = false;
        s.who = text;
        ctx.announce(t('staff.scanned'));
        ctx.update();
        checkIn(ctx, text);
      },
      onError: (e) => {
        s.scanning = false;
        ctx.announce(`${t('staff.camera_error')} ${e?.message ?? ''}`, {error: true});
        ctx.update();
      },
    });
  });
}

async function checkIn(ctx, text) {
  const s = ctx.s;
  const c = s.checkin;
  const id = identify(text);
  if (!id) {
    c.error = null; c.errors = {who: [localMsg('form.required')]};
    ctx.announce(t('form.fix_errors'), {error: true});
    ctx.update(); focusFirstError();
    return;
  }
  const body = {site_id: s.siteId, ...id};
  c.busy = true; c.error = null; c.errors = null; s.queuedCheckin = null; ctx.update();
  try {
    const key = c.intent.keyFor(body);
    const shown = id.national_id ?? id.phone ?? t('sv.scanned_code');
    const r = await sendOrQueue({path: '/visits', body, key, kind: 'checkin', label: {key: 'sv.label_checkin', params: {who: shown}}});
    c.intent.done();
    if (r.queued) {
      s.visit = null;
      s.queuedCheckin = shown;
      s.who = '';
      ctx.announce(t('sv.checkin_queued', {who: shown}));
    } else {
      showVisit(ctx, r.data);
      ctx.announce(t('sv.checked_in', {name: r.data.person.full_name}));
      requestAnimationFrame(() => document.getElementById('visit-h')?.focus());
    }
  } catch (e) {
    c.error = e;
    ctx.announce(problemText(e), {error: true});
    focusFirstError();
  } finally {
    c.busy = false; ctx.update();
  }
}

function showVisit(ctx, visit) {
  const s = ctx.s;
  s.visit = visit;
  s.who = '';
  s.screen = {values: {}, busy: false, error: null, errors: null, intent: new Intent()};
  const product = visit.booking?.product_code ?? null;
  s.dose = {lot_id: usableLots(ctx, product)[0]?.id ?? '', busy: false, error: null, intent: new Intent(), queued: null};
}

function checkinForm(ctx) {
  const s = ctx.s;
  const c = s.checkin;
  const err = c.errors?.who ? t('form.required') : null;
  const submit = (ev) => {
    ev.preventDefault();
    s.who = formValues(ev.target).who ?? '';
    checkIn(ctx, s.who);
  };
  return html`<form class="card" id="checkin-form" novalidate @submit=${submit} aria-labelledby="ci-h">
    <h2 id="ci-h">${t('sv.checkin')}</h2>
    ${cameraAvailable() ? html`<p><button type="button" class="secondary" @click=${() => toggleScan(ctx)}
        aria-pressed=${s.scanning ? 'true' : 'false'}>${s.scanning ? t('staff.stop_camera') : t('staff.scan')}</button></p>
      ${s.scanning ? html`<video id="sv-video" class="scanner" playsinline muted aria-label=${t('staff.camera_label')}></video>` : nothing}`
      : nothing}
    <div class="field ${err ? 'invalid' : ''}">
      <label for="sv-who">${t('sv.who')}</label>
      <p class="hint" id="sv-who-hint">${t('sv.who_hint')}</p>
      <textarea id="sv-who" name="who" rows="2" .value=${s.who} autocomplete="off" spellcheck="false"
        aria-invalid=${err ? 'true' : 'false'} aria-describedby=${err ? 'sv-who-hint sv-who-err' : 'sv-who-hint'}></textarea>
      ${err ? html`<p class="field-error" id="sv-who-err">${err}</p>` : nothing}
    </div>
    ${formError(c.error)}
    ${busyButton(c.busy, t('sv.checkin_submit'), t('form.saving'))}
  </form>`;
}

// ---- the visit --------------------------------------------------------------------------------

function visitCard(ctx) {
  const v = ctx.s.visit;
  const p = v.person;
  const next = (v.next_doses ?? []).filter((d) => !v.booking || d.product_code === v.booking.product_code);
  const inStock = new Set(usableLots(ctx).map((l) => l.product_code));
  const proposals = next.filter((d) => d.eligible && (v.booking || inStock.has(d.product_code)));
  return html`<section class="card visit" aria-labelledby="visit-h">
    <h2 id="visit-h" tabindex="-1">${p.full_name}</h2>
    <p class="meta">${formatDate(p.date_of_birth, lang())} · ${sexLabel(p.sex)}</p>
    <p><span class="badge visit-${v.status}">${t(`sv.status_${v.status}`)}</span>
      ${v.walk_in ? html`<span class="badge">${t('sv.walk_in')}</span>` : nothing}</p>
    ${v.booking && !v.walk_in ? html`<p>${t('sv.booking', {dose: v.booking.dose_number, product: v.booking.product_code})}</p>`
      : html`<p>${t('sv.no_booking')}</p>`}
    <h3>${t('sv.history')}</h3>
    ${v.doses?.length ? html`<ol class="doses">${v.doses.map((d) => html`<li>
        ${doseLabel(String(d.dose_number))} · ${d.product_code} · ${formatDate(d.administered_on, lang())}
        ${d.lot_number ? html`· ${t('sv.lot')} ${d.lot_number}` : nothing}</li>`)}</ol>`
      : html`<p>${t('sv.no_doses')}</p>`}
    <h3>${t('sv.next')}</h3>
    ${proposals.length ? html`<ul class="next">${proposals.slice(0, 4).map((d) => html`<li id="next-dose">
        ${doseLabel(d.dose)} · ${d.product_code}${d.recommended_on ? html` · ${formatDate(d.recommended_on, lang())}` : nothing}</li>`)}</ul>`
      : html`<p>${next[0]?.reason_text && lang() === 'en' ? next[0].reason_text : next[0]?.reason_text_vi ?? t('sv.next_none')}</p>`}
    ${v.earlier_screening ? html`<p class="card attention">${t('sv.earlier_screening', {
        outcome: t(`sv.outcome_${v.earlier_screening.outcome}`),
        until: v.earlier_screening.postpone_until ? formatDate(v.earlier_screening.postpone_until, lang()) : ''})}</p>` : nothing}
  </section>
  ${['checked_in', 'screened'].includes(v.status) && !ctx.s.dose.queued ? screeningForm(ctx) : nothing}
  ${v.status === 'screened' && v.screening?.outcome === 'vaccinate_now' ? doseForm(ctx) : nothing}
  ${ctx.s.dose.queued ? html`<p class="card attention" id="dose-queued" tabindex="-1">${t('sv.dose_queued')}</p>` : nothing}
  ${v.status === 'observing' ? html`<p class="card" id="dose-done" tabindex="-1">${t('sv.observing_until', {
      time: formatDateTime(v.observe_until, lang())})} <a href="#/site/observation">${t('so.title')}</a></p>` : nothing}`;
}

// ---- screening --------------------------------------------------------------------------------

function label(item) {
  return lang() === 'en' ? item.label_en : item.label_vi;
}

function screeningForm(ctx) {
  const s = ctx.s;
  const f = s.screen;
  const list = s.checklist;
  const v = f.values;
  const outcome = v.outcome ?? 'vaccinate_now';
  const submit = async (ev) => {
    ev.preventDefault();
    const raw = formValues(ev.target);
    f.values = raw;
    const answers = {};
    for (const item of list?.items ?? []) answers[item.code] = raw[`q_${item.code}`] === 'yes';
    const vitals = {};
    for (const [name] of VITALS) {
      const x = (raw[name] ?? '').replace(',', '.');
      if (x !== '') vitals[name] = Number(x);
    }
    const body = {answers, vitals, outcome: raw.outcome || 'vaccinate_now', note: raw.note ?? ''};
    if (body.outcome === 'postpone' && raw.postpone_until) body.postpone_until = raw.postpone_until;
    f.busy = true; f.error = null; f.errors = null; ctx.update();
    try {
      const r = await sendOrQueue({path: `/visits/${encodeURIComponent(s.visit.id)}/screenings`, body,
                                   key: f.intent.keyFor(body), kind: 'screening',
                                   label: {key: 'sv.label_screening', params: {who: s.visit.person.full_name}}});
      f.intent.done();
      const screening = r.queued ? {...body, queued: true} : r.data;
      s.visit = {...s.visit, status: screening.outcome === 'vaccinate_now' ? 'screened' : s.visit.status, screening};
      if (screening.outcome === 'vaccinate_now') {
        s.dose.lot_id ||= usableLots(ctx, s.visit.booking?.product_code)[0]?.id ?? '';
        ctx.announce(r.queued ? t('sv.screening_queued') : t('sv.screened_ok'));
        requestAnimationFrame(() => document.getElementById('dose-h')?.focus());
      } else {
        ctx.announce(t('sv.screened_other', {outcome: t(`sv.outcome_${screening.outcome}`),
          until: screening.postpone_until ? formatDate(screening.postpone_until, lang()) : ''}));
      }
    } catch (e) {
      f.error = e;
      f.errors = e.errors;
      ctx.announce(problemText(e), {error: true});
      focusFirstError();
    } finally {
      f.busy = false; ctx.update();
    }
  };
  if (!list) return html`<p class="loading">${t('app.loading')}</p>`;
  const yesNo = (item) => {
    const name = `q_${item.code}`;
    return html`<fieldset class="field yesno">
      <legend>${label(item)}</legend>
      <label class="radio"><input type="radio" name=${name} value="no" .checked=${v[name] !== 'yes'}><span>${t('sv.no')}</span></label>
      <label class="radio"><input type="radio" name=${name} value="yes" .checked=${v[name] === 'yes'}><span>${t('sv.yes')}</span></label>
    </fieldset>`;
  };
  return html`<form class="card" id="screen-form" novalidate @submit=${submit} aria-labelledby="scr-h"
      @change=${(ev) => { if (ev.target.name === 'outcome') { f.values = formValues(ev.currentTarget); ctx.update(); } }}>
    <h2 id="scr-h">${t('sv.screening')}</h2>
    ${s.visit.screening ? html`<p class="hint">${t('sv.rescreen', {outcome: t(`sv.outcome_${s.visit.screening.outcome}`)})}</p>` : nothing}
    <fieldset class="group"><legend>${t('sv.vitals')}</legend>
      <div class="two">${VITALS.map(([name, mode]) => html`<div class="field">
        <label for="scr-${name}">${t(`sv.vital_${name}`)}</label>
        <input id="scr-${name}" name=${name} inputmode=${mode} autocomplete="off" .value=${v[name] ?? ''}
          aria-invalid=${f.errors?.[`vitals.${name}`] ? 'true' : 'false'}>
        ${f.errors?.[`vitals.${name}`] ? html`<p class="field-error">${f.errors[`vitals.${name}`].join(' ')}</p>` : nothing}
      </div>`)}</div>
    </fieldset>
    <fieldset class="group"><legend>${t('sv.questions')}</legend>
      ${list.items.map(yesNo)}
    </fieldset>
    <fieldset class="field radios">
      <legend>${t('sv.outcome')}</legend>
      ${['vaccinate_now', 'postpone', 'refer_to_hospital'].map((o) => html`<label class="radio">
        <input type="radio" name="outcome" value=${o} .checked=${outcome === o}><span>${t(`sv.outcome_${o}`)}</span></label>`)}
    </fieldset>
    ${outcome === 'postpone' ? html`<div class="field"><label for="scr-until">${t('sv.postpone_until')}
        <span class="optional">${t('form.optional')}</span></label>
      <p class="hint" id="scr-until-hint">${t('sv.postpone_hint')}</p>
      <input id="scr-until" type="date" name="postpone_until" .value=${v.postpone_until ?? ''} aria-describedby="scr-until-hint"></div>`
      : nothing}
    <div class="field"><label for="scr-note">${t('site.note')} <span class="optional">${t('form.optional')}</span></label>
      <textarea id="scr-note" name="note" rows="2" .value=${v.note ?? ''}></textarea></div>
    ${formError(f.error)}
    ${busyButton(f.busy, t('sv.screening_submit'), t('form.saving'))}
  </form>`;
}

// ---- the dose ---------------------------------------------------------------------------------

function doseForm(ctx) {
  const s = ctx.s;
  const d = s.dose;
  const v = s.visit;
  const product = v.booking?.product_code ?? null;
  const lots = usableLots(ctx, product);
  const lot = lots.find((l) => l.id === d.lot_id);
  const proposal = (v.next_doses ?? []).find((x) => x.eligible && x.product_code === (lot?.product_code ?? product));
  const number = v.booking?.dose_number ?? proposal?.dose_number;
  const submit = async (ev) => {
    ev.preventDefault();
    d.lot_id = formValues(ev.target).lot_id ?? '';
    if (!d.lot_id) {
      d.error = null; d.errors = {lot_id: [t('form.required')]};
      ctx.announce(t('form.fix_errors'), {error: true}); ctx.update(); focusFirstError();
      return;
    }
    // the moment of the injection is when Save is pressed, also for a record sent later
    const body = {lot_id: d.lot_id, administered_at: d.administered_at ?? new Date().toISOString(), note: ''};
    d.administered_at = body.administered_at;
    d.busy = true; d.error = null; d.errors = null; ctx.update();
    try {
      const key = d.intent.keyFor({visit: v.id, lot_id: d.lot_id});  // one key per dose intent
      const r = await sendOrQueue({path: `/visits/${encodeURIComponent(v.id)}/doses`, body, key, kind: 'dose',
                                   label: {key: 'sv.label_dose', params: {who: v.person.full_name, lot: lot?.lot_number ?? ''}}});
      if (r.queued) {
        d.queued = key;
        ctx.announce(t('sv.dose_queued'));
        requestAnimationFrame(() => document.getElementById('dose-queued')?.focus());
      } else {
        d.intent.done();
        const rec = r.data;
        s.visit = {...v, status: 'observing', observe_until: rec.observe_until, dose_record_id: rec.id,
                   doses: [...(v.doses ?? []), rec]};
        if (s.stock?.lots) {
          s.stock.lots = s.stock.lots.map((l) => (l.id === rec.lot_id ? {...l, balance: l.balance - 1} : l));
        }
        ctx.announce(t('sv.dose_saved', {n: rec.dose_number}));
        requestAnimationFrame(() => document.getElementById('dose-done')?.focus());
      }
    } catch (e) {
      d.error = e;
      ctx.announce(problemText(e), {error: true});
      focusFirstError();
      if (['out-of-stock', 'lot-expired', 'lot-quarantined'].includes(e.slug)) loadStock(ctx);
    } finally {
      d.busy = false; ctx.update();
    }
  };
  const err = d.errors?.lot_id;
  return html`<form class="card" id="dose-form" novalidate @submit=${submit} aria-labelledby="dose-h">
    <h2 id="dose-h" tabindex="-1">${t('sv.dose')}</h2>
    ${number ? html`<p class="dose-number">${t('sv.dose_number', {n: number})}</p>` : nothing}
    <div class="field ${err ? 'invalid' : ''}">
      <label for="dose-lot">${t('sv.lot_pick')}</label>
      <p class="hint" id="dose-lot-hint">${t('sv.lot_hint')}</p>
      <select id="dose-lot" name="lot_id" aria-invalid=${err ? 'true' : 'false'}
        aria-describedby=${err ? 'dose-lot-hint dose-lot-err' : 'dose-lot-hint'}
        @change=${(ev) => { d.lot_id = ev.target.value; d.intent.done(); ctx.update(); }}>
        <option value="" .selected=${!d.lot_id}>${t('form.choose')}</option>
        ${lots.map((l) => html`<option value=${l.id} .selected=${l.id === d.lot_id}>${t('sv.lot_option', {
          product: l.product_code, lot: l.lot_number, date: formatDate(l.expires_on, lang()), n: l.balance})}</option>`)}
      </select>
      ${err ? html`<p class="field-error" id="dose-lot-err">${err.join(' ')}</p>` : nothing}
    </div>
    ${lots.length ? nothing : html`<p class="card attention">${t('sv.no_lots')}</p>`}
    ${formError(d.error)}
    ${busyButton(d.busy, t('sv.dose_submit'), t('form.saving'))}
  </form>`;
}
