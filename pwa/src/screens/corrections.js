// Corrections, for yourself or a dependant: ask to correct a dose record or your personal details
// with a photo of the paper card as evidence, follow what was decided (old and new values), and
// read a dose's history (every change keeps what the record said before).
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {field, select, radios, textarea, checkbox, formValues, focusFirstError, localMsg} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {personFor, personPicker, vaxHref, doseLabel} from './vax-common.js';
import {loadProducts, productOptions, productText, valueText, doseStatusBadge, requestStatusBadge,
        changesTable, correctionRows, problemBox, focusProblem, formErrors, uploadOnce, fileField,
        when} from './records-common.js';

const COUNTED = ['valid', 'corrected'];
const DOSE_FIELDS = ['product_code', 'lot_number', 'administered_on', 'site_name'];
const PERSON_FIELDS = ['full_name', 'date_of_birth', 'sex', 'national_id'];
const MAX_PHOTOS = 3;

function doseName(products, d) {
  return (lang() === 'en' ? d.product_name_en : d.product_name_vi) || productText(products, d.product_code);
}

function doseNumber(d) {
  return d.series === 'booster' ? doseLabel('booster') : doseLabel(d.dose_number);
}

/** "Pfizer · dose 1 · 10/08/2021": how a dose is named in lists and selects. */
function doseLine(products, d) {
  return `${doseName(products, d)} · ${doseNumber(d)} · ${valueText('administered_on', d.administered_on)}`;
}

// ---------------------------------------------------------------- #/corrections

export const corrections = {
  title: 'corr.title',

  enter(ctx) {
    const person = personFor(ctx);
    const doseId = ctx.query.get('dose') ?? '';
    const kind = ctx.query.get('kind') === 'person' ? 'person' : 'dose';
    Object.assign(ctx.s, {
      person, doses: null, list: null, products: null,
      form: {kind, dose_id: doseId, values: {}, files: [], previews: [], errors: null, error: null,
             busy: false, intent: new Intent()},
    });
    ctx.onLeave(() => ctx.s.form.previews.forEach((u) => URL.revokeObjectURL(u)));
    if (kind === 'person') ctx.s.form.values = personValues(person);
    load(ctx);
  },

  view(ctx) {
    const s = ctx.s;
    const p = s.person;
    if (!p) return html`<h1>${t('corr.title')}</h1><p>${t('home.no_profile')}</p>`;
    return html`
      <h1>${p.relation === 'self' ? t('corr.title') : t('corr.title_of', {name: p.full_name})}</h1>
      ${personPicker(ctx, p, '/corrections')}
      <p class="lead">${t('corr.lead')}</p>
      ${requestForm(ctx)}
      ${listSection(ctx)}
      <p><a class="button secondary" href=${vaxHref('/doses', {person: p.id})}>${t('corr.back_doses')}</a></p>`;
  },
};

async function load(ctx) {
  const s = ctx.s;
  if (!s.person) return;
  const id = encodeURIComponent(s.person.id);
  try {
    const [doses, list, products] = await Promise.all([
      api.get(`/people/${id}/doses`), api.get(`/people/${id}/corrections`), loadProducts()]);
    s.doses = (doses.doses ?? []).filter((d) => COUNTED.includes(d.status));
    s.list = list;
    s.products = products;
    const f = s.form;
    if (f.kind === 'dose' && f.dose_id && !Object.keys(f.values).length) pickDose(ctx, f.dose_id);
  } catch (e) {
    s.doses ??= [];
    s.list ??= [];
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

function personValues(p) {
  return {full_name: p?.full_name ?? '', date_of_birth: p?.date_of_birth ?? '', sex: p?.sex ?? '',
          national_id: p?.national_id ?? ''};
}

function doseValues(d) {
  return {product_code: d?.product_code ?? '', lot_number: d?.lot_number ?? '',
          administered_on: d?.administered_on ?? '', site_name: d?.site_name ?? '', void: false};
}

function pickDose(ctx, id) {
  const f = ctx.s.form;
  f.dose_id = id;
  const reason = f.values.reason ?? '';
  f.values = {...doseValues(ctx.s.doses?.find((d) => d.id === id)), reason};
  f.errors = null;
  ctx.update();
}

function pickKind(ctx, kind) {
  const f = ctx.s.form;
  if (f.kind === kind) return;
  const reason = f.values.reason ?? '';
  f.kind = kind;
  f.errors = null;
  f.error = null;
  f.values = kind === 'person' ? {...personValues(ctx.s.person), reason}
    : {...doseValues(ctx.s.doses?.find((d) => d.id === f.dose_id)), reason};
  ctx.update();
}

function pickFiles(ctx, input) {
  const f = ctx.s.form;
  f.previews.forEach((u) => URL.revokeObjectURL(u));
  f.files = [...input.files];
  f.previews = f.files.map((file) => URL.createObjectURL(file));
  if (f.errors?.evidence) f.errors = {...f.errors, evidence: undefined};
  ctx.update();
}

/** What differs from the record: the `changes` the API expects (null when nothing does). */
function changesOf(ctx) {
  const f = ctx.s.form;
  const v = f.values;
  if (f.kind === 'dose') {
    if (v.void) return {void: true};
    const d = ctx.s.doses?.find((x) => x.id === f.dose_id);
    const out = {};
    for (const k of DOSE_FIELDS) if (v[k] && v[k] !== (d?.[k] ?? '')) out[k] = v[k];
    return Object.keys(out).length ? out : null;
  }
  const p = ctx.s.person;
  const out = {};
  for (const k of PERSON_FIELDS) if (v[k] && v[k] !== (p?.[k] ?? '')) out[k] = v[k];
  return Object.keys(out).length ? out : null;
}

async function submit(ctx, ev) {
  ev.preventDefault();
  const s = ctx.s;
  const f = s.form;
  f.values = {...f.values, ...formValues(ev.target)};
  delete f.values.evidence;
  const errors = {};
  if (f.kind === 'dose' && !f.dose_id) errors.dose_id = [localMsg('corr.pick_dose')];
  const changes = errors.dose_id ? null : changesOf(ctx);
  if (!errors.dose_id && !changes) errors[f.kind === 'dose' ? 'lot_number' : 'full_name'] = [localMsg('corr.no_change')];
  if ((f.values.reason ?? '').length < 3) errors.reason = [localMsg('corr.reason_needed')];
  if (!f.files.length || f.files.length > MAX_PHOTOS) errors.evidence = [localMsg('corr.photos_needed')];
  if (Object.keys(errors).length) {
    f.errors = errors; f.error = null;
    ctx.announce(t('form.fix_errors'), {error: true});
    ctx.update(); focusFirstError();
    return;
  }
  const payload = {kind: f.kind, changes, reason: f.values.reason,
                   ...(f.kind === 'dose' ? {dose_record_id: f.dose_id} : {})};
  f.busy = true; f.errors = null; f.error = null; ctx.update();
  try {
    await uploadOnce(`/people/${encodeURIComponent(s.person.id)}/corrections`, f.intent,
                     {payload: JSON.stringify(payload)}, f.files.map((file) => ['evidence', file]));
    f.intent.done();
    document.getElementById('cr-evidence').value = '';
    f.previews.forEach((u) => URL.revokeObjectURL(u));
    Object.assign(f, {files: [], previews: [], dose_id: '', values: f.kind === 'person' ? personValues(s.person) : {}});
    ctx.announce(t('corr.sent'));
    s.list = await api.get(`/people/${encodeURIComponent(s.person.id)}/corrections`);
    ctx.update();
    requestAnimationFrame(() => document.getElementById('corr-list-h')?.focus());
  } catch (e) {
    f.error = e; f.errors = formErrors(e);
    ctx.announce(problemText(e), {error: true});
    ctx.update();
    focusProblem('corr-problem');
  } finally {
    f.busy = false; ctx.update();
  }
}

function requestForm(ctx) {
  const s = ctx.s;
  const f = s.form;
  const v = f.values;
  const e = f.errors;
  const doseOptions = (s.doses ?? []).map((d) => ({value: d.id, label: doseLine(s.products, d)}));
  // Keep what is typed in the state (a re-render must not lose it); a change may show other fields.
  const keep = (ev) => {
    f.values = {...f.values, ...formValues(ev.currentTarget)};
    delete f.values.evidence;
    if (ev.type === 'change') ctx.update();
  };
  return html`<section class="section" aria-labelledby="corr-form-h">
    <h2 id="corr-form-h">${t('corr.ask')}</h2>
    <form class="card" novalidate id="corr-form" @submit=${(ev) => submit(ctx, ev)} @input=${keep} @change=${keep}>
      <fieldset class="field radios">
        <legend>${t('corr.what')}</legend>
        ${['dose', 'person'].map((k) => html`<label class="radio">
          <input type="radio" name="kind" value=${k} .checked=${f.kind === k} @change=${() => pickKind(ctx, k)}>
          <span>${t(`corr.kind_${k}`)}</span></label>`)}
      </fieldset>
      ${f.kind === 'dose' ? doseFields(ctx, doseOptions, v, e) : personFields(ctx, v, e)}
      ${textarea({name: 'reason', label: t('corr.reason'), value: v.reason ?? '', required: true, rows: 3,
                  hint: t('corr.reason_hint'), errors: e, prefix: 'cr'})}
      ${photoField(ctx)}
      ${problemBox(f.error, {id: 'corr-problem'})}
      ${busyButton(f.busy, t('corr.send'), t('form.sending'))}
    </form>
  </section>`;
}

function doseFields(ctx, doseOptions, v, e) {
  const s = ctx.s;
  const f = s.form;
  if (s.doses && !s.doses.length) return html`<p class="card attention">${t('corr.no_doses')}</p>`;
  return html`
    ${select({name: 'dose_id', label: t('corr.which_dose'), value: f.dose_id, required: true, errors: e, prefix: 'cr',
              options: doseOptions, placeholder: s.doses ? t('form.choose') : t('app.loading'),
              onChange: (id) => pickDose(ctx, id)})}
    ${f.dose_id ? html`
      ${checkbox({name: 'void', label: t('corr.void'), checked: !!v.void, hint: t('corr.void_hint'), prefix: 'cr'})}
      ${v.void ? nothing : html`<fieldset class="group">
        <legend>${t('corr.right_values')}</legend>
        <p class="hint">${t('corr.right_values_hint')}</p>
        ${select({name: 'product_code', label: t('rec.field_product_code'), value: v.product_code, errors: e,
                  prefix: 'cr', options: productOptions(s.products), placeholder: t('form.choose')})}
        ${field({name: 'lot_number', label: t('rec.field_lot_number'), value: v.lot_number, errors: e, prefix: 'cr',
                 autocomplete: 'off', maxlength: 40})}
        ${field({name: 'administered_on', label: t('rec.field_administered_on'), type: 'date',
                 value: v.administered_on, errors: e, prefix: 'cr'})}
        ${field({name: 'site_name', label: t('rec.field_site_name'), value: v.site_name, errors: e, prefix: 'cr',
                 autocomplete: 'off', maxlength: 200})}
      </fieldset>`}` : nothing}`;
}

function personFields(ctx, v, e) {
  return html`<fieldset class="group">
    <legend>${t('corr.right_values')}</legend>
    <p class="hint">${t('corr.right_values_hint')}</p>
    ${field({name: 'full_name', label: t('rec.field_full_name'), value: v.full_name, errors: e, prefix: 'cr',
             autocomplete: 'off'})}
    ${field({name: 'date_of_birth', label: t('rec.field_date_of_birth'), type: 'date', value: v.date_of_birth,
             errors: e, prefix: 'cr'})}
    ${radios({name: 'sex', legend: t('rec.field_sex'), value: v.sex, errors: e, prefix: 'cr',
              options: [{value: 'F', label: t('sex.F')}, {value: 'M', label: t('sex.M')}]})}
    ${field({name: 'national_id', label: t('rec.field_national_id'), value: v.national_id, errors: e, prefix: 'cr',
             inputmode: 'numeric', autocomplete: 'off', maxlength: 12})}
  </fieldset>`;
}

function photoField(ctx) {
  const f = ctx.s.form;
  return html`${fileField({
    id: 'cr-evidence', name: 'evidence', label: t('corr.photos'), hint: t('corr.photos_hint'), multiple: true,
    accept: 'image/jpeg,image/png,image/webp', errors: f.errors?.evidence, files: f.files,
    onChange: (input) => pickFiles(ctx, input), choose: t('corr.photos_choose'), none: t('corr.photos_none'),
    chosen: (files) => t('corr.photos_chosen', {n: files.length, names: files.map((x) => x.name).join(', ')})})}
    ${f.previews.length ? html`<ul class="thumbs">${f.previews.map((u, i) => html`<li>
      <img src=${u} alt=${t('corr.photo_n', {n: i + 1, name: f.files[i]?.name ?? ''})}></li>`)}</ul>` : nothing}`;
}

function listSection(ctx) {
  const s = ctx.s;
  return html`<section class="section" aria-labelledby="corr-list-h">
    <h2 id="corr-list-h" tabindex="-1">${t('corr.mine')}</h2>
    ${s.list === null ? html`<p class="loading">${t('app.loading')}</p>`
      : s.list.length === 0 ? html`<p>${t('corr.none')}</p>`
      : html`<ul class="list corrections">${s.list.map((c) => requestCard(ctx, c))}</ul>`}
  </section>`;
}

function requestCard(ctx, c) {
  const s = ctx.s;
  const dose = c.dose_record_id ? (s.doses ?? []).find((d) => d.id === c.dose_record_id) : null;
  const what = c.kind === 'person' ? t('corr.kind_person')
    : dose ? doseLine(s.products, dose) : t('corr.kind_dose');
  const done = c.status !== 'pending';
  return html`<li class="card correction" id="corr-${c.id}">
    <h3>${what}</h3>
    <p class="status-line">${requestStatusBadge(c.status)}</p>
    <p class="meta">${t('corr.asked_at', {at: when(c.requested_at)})}${done && c.decided_at
      ? html`<br>${t('corr.decided_at', {at: when(c.decided_at)})}` : nothing}</p>
    ${changesTable(correctionRows(c), s.products, {caption: what,
      afterLabel: c.status === 'approved' ? t('rec.after') : t('corr.asked')})}
    <p><strong>${t('corr.reason')}:</strong> ${c.reason}</p>
    ${c.decision_note ? html`<p><strong>${t('corr.decision_note')}:</strong> ${c.decision_note}</p>` : nothing}
    <p class="hint">${t(`corr.status_help_${c.status}`)}</p>
    ${c.dose_record_id ? html`<a class="button secondary" href=${vaxHref(`/doses/${encodeURIComponent(c.dose_record_id)}/history`,
      {person: s.person.id})}>${t('corr.see_history')}</a>` : nothing}
  </li>`;
}

// ---------------------------------------------------------------- #/doses/:id/history

export const doseHistory = {
  title: 'hist.title',

  enter(ctx) {
    Object.assign(ctx.s, {person: personFor(ctx), data: null, products: null});
    loadHistory(ctx);
  },

  view(ctx) {
    const s = ctx.s;
    const p = s.person;
    if (!p) return html`<h1>${t('hist.title')}</h1><p>${t('home.no_profile')}</p>`;
    const d = s.data?.dose;
    return html`
      <h1>${t('hist.title')}</h1>
      ${p.relation === 'self' ? nothing : html`<p class="lead">${p.full_name}</p>`}
      ${d ? doseCard(ctx, d) : html`<p class="loading">${t('app.loading')}</p>`}
      ${s.data ? changesSection(ctx) : nothing}
      <div class="actions stack">
        ${d && COUNTED.includes(d.status) ? html`<a class="button primary" href=${vaxHref('/corrections',
          {person: p.id, dose: d.id})}>${t('hist.ask_correction')}</a>` : nothing}
        <a class="button secondary" href=${vaxHref('/doses', {person: p.id})}>${t('corr.back_doses')}</a>
      </div>`;
  },
};

async function loadHistory(ctx) {
  const s = ctx.s;
  if (!s.person) return;
  try {
    const [data, products] = await Promise.all([
      api.get(`/people/${encodeURIComponent(s.person.id)}/doses/${encodeURIComponent(ctx.params.id)}/history`),
      loadProducts()]);
    s.data = data;
    s.products = products;
  } catch (e) {
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

function doseCard(ctx, d) {
  const products = ctx.s.products;
  return html`<section class="card" aria-labelledby="hist-dose-h">
    <h2 id="hist-dose-h">${productText(products, d.product_code)} · ${doseNumber(d)}</h2>
    <p class="status-line">${doseStatusBadge(d.status)}</p>
    <dl class="facts">
      <div><dt>${t('rec.field_administered_on')}</dt><dd>${valueText('administered_on', d.administered_on)}</dd></div>
      <div><dt>${t('rec.field_lot_number')}</dt><dd>${valueText('lot_number', d.lot_number)}</dd></div>
      <div><dt>${t('rec.field_site_name')}</dt><dd>${valueText('site_name', d.site_name)}</dd></div>
      <div><dt>${t('hist.source')}</dt><dd>${t(`hist.source_${d.source}`)}</dd></div>
      ${d.void_reason ? html`<div><dt>${t('hist.void_reason')}</dt><dd>${d.void_reason}</dd></div>` : nothing}
    </dl>
  </section>`;
}

const CHANGES = ['corrected', 'voided', 'approved', 'rejected', 'renumbered'];

function changesSection(ctx) {
  const s = ctx.s;
  const list = s.data.changes ?? [];
  return html`<section class="section" aria-labelledby="hist-ch-h">
    <h2 id="hist-ch-h">${t('hist.changes')}</h2>
    <p class="hint">${t('hist.recorded', {at: when(s.data.dose.created_at)})}</p>
    ${list.length === 0 ? html`<p>${t('hist.none')}</p>` : html`<ol class="list history">
      ${list.map((h) => {
        const keys = [...new Set([...Object.keys(h.before ?? {}), ...Object.keys(h.after ?? {})])];
        const rows = keys.map((field) => ({field, before: h.before?.[field], after: h.after?.[field]}));
        const label = CHANGES.includes(h.change) ? t(`hist.change_${h.change}`) : h.change;
        return html`<li class="card change">
          <h3>${label}</h3>
          <p class="meta">${when(h.changed_at)}</p>
          ${changesTable(rows, s.products, {caption: `${label} ${when(h.changed_at)}`})}
          ${h.reason ? html`<p><strong>${t('hist.reason')}:</strong> ${h.reason}</p>` : nothing}
        </li>`;
      })}</ol>`}
  </section>`;
}
