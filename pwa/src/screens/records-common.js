// What the dose-record screens share (corrections, a dose's history, backfills, CSV imports): field
// names and values said for people, a problem shown whole (title, detail and every field message,
// which the server writes in the language we ask for by Accept-Language), and uploads whose
// Idempotency-Key follows what is sent (the file's hash), so a resend is replayed, not redone.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api, multipart, sha256Hex} from '../api.js';
import {formatDate, formatDateTime} from '../format.js';
import {sexLabel} from './common.js';

let productsCache = null;

/** The vaccine catalogue, inactive products too (old paper cards name them), loaded once. */
export async function loadProducts() {
  productsCache ??= api.get('/vaccine-products?include_inactive=true').catch((e) => {
    productsCache = null;
    throw e;
  });
  return productsCache;
}

export function productOptions(products) {
  return (products ?? []).map((p) => ({value: p.code, label: productText(products, p.code)}));
}

/** A product code as its name in the current language (the code itself when unknown). */
export function productText(products, code) {
  const p = (products ?? []).find((x) => x.code === code);
  if (!p) return code ?? '';
  return (lang() === 'en' ? p.name_en : p.name_vi) || p.name_vi || p.code;
}

const FIELDS = ['product_code', 'lot_number', 'administered_on', 'site_name', 'void', 'status', 'dose_number',
                'series', 'full_name', 'date_of_birth', 'sex', 'national_id', 'header', 'file', 'row', 'person',
                'evidence', 'reason', 'unit_id', 'note'];

/** A record's field (or a CSV column) as a label; unknown names are shown as they are. */
export function fieldLabel(name) {
  const base = String(name).replace(/^changes\./, '');
  return FIELDS.includes(base) ? t(`rec.field_${base}`) : base;
}

/** A value of a record's field, for people: dates, vaccine names, sex, statuses. */
export function valueText(field, value, products) {
  if (value === null || value === undefined || value === '') return '—';
  switch (field) {
    case 'administered_on':
    case 'date_of_birth': return formatDate(String(value), lang());
    case 'product_code': return productText(products, value);
    case 'sex': return sexLabel(value);
    case 'void': return value ? t('rec.void_yes') : '—';
    case 'status': return doseStatusText(value);
    case 'series': return value === 'booster' ? t('vax.dose_booster') : t('rec.series_primary');
    default: return String(value);
  }
}

const DOSE_STATUSES = ['valid', 'corrected', 'voided', 'pending_approval'];

export function doseStatusText(status) {
  return DOSE_STATUSES.includes(status) ? t(`rec.dose_status_${status}`) : String(status);
}

export function doseStatusBadge(status) {
  return html`<span class="badge dose-${status}">${doseStatusText(status)}</span>`;
}

const REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'pending_approval'];

/** A correction request's or an import's status as a badge. */
export function requestStatusBadge(status) {
  const known = REQUEST_STATUSES.includes(status);
  return html`<span class="badge req-${status}">${known ? t(`rec.status_${status}`) : status}</span>`;
}

/**
 * A refused request shown whole where the person acts: the problem's title and detail and every
 * field message (fields the form shows itself are marked there too). Its heading takes the focus.
 */
export function problemBox(e, {id = 'problem'} = {}) {
  if (!e) return nothing;
  const fields = Object.entries(e.errors ?? {}).filter(([k]) => k !== '_schema');
  const general = e.errors?._schema ?? [];
  return html`<section class="card problem" id=${id} aria-labelledby="${id}-h">
    <h2 id="${id}-h" tabindex="-1">${e.title || t('error.unexpected')}</h2>
    ${e.detail && e.detail !== e.title ? html`<p>${e.detail}</p>` : nothing}
    ${general.map((m) => html`<p>${m}</p>`)}
    ${fields.length ? html`<ul class="bullets">${fields.map(([k, msgs]) => html`<li>
      <strong>${fieldLabel(k)}:</strong> ${msgs.join(' ')}</li>`)}</ul>` : nothing}
    ${e.requestId ? html`<p class="meta">${t('rec.request_id', {id: e.requestId})}</p>` : nothing}
  </section>`;
}

export function focusProblem(id = 'problem') {
  requestAnimationFrame(() => document.getElementById(`${id}-h`)?.focus());
}

/** Field messages from a problem under the names a form uses ("changes.lot_number" → "lot_number"). */
export function formErrors(e) {
  if (!e?.errors) return null;
  const out = {};
  for (const [k, v] of Object.entries(e.errors)) out[k.replace(/^changes\./, '')] = v;
  return Object.keys(out).length ? out : null;
}

/** Rows of "what it said → what it says": [{field, before, after}] as a small table. */
export function changesTable(rows, products, {beforeLabel = t('rec.before'), afterLabel = t('rec.after'),
                                             caption = ''} = {}) {
  if (!rows.length) return nothing;
  return html`<div class="stats-scroll"><table class="figs changes">
    ${caption ? html`<caption class="visually-hidden">${caption}</caption>` : nothing}
    <thead><tr><th scope="col">${t('rec.field')}</th><th scope="col">${beforeLabel}</th>
      <th scope="col">${afterLabel}</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr>
      <th scope="row">${fieldLabel(r.field)}</th>
      <td class="old">${valueText(r.field, r.before, products)}</td>
      <td class="new">${valueText(r.field, r.after, products)}</td></tr>`)}</tbody>
  </table></div>`;
}

/** A correction request's rows: what the record said when asked, what was asked (or applied). */
export function correctionRows(c) {
  const asked = c.changes ?? {};
  if (asked.void) {
    return [{field: 'status', before: c.applied?.before?.status ?? c.before?.status,
             after: c.applied?.after?.status ?? 'voided'}];
  }
  const before = c.applied?.before ?? c.before ?? {};
  const after = c.applied?.after ?? asked;
  return Object.keys(asked).map((field) => ({field, before: before[field], after: after[field]}));
}

/**
 * A file picker in the page's language: the native input stays focusable (Space opens the picker;
 * its label is the field's label) but is drawn as our own button, and the files chosen are said
 * in a line it is described by (Chromium would say "Choose Files" in the browser's language).
 */
export function fileField({id, name, label, hint, accept, multiple = false, errors = null, files = [], onChange,
                           choose, none, chosen}) {
  const e = errors?.map((m) => (String(m).startsWith('@') ? t(m.slice(1)) : m)) ?? null;
  const described = [`${id}-hint`, `${id}-chosen`, e ? `${id}-err` : ''].filter(Boolean).join(' ');
  return html`<div class="field file-field ${e ? 'invalid' : ''}">
    <label for=${id}>${label}</label>
    <p class="hint" id="${id}-hint">${hint}</p>
    <input id=${id} name=${name} type="file" class="file-input" accept=${accept} ?multiple=${multiple}
      aria-describedby=${described} aria-invalid=${e ? 'true' : 'false'} @change=${(ev) => onChange(ev.target)}>
    <label for=${id} class="button secondary file-button" aria-hidden="true">${choose}</label>
    <p class="file-chosen" id="${id}-chosen">${files.length ? chosen(files) : none}</p>
    ${e ? html`<p class="field-error" id="${id}-err">${e.join(' ')}</p>` : nothing}
  </div>`;
}

export function when(iso) {
  return formatDateTime(iso, lang());
}

/**
 * Upload parts (text and files) as multipart/form-data with a key that belongs to what is sent:
 * the same fields and the same file bytes give the same key and the same boundary, so pressing
 * the button again after a network error replays the first answer instead of acting twice.
 */
export async function uploadOnce(path, intent, fields, files) {
  const hashes = await Promise.all(files.map(([, f]) => sha256Hex(f)));
  const key = intent.keyFor({path, fields, files: hashes});
  const form = multipart([...Object.entries(fields), ...files], `ssk-${key}`);
  return api.upload(path, form, {idempotencyKey: key});
}
