// The profile form, used for one's own profile, a new dependant and editing a dependant.
import {html, nothing} from 'lit-html';
import {t} from '../i18n/index.js';
import {api} from '../api.js';
import {normalizeVnPhone, formatVnPhone} from '../phone.js';
import {ddmmyyyyToIso} from '../format.js';
import {loadProvinces, loadWards, findProvince} from '../places.js';
import {field, select, radios, textarea, formValues, formError, missing, focusFirstError, localMsg} from '../ui.js';
import {busyButton, problemText, relationshipOptions} from './common.js';
import {cameraAvailable, startScanner} from '../scanner.js';

/** Form values from a Person (or empty ones). */
export function valuesFrom(person, defaults = {}) {
  return {
    full_name: person?.full_name ?? '',
    date_of_birth: person?.date_of_birth ?? '',
    sex: person?.sex ?? '',
    national_id: person?.national_id ?? '',
    phone: person?.phone ? formatVnPhone(person.phone) : '',
    province_code: person?.address?.province_code ?? '',
    ward_code: person?.address?.ward_code ?? '',
    line: person?.address?.line ?? '',
    relationship: '',
    ...defaults,
  };
}

/** Set up the form's state on a screen; loads provinces and the chosen province's wards. */
export function initForm(ctx, values) {
  const f = {values, errors: null, error: null, busy: false, provinces: null, wards: null,
             cccd: '', cccdBusy: false, cccdError: null};
  ctx.s.form = f;
  ctx.onLeave(() => f.scanner?.stop());
  loadProvinces().then((list) => { f.provinces = list; ctx.update(); })
    .catch((e) => ctx.announce(problemText(e), {error: true}));
  if (values.province_code) pickProvince(ctx, values.province_code, values.ward_code);
  return f;
}

function pickProvince(ctx, code, wardCode = '') {
  const f = ctx.s.form;
  f.values.province_code = code;
  f.values.ward_code = wardCode;
  f.wards = null;
  ctx.update();
  if (!code) return;
  loadWards(code).then((list) => {
    if (String(f.values.province_code) === String(code)) { f.wards = list; ctx.update(); }
  }).catch((e) => ctx.announce(problemText(e), {error: true}));
}

/** The API body from the form's values; null and local errors when something is off. */
function toBody(v, {withRelationship}) {
  const required = ['full_name', 'date_of_birth', 'sex', 'province_code', 'ward_code'];
  if (withRelationship) required.push('relationship');
  const errors = missing(v, required) ?? {};
  let phone = null;
  if (v.phone) {
    phone = normalizeVnPhone(v.phone);
    if (!phone) errors.phone = [localMsg('signin.phone_invalid')];
  }
  if (v.national_id && !/^\d{12}$/.test(v.national_id)) errors.national_id = [localMsg('person.national_id_invalid')];
  if (Object.keys(errors).length) return {errors};
  const body = {
    full_name: v.full_name,
    date_of_birth: v.date_of_birth,
    sex: v.sex,
    address: {province_code: Number(v.province_code), ward_code: Number(v.ward_code), line: v.line},
  };
  if (v.national_id) body.national_id = v.national_id;
  if (phone) body.phone = phone;
  if (withRelationship) body.relationship = v.relationship;
  return {body};
}

/** The API's field names ("address.ward_code") as the form's ("ward_code"). */
function formErrors(errors) {
  if (!errors) return null;
  const out = {};
  for (const [k, v] of Object.entries(errors)) out[k.replace(/^address\./, '')] = v;
  return out;
}

/**
 * Submit the form: local checks, then `send(body)`; errors land beside their fields.
 * @returns {Promise<any>} what send resolved to, or undefined when it failed
 */
async function submit(ctx, form, {withRelationship, send}) {
  const f = ctx.s.form;
  f.values = {...f.values, ...formValues(form)};
  const {body, errors} = toBody(f.values, {withRelationship});
  if (errors) {
    f.errors = errors;
    f.error = null;
    ctx.announce(t('form.fix_errors'), {error: true});
    ctx.update();
    focusFirstError();
    return undefined;
  }
  f.busy = true; f.errors = null; f.error = null; ctx.update();
  try {
    return await send(body);
  } catch (e) {
    f.error = e;
    f.errors = formErrors(e.errors);
    ctx.announce(problemText(e), {error: true});
    focusFirstError();
    return undefined;
  } finally {
    f.busy = false;
    ctx.update();
  }
}

function toggleScan(ctx) {
  const f = ctx.s.form;
  if (f.scanning) {
    f.scanner?.stop();
    f.scanning = false;
    ctx.update();
    return;
  }
  f.scanning = true;
  ctx.update();
  requestAnimationFrame(() => {
    f.scanner = startScanner(document.getElementById('pf-video'), {
      onResult: (text) => {
        f.scanning = false;
        parseCccd(ctx, text);
      },
      onError: (e) => {
        f.scanning = false;
        ctx.announce(`${t('staff.camera_error')} ${e?.message ?? ''}`, {error: true});
        ctx.update();
      },
    });
  });
}

async function parseCccd(ctx, scanned = null) {
  const f = ctx.s.form;
  const text = scanned ?? document.getElementById('pf-cccd')?.value.trim() ?? '';
  f.cccd = text;
  if (!text) {
    f.cccdError = [localMsg('form.required')];
    ctx.update();
    focusFirstError();
    return;
  }
  f.cccdBusy = true; f.cccdError = null; ctx.update();
  try {
    const card = await api.post('/cccd/parse', {text});
    const sex = /^(f|nữ|nu|female)$/i.test(card.sex ?? '') ? 'F'
      : /^(m|nam|male)$/i.test(card.sex ?? '') ? 'M' : f.values.sex;
    f.values = {
      ...f.values, ...formValues(document.getElementById('person-form')),
      full_name: card.full_name ?? f.values.full_name,
      date_of_birth: ddmmyyyyToIso(card.date_of_birth) ?? f.values.date_of_birth,
      sex,
      national_id: card.national_id ?? f.values.national_id,
      line: card.address ?? f.values.line,
    };
    const province = findProvince(f.provinces, card.address);
    if (province) pickProvince(ctx, province.code);
    ctx.announce(t('person.cccd_filled'));
    requestAnimationFrame(() => document.getElementById('pf-full_name')?.focus());
  } catch (e) {
    f.cccdError = e.errors?.text ?? [problemText(e)];
    ctx.announce(problemText(e), {error: true});
    focusFirstError();
  } finally {
    f.cccdBusy = false;
    ctx.update();
  }
}

/**
 * The form itself.
 * @param ctx the screen context (ctx.s.form from initForm)
 * @param {{withRelationship?: boolean, submitLabel: string, send: (body) => Promise, onDone: (result) => void}} opts
 */
export function personForm(ctx, {withRelationship = false, submitLabel, send, onDone, cccd = true}) {
  const f = ctx.s.form;
  const v = f.values;
  const e = f.errors;
  const onSubmit = async (ev) => {
    ev.preventDefault();
    const result = await submit(ctx, ev.target, {withRelationship, send});
    if (result !== undefined) onDone(result);
  };
  const provinceOptions = (f.provinces ?? []).map((p) => ({value: p.code, label: p.name}));
  const wardOptions = (f.wards ?? []).map((w) => ({value: w.code, label: w.name}));
  return html`
    ${cccd ? html`<details class="card cccd" ?open=${!!f.cccd}>
      <summary>${t('person.cccd_summary')}</summary>
      ${textarea({name: 'cccd', label: t('person.cccd_label'), value: f.cccd, hint: t('person.cccd_hint'),
                  errors: f.cccdError ? {cccd: f.cccdError} : null, prefix: 'pf', required: true})}
      ${busyButton(f.cccdBusy, t('person.cccd_fill'), t('person.cccd_filling'),
                   {cls: 'secondary', type: 'button', onClick: () => parseCccd(ctx)})}
      ${cameraAvailable() ? html`
        <button type="button" class="secondary" aria-pressed=${f.scanning ? 'true' : 'false'}
          @click=${() => toggleScan(ctx)}>${f.scanning ? t('staff.stop_camera') : t('person.cccd_scan')}</button>
        ${f.scanning ? html`<video id="pf-video" class="scan" muted playsinline
          aria-label=${t('staff.camera_label')}></video>` : nothing}` : nothing}
    </details>` : nothing}
    <form id="person-form" novalidate class="card" @submit=${onSubmit}>
      ${field({name: 'full_name', label: t('person.full_name'), value: v.full_name, required: true,
               autocomplete: withRelationship ? 'off' : 'name', errors: e, prefix: 'pf'})}
      ${field({name: 'date_of_birth', label: t('person.date_of_birth'), type: 'date', value: v.date_of_birth,
               required: true, autocomplete: withRelationship ? 'off' : 'bday', errors: e, prefix: 'pf'})}
      ${radios({name: 'sex', legend: t('person.sex'), value: v.sex, required: true, errors: e, prefix: 'pf',
                options: [{value: 'F', label: t('sex.F')}, {value: 'M', label: t('sex.M')}]})}
      ${withRelationship ? select({name: 'relationship', label: t('person.relationship'), value: v.relationship,
                                   required: true, options: relationshipOptions(), errors: e, prefix: 'pf',
                                   placeholder: t('form.choose')}) : nothing}
      ${field({name: 'national_id', label: t('person.national_id'), value: v.national_id, inputmode: 'numeric',
               maxlength: 12, autocomplete: 'off', hint: t('person.national_id_hint'), errors: e, prefix: 'pf'})}
      ${field({name: 'phone', label: t('person.phone'), type: 'tel', value: v.phone, inputmode: 'tel',
               autocomplete: withRelationship ? 'off' : 'tel', errors: e, prefix: 'pf',
               hint: withRelationship ? t('person.phone_hint_dependant') : ''})}
      <fieldset class="group">
        <legend>${t('person.address')}</legend>
        ${select({name: 'province_code', label: t('person.province'), value: v.province_code, required: true,
                  options: provinceOptions, errors: e, prefix: 'pf',
                  placeholder: f.provinces ? t('form.choose') : t('app.loading'),
                  onChange: (code) => {
                    f.values = {...f.values, ...formValues(document.getElementById('person-form'))};
                    pickProvince(ctx, code);
                  }})}
        ${select({name: 'ward_code', label: t('person.ward'), value: v.ward_code, required: true,
                  options: wardOptions, errors: e, prefix: 'pf', disabled: !v.province_code || !f.wards,
                  placeholder: !v.province_code ? t('person.ward_pick_province')
                    : f.wards ? t('form.choose') : t('app.loading')})}
        ${field({name: 'line', label: t('person.line'), value: v.line, autocomplete: withRelationship ? 'off' : 'street-address',
                 hint: t('person.line_hint'), errors: e, prefix: 'pf'})}
      </fieldset>
      ${formError(f.error && !(f.errors && Object.keys(f.errors).length) ? f.error : null)}
      ${busyButton(f.busy, submitLabel, t('form.saving'))}
    </form>`;
}
