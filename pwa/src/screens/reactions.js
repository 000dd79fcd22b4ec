// After a dose: the person's doses with "How do you feel?", the report form (a one-tap "No
// reaction" too), what to do now when the signs are serious (call 115, the site that gave the
// dose), the 28-day self-monitoring card, and the reports sent, to which later information is
// added as a follow-up (a report is never edited).
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {formatDate, formatDateTime} from '../format.js';
import {textarea, formValues, formError, focusFirstError, localMsg} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {personFor, personPicker, vaxHref, doseLabel} from './vax-common.js';

let termsCache = null;  // {lang, data}

/** The symptom list in the current language (public, cached per language). */
export async function loadTerms() {
  if (termsCache?.lang === lang()) return termsCache.data;
  const data = await api.get('/adverse-event-terms');
  termsCache = {lang: lang(), data};
  return data;
}

/** A term's label in the current language, whatever language the list was loaded in. */
export function termLabel(terms, code) {
  const x = terms?.terms?.find((term) => term.code === code);
  if (!x) return code;
  return lang() === 'en' ? x.label_en : x.label_vi;
}

function doseName(d) {
  return (lang() === 'en' ? d.product_name_en : d.product_name_vi) || d.product_name_vi || d.product_code;
}

function doseDose(d) {
  return d.series === 'booster' ? doseLabel('booster') : doseLabel(d.dose_number);
}

function placeText(f) {
  return [f?.name, f?.address_line].filter(Boolean).join(', ');
}

/** The "call 115 now" panel: the first thing seen, and focused, after serious signs. */
export function emergencyPanel(w, {id = 'emergency'} = {}) {
  const f = w?.nearest_facility;
  return html`<section class="card emergency" id=${id} aria-labelledby="${id}-h">
    <h2 id="${id}-h" tabindex="-1">${t('react.call_now')}</h2>
    <p>${t('react.call_now_text')}</p>
    <a class="button danger call" href="tel:${w?.call ?? '115'}">${t('react.call_button', {n: w?.call ?? '115'})}</a>
    ${f ? html`<p><strong>${t('react.site_that_gave')}</strong><br>${f.name}${f.address_line
      ? html`<br><span class="address">${f.address_line}</span>` : nothing}</p>` : nothing}
    ${w?.hotline ? html`<p class="hint">${t('react.hotline', {n: w.hotline})}</p>` : nothing}
  </section>`;
}

// ---------------------------------------------------------------- #/doses

export const doses = {
  title: 'react.doses_title',

  enter(ctx) {
    Object.assign(ctx.s, {person: personFor(ctx), doses: null, reports: null, terms: null, fu: {}});
    loadDoses(ctx);
  },

  view(ctx) {
    const s = ctx.s;
    const p = s.person;
    if (!p) return html`<h1>${t('react.doses_title')}</h1><p>${t('home.no_profile')}</p>`;
    const self = p.relation === 'self';
    return html`
      <h1>${self ? t('react.doses_title') : t('react.doses_of', {name: p.full_name})}</h1>
      ${personPicker(ctx, p, '/doses')}
      <p class="lead">${t('react.doses_lead')}</p>
      <section class="section" aria-labelledby="doses-h">
        <h2 id="doses-h">${t('react.doses_list')}</h2>
        ${s.doses === null ? html`<p class="loading">${t('app.loading')}</p>`
          : s.doses.length === 0 ? html`<p>${t('react.no_doses')}</p>`
          : html`<ul class="list doses">${s.doses.map((d) => html`<li class="card dose">
              <p class="name"><strong>${doseName(d)}</strong> · ${doseDose(d)}</p>
              <p class="meta">${formatDateTime(d.administered_at, lang())} · ${d.site_name}</p>
              <a class="button primary" href=${vaxHref('/reaction', {dose: d.id, person: p.id})}
                aria-label=${t('react.how_feel_for', {vaccine: doseName(d), date: formatDateTime(d.administered_at, lang())})}>
                ${t('react.how_feel')}</a>
              <p class="dose-links">
                <a href=${vaxHref(`/doses/${encodeURIComponent(d.id)}/history`, {person: p.id})}
                  aria-label=${t('corr.dose_history_for', {vaccine: doseName(d), date: formatDate(d.administered_on, lang())})}>
                  ${t('corr.dose_history')}</a>
                <a href=${vaxHref('/corrections', {person: p.id, dose: d.id})}
                  aria-label=${t('corr.dose_fix_for', {vaccine: doseName(d), date: formatDate(d.administered_on, lang())})}>
                  ${t('corr.dose_fix')}</a>
              </p>
            </li>`)}</ul>`}
        <p><a class="button secondary" id="corrections-link" href=${vaxHref('/corrections', {person: p.id})}>${t('corr.doses_link')}</a></p>
      </section>
      ${reportsSection(ctx)}`;
  },
};

async function loadDoses(ctx) {
  const p = ctx.s.person;
  if (!p) return;
  const id = encodeURIComponent(p.id);
  try {
    const [list, reports, terms] = await Promise.all([
      api.get(`/people/${id}/doses`), api.get(`/people/${id}/reaction-reports`), loadTerms()]);
    ctx.s.doses = (list.doses ?? []).filter((d) => ['valid', 'corrected'].includes(d.status ?? 'valid'))
      .sort((a, b) => String(b.administered_at).localeCompare(String(a.administered_at)));
    // the list leaves the follow-ups out: each report sent is read whole (a person has few)
    ctx.s.reports = await Promise.all(reports.map((r) => (r.no_reaction ? r
      : api.get(`/reaction-reports/${encodeURIComponent(r.id)}`).catch(() => r))));
    ctx.s.terms = terms;
  } catch (e) {
    ctx.s.doses ??= [];
    ctx.s.reports ??= [];
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

function triageLabel(r) {
  return t(`react.triage_${r.triage?.status ?? 'new'}`);
}

function reportsSection(ctx) {
  const s = ctx.s;
  const list = (s.reports ?? []).filter((r) => !r.no_reaction);
  return html`<section class="section" aria-labelledby="myrep-h">
    <h2 id="myrep-h">${t('react.my_reports')}</h2>
    ${s.reports === null ? html`<p class="loading">${t('app.loading')}</p>`
      : list.length === 0 ? html`<p>${t('react.no_reports')}</p>`
      : html`<ul class="list reports">${list.map((r) => reportCard(ctx, r))}</ul>`}
  </section>`;
}

function reportCard(ctx, r) {
  const terms = ctx.s.terms;
  return html`<li class="card report ${r.serious ? 'serious' : ''}" id="rep-${r.id}">
    <p class="status-line">${r.serious ? html`<span class="badge serious">${t('react.serious')}</span>` : nothing}
      <span class="badge">${triageLabel(r)}</span></p>
    <dl class="facts">
      <div><dt>${t('react.symptoms')}</dt><dd>${(r.symptoms ?? []).map((c) => termLabel(terms, c)).join(', ')}</dd></div>
      ${r.symptom_text ? html`<div><dt>${t('react.free_text')}</dt><dd>${r.symptom_text}</dd></div>` : nothing}
      ${r.severity ? html`<div><dt>${t('react.severity')}</dt><dd>${t(`react.sev_${r.severity}`)}</dd></div>` : nothing}
      ${r.onset_at ? html`<div><dt>${t('react.onset')}</dt><dd>${formatDateTime(r.onset_at, lang())}</dd></div>` : nothing}
      <div><dt>${t('react.sent_at')}</dt><dd>${formatDateTime(r.reported_at, lang())} · ${r.site_name ?? ''}</dd></div>
    </dl>
    ${(r.follow_ups ?? []).length ? html`<h3>${t('react.follow_ups')}</h3><ol class="timeline">
      ${r.follow_ups.map((f) => html`<li><span class="when">${formatDateTime(f.at, lang())}</span>
        <span class="what">${[f.note, f.outcome ? t(`react.out_${f.outcome}`) : '',
          f.severity ? t(`react.sev_${f.severity}`) : ''].filter(Boolean).join(' · ')}</span></li>`)}</ol>` : nothing}
    ${followUpForm(ctx, r)}
  </li>`;
}

function followUpForm(ctx, r) {
  const all = ctx.s.fu;
  const f = all[r.id] ??= {open: false, busy: false, error: null, errors: null, result: null, intent: new Intent()};
  if (f.result?.what_to_do) return emergencyPanel(f.result.what_to_do, {id: `em-${r.id}`});
  if (!f.open) {
    return html`<button type="button" class="secondary" aria-expanded="false"
      @click=${() => { f.open = true; ctx.update(); requestAnimationFrame(() => document.getElementById(`fu-${r.id}-note`)?.focus()); }}>
      ${t('react.add_info')}</button>`;
  }
  const submit = async (ev) => {
    ev.preventDefault();
    const v = formValues(ev.target);
    const body = {note: v.note ?? '', outcome: v.outcome || null};
    if (!body.note && !body.outcome) {
      f.errors = {note: [localMsg('react.fu_empty')]}; f.error = null; ctx.update(); focusFirstError();
      return;
    }
    f.busy = true; f.errors = null; f.error = null; ctx.update();
    try {
      const out = await api.post(`/reaction-reports/${encodeURIComponent(r.id)}/follow-ups`, body,
                                 {idempotencyKey: f.intent.keyFor({...body, r: r.id})});
      f.intent.done();
      f.open = false;
      ctx.announce(t('react.fu_sent'));
      if (out?.what_to_do) {
        f.result = out;
        requestAnimationFrame(() => document.getElementById(`em-${r.id}-h`)?.focus());
      }
      await loadDoses(ctx);
    } catch (e) {
      f.error = e; f.errors = e.errors && Object.keys(e.errors).length ? e.errors : null;
      ctx.announce(problemText(e), {error: true});
      focusFirstError();
    } finally {
      f.busy = false; ctx.update();
    }
  };
  return html`<form class="confirm-box" novalidate @submit=${submit} aria-labelledby="fu-${r.id}-h">
    <h3 id="fu-${r.id}-h">${t('react.add_info')}</h3>
    <p class="hint">${t('react.add_info_hint')}</p>
    ${textarea({name: 'note', label: t('react.fu_note'), errors: f.errors, prefix: `fu-${r.id}`, rows: 2})}
    <div class="field">
      <label for="fu-${r.id}-outcome">${t('react.fu_outcome')} <span class="optional">${t('form.optional')}</span></label>
      <select id="fu-${r.id}-outcome" name="outcome">
        <option value="">${t('form.choose')}</option>
        ${['recovered', 'recovering', 'not_recovered'].map((o) => html`<option value=${o}>${t(`react.out_${o}`)}</option>`)}
      </select>
    </div>
    ${formError(f.error && !f.errors ? f.error : null)}
    <div class="actions">
      ${busyButton(f.busy, t('react.fu_submit'), t('form.sending'))}
      <button type="button" class="secondary" @click=${() => { f.open = false; ctx.update(); }}>${t('react.cancel')}</button>
    </div>
  </form>`;
}

// ---------------------------------------------------------------- #/reaction?dose=

function nowLocalInput() {
  // "YYYY-MM-DDTHH:MM" in the device's time (what <input type=datetime-local> shows)
  const d = new Date();
  d.setSeconds(0, 0);
  const off = d.getTimezoneOffset() * 60000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
}

export const reaction = {
  title: 'react.report_title',

  enter(ctx) {
    Object.assign(ctx.s, {
      person: personFor(ctx), doseId: ctx.query.get('dose'), dose: null, terms: null, mon: null, result: null,
      values: {symptoms: [], onset: nowLocalInput(), text: '', severity: '', care: 'none'},
      errors: null, error: null, busy: false, noBusy: false, intent: new Intent(),
    });
    loadReport(ctx);
  },

  view(ctx) {
    const s = ctx.s;
    const p = s.person;
    const back = vaxHref('/doses', {person: p?.id});
    if (s.result) return resultView(ctx, back);
    return html`
      <h1>${t('react.report_title')}</h1>
      ${s.dose ? html`<p class="lead">${p && p.relation !== 'self' ? html`<strong>${p.full_name}</strong> · ` : nothing}${doseName(s.dose)} · ${doseDose(s.dose)} · ${formatDateTime(s.dose.administered_at, lang())}</p>` : nothing}
      ${monitoringCard(ctx)}
      ${s.terms === null ? html`<p class="loading">${t('app.loading')}</p>` : reportForm(ctx)}
      <p><a href=${back}>${t('react.back_doses')}</a></p>`;
  },
};

async function loadReport(ctx) {
  const s = ctx.s;
  if (!s.doseId) return;
  const id = encodeURIComponent(s.doseId);
  try {
    const [terms, mon] = await Promise.all([loadTerms(), api.get(`/doses/${id}/monitoring`)]);
    Object.assign(s, {terms, mon});
    if (s.person) {
      const list = await api.get(`/people/${encodeURIComponent(s.person.id)}/doses`);
      s.dose = (list.doses ?? []).find((d) => d.id === s.doseId) ?? null;
    }
  } catch (e) {
    s.terms ??= {terms: [], severities: [], care_sought: []};
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

export function monitoringCard(ctx) {
  const m = ctx.s.mon;
  if (!m) return nothing;
  const seek = m.seek_care?.[lang()] ?? [];
  return html`<section class="card monitor" aria-labelledby="mon-h">
    <h2 id="mon-h">${t('react.monitoring')}</h2>
    <p class="status-line"><strong>${m.active ? t('react.day_of', {n: Math.max(0, m.day)}) : t('react.window_over')}</strong>
      ${m.active ? html` · ${t('react.days_left', {n: m.days_left})}` : nothing}</p>
    ${m.active ? html`<progress max="28" value=${Math.min(28, Math.max(0, m.day))} aria-label=${t('react.day_of', {n: Math.max(0, m.day)})}></progress>` : nothing}
    ${m.intensive ? html`<p class="hint">${t('react.intensive')}</p>` : nothing}
    <h3>${t('react.warning_signs')}</h3>
    <ul class="signs">${(m.warning_signs ?? []).map((w) => html`<li>${lang() === 'en' ? w.label_en : w.label_vi}</li>`)}</ul>
    ${seek.length ? html`<ul class="seek">${seek.map((x) => html`<li>${x}</li>`)}</ul>` : nothing}
    <p><a href="tel:${m.emergency ?? '115'}" class="call-link">${t('react.call_button', {n: m.emergency ?? '115'})}</a></p>
  </section>`;
}

function seriousCodes(ctx) {
  return new Set((ctx.s.terms?.terms ?? []).filter((x) => x.serious).map((x) => x.code));
}

async function send(ctx, body, {none = false} = {}) {
  const s = ctx.s;
  if (none) s.noBusy = true; else s.busy = true;
  s.errors = null; s.error = null; ctx.update();
  try {
    const out = await api.post('/reaction-reports', body, {idempotencyKey: s.intent.keyFor(body)});
    s.intent.done();
    if (out.what_to_do) {
      s.result = out;
      ctx.announce(t('react.sent_serious'), {error: true});
      requestAnimationFrame(() => document.getElementById('emergency-h')?.focus());
    } else {
      ctx.go(vaxHref('/doses', {person: s.person?.id}), none ? t('react.sent_none') : t('react.sent'));
    }
  } catch (e) {
    s.error = e; s.errors = e.errors && Object.keys(e.errors).length ? e.errors : null;
    ctx.announce(problemText(e), {error: true});
    focusFirstError();
  } finally {
    s.busy = false; s.noBusy = false; ctx.update();
  }
}

function fieldErr(s, name) {
  const list = s.errors?.[name];
  if (!list) return nothing;
  return html`<p class="field-error" id="rr-${name}-err">${list.map((m) => (m.startsWith('@') ? t(m.slice(1)) : m)).join(' ')}</p>`;
}

function reportForm(ctx) {
  const s = ctx.s;
  const v = s.values;
  const serious = seriousCodes(ctx);
  const seriousTicked = v.symptoms.some((c) => serious.has(c));
  const terms = s.terms?.terms ?? [];
  const toggle = (code, on) => {
    v.symptoms = on ? [...v.symptoms, code] : v.symptoms.filter((c) => c !== code);
    ctx.update();
  };
  const submit = (ev) => {
    ev.preventDefault();
    const fv = formValues(ev.target);
    Object.assign(v, {onset: fv.onset ?? '', text: fv.symptom_text ?? '', severity: fv.severity ?? '', care: fv.care_sought || 'none'});
    const errors = {};
    if (!v.symptoms.length) errors.symptoms = [localMsg('react.pick_symptom')];
    if (!v.severity) errors.severity = [localMsg('form.required')];
    if (!v.onset) errors.onset_at = [localMsg('form.required')];
    if (Object.keys(errors).length) {
      s.errors = errors; s.error = null;
      ctx.announce(t('form.fix_errors'), {error: true});
      ctx.update(); focusFirstError();
      return;
    }
    send(ctx, {dose_record_id: s.doseId, no_reaction: false, onset_at: new Date(v.onset).toISOString(),
               symptoms: v.symptoms, symptom_text: v.text, severity: v.severity, care_sought: v.care});
  };
  const inv = (name) => (s.errors?.[name] ? 'true' : 'false');
  const desc = (name) => (s.errors?.[name] ? `rr-${name}-err` : nothing);
  return html`
    <section class="section none-box" aria-labelledby="none-h">
      <h2 id="none-h">${t('react.none_q')}</h2>
      ${busyButton(s.noBusy, t('react.none_button'), t('form.sending'), {cls: 'secondary big', type: 'button',
        onClick: () => send(ctx, {dose_record_id: s.doseId, no_reaction: true}, {none: true})})}
    </section>
    <form class="card" novalidate @submit=${submit} aria-labelledby="rf-h" id="reaction-form">
      <h2 id="rf-h">${t('react.symptoms_q')}</h2>
      <fieldset class="field checks ${s.errors?.symptoms ? 'invalid' : ''}" aria-describedby=${desc('symptoms')}>
        <legend>${t('react.symptoms')}</legend>
        ${terms.map((x) => html`<label class="radio ${x.serious ? 'serious-term' : ''}">
          <input type="checkbox" name="sym" value=${x.code} .checked=${v.symptoms.includes(x.code)}
            aria-invalid=${inv('symptoms')} @change=${(ev) => toggle(x.code, ev.target.checked)}>
          <span>${lang() === 'en' ? x.label_en : x.label_vi}</span></label>`)}
        ${fieldErr(s, 'symptoms')}
      </fieldset>
      ${seriousTicked ? html`<p class="card emergency inline" role="note"><strong>${t('react.call_now')}</strong>
        ${t('react.serious_ticked')} <a href="tel:115">${t('react.call_button', {n: '115'})}</a></p>` : nothing}
      ${textarea({name: 'symptom_text', label: t('react.free_text'), value: v.text, errors: s.errors, prefix: 'rr', rows: 2})}
      <div class="field ${s.errors?.onset_at ? 'invalid' : ''}">
        <label for="rr-onset">${t('react.onset')}</label>
        <input id="rr-onset" name="onset" type="datetime-local" .value=${v.onset} max=${nowLocalInput()}
          aria-invalid=${inv('onset_at')} aria-describedby=${desc('onset_at')}>
        ${fieldErr(s, 'onset_at')}
      </div>
      <fieldset class="field radios ${s.errors?.severity ? 'invalid' : ''}" aria-describedby=${desc('severity')}>
        <legend>${t('react.severity')}</legend>
        ${['mild', 'moderate', 'severe'].map((x) => html`<label class="radio">
          <input type="radio" name="severity" value=${x} .checked=${v.severity === x} aria-invalid=${inv('severity')}>
          <span>${t(`react.sev_${x}`)}</span></label>`)}
        ${fieldErr(s, 'severity')}
      </fieldset>
      <div class="field">
        <label for="rr-care">${t('react.care')}</label>
        <select id="rr-care" name="care_sought">
          ${['none', 'self_care', 'pharmacy', 'clinic', 'emergency', 'hospitalised'].map((c) => html`
            <option value=${c} .selected=${v.care === c}>${t(`react.care_${c}`)}</option>`)}
        </select>
      </div>
      ${formError(s.error && !s.errors ? s.error : null)}
      ${busyButton(s.busy, t('react.submit'), t('form.sending'))}
    </form>`;
}

function resultView(ctx, back) {
  const r = ctx.s.result;
  return html`
    <h1>${t('react.sent_title')}</h1>
    ${emergencyPanel(r.what_to_do)}
    <p>${t('react.site_told')}</p>
    ${monitoringCard(ctx)}
    <p><a class="button secondary" href=${back}>${t('react.back_doses')}</a></p>`;
}
