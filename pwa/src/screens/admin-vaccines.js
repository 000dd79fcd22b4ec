// National administrator: the vaccine catalogue with each product's dose-rule versions, and
// adding a new version of a rule from its effective date (the one it replaces is end-dated by
// the server; history is never rewritten).
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {loadProvinces} from '../places.js';
import {formatDate} from '../format.js';
import {field, select, radios, formValues, formError, missing, focusFirstError, localMsg} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {localToday} from './booking-util.js';
import {ADMIN, staffGate, productName, shortField} from './staff-common.js';

const NUMBERS = ['min_interval_days', 'recommended_interval_days', 'max_interval_days', 'min_age_days', 'max_age_days'];
const FIELDS = ['product_code', 'dose', 'province_code', 'effective_from', 'allowed_previous',
                'source', ...NUMBERS];

export default {
  title: 'catalog.title',

  enter(ctx) {
    Object.assign(ctx.s, {
      products: null, rules: null, provinces: null,
      form: {values: {product_code: '', dose: '1', where: 'national', province_code: '', effective_from: localToday(),
                      min_interval_days: '', recommended_interval_days: '', max_interval_days: '',
                      min_age_days: '', max_age_days: '', allowed: [], source: ''},
             errors: null, error: null, busy: false, intent: new Intent()},
    });
    if (staffGate(ctx, ADMIN, 'catalog.title')) return;
    loadProvinces().then((l) => { ctx.s.provinces = l; ctx.update(); }).catch(() => {});
    load(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, ADMIN, 'catalog.title');
    if (gate) return gate;
    return html`
      <h1>${t('catalog.title')}</h1>
      ${productsSection(ctx)}
      ${ruleForm(ctx)}`;
  },
};

async function load(ctx) {
  const s = ctx.s;
  try {
    const [products, rules] = await Promise.all([api.get('/vaccine-products?include_inactive=true'),
                                                 api.get('/dose-rules')]);
    Object.assign(s, {products, rules});
    s.form.values.product_code ||= products.find((p) => p.active)?.code ?? '';
  } catch (e) {
    s.products ??= [];
    s.rules ??= [];
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

const isSet = (n) => n !== null && n !== undefined;

/**
 * "21 ngày" for intervals; ages also in whole years ("6574 ngày (18 tuổi)"). The catalogue stores
 * n years as n*365 + n//4 days, a fraction of a day short of n*365.25: hence the + 1.
 */
function days(n, {age = false} = {}) {
  const text = t('catalog.days', {n});
  return age && n >= 365 ? `${text} (${t('catalog.years', {n: Math.floor((n + 1) / 365.25)})})` : text;
}

/** "tối thiểu 56 ngày · tối đa 84 ngày", leaving out the limits a rule does not set. */
function limits(min, rec, max, {age = false} = {}) {
  return [[min, 'catalog.min'], [rec, 'catalog.recommended'], [max, 'catalog.max']]
    .filter(([n]) => isSet(n)).map(([n, key]) => `${t(key).toLowerCase()} ${days(n, {age})}`).join(' · ');
}

function whereLabel(ctx, r) {
  if (r.province_code) return ctx.s.provinces?.find((p) => p.code === r.province_code)?.name ?? r.jurisdiction;
  if (r.unit_id) return t('catalog.where_unit');
  return t('catalog.national');
}

function ruleRow(ctx, r) {
  const today = localToday();
  const inForce = r.effective_from <= today && (!r.effective_to || r.effective_to > today);
  const dose = r.dose === 'booster' ? t('vax.dose_booster') : t('vax.dose_n', {n: r.dose});
  return html`<li class="rule ${inForce ? 'in-force' : ''}">
    <p class="rule-head"><strong>${dose}</strong> · ${whereLabel(ctx, r)}
      ${inForce ? html`<span class="badge">${t('catalog.in_force')}</span>` : nothing}</p>
    <p class="meta">${r.effective_to
      ? t('catalog.from_to', {from: formatDate(r.effective_from, lang()), to: formatDate(r.effective_to, lang())})
      : t('catalog.from', {from: formatDate(r.effective_from, lang())})}</p>
    ${[r.min_interval_days, r.recommended_interval_days, r.max_interval_days].some(isSet)
      ? html`<p class="meta">${t('catalog.interval', {limits: limits(r.min_interval_days, r.recommended_interval_days,
                                                                     r.max_interval_days)})}</p>` : nothing}
    ${isSet(r.min_age_days) || isSet(r.max_age_days)
      ? html`<p class="meta">${t('catalog.age', {limits: limits(r.min_age_days, null, r.max_age_days, {age: true})})}</p>`
      : nothing}
    ${r.allowed_previous ? html`<p class="meta">${t('catalog.after', {list: r.allowed_previous.join(', ')})}</p>` : nothing}
    ${r.source ? html`<p class="meta source">${r.source}</p>` : nothing}
  </li>`;
}

function productsSection(ctx) {
  const s = ctx.s;
  if (s.products === null) return html`<p class="loading">${t('app.loading')}</p>`;
  return html`<section class="section" aria-labelledby="cp-h">
    <h2 id="cp-h">${t('catalog.products', {n: s.products.length})}</h2>
    <ul class="list products">${s.products.map((p) => {
      const rules = (s.rules ?? []).filter((r) => r.product_code === p.code);
      return html`<li class="card product">
        <h3>${productName(p)} ${p.active ? nothing : html`<span class="badge off">${t('catalog.inactive')}</span>`}</h3>
        <p class="meta">${p.code} · ${t('catalog.series', {n: p.doses_in_primary_series})}
          ${p.eu_mp ? html` · EU ${p.eu_mp}` : nothing}${p.cvx ? html` · CVX ${p.cvx}` : nothing}</p>
        <details>
          <summary>${t('catalog.rules', {n: rules.length})}</summary>
          ${rules.length ? html`<ul class="rules">${rules.map((r) => ruleRow(ctx, r))}</ul>`
            : html`<p>${t('catalog.no_rules')}</p>`}
        </details>
      </li>`;
    })}</ul>
  </section>`;
}

function toBody(v) {
  const errors = missing(v, ['product_code', 'dose', 'effective_from']) ?? {};
  if (v.where === 'province' && !v.province_code) errors.province_code = [localMsg('form.required')];
  const body = {product_code: v.product_code, dose: v.dose, effective_from: v.effective_from,
                province_code: v.where === 'province' ? Number(v.province_code) : null, source: v.source ?? ''};
  for (const name of NUMBERS) {
    const raw = String(v[name] ?? '').trim();
    if (!raw) { body[name] = null; continue; }
    if (!/^\d+$/.test(raw)) errors[name] = [localMsg('catalog.whole_days')];
    body[name] = Number(raw);
  }
  body.allowed_previous = v.allowed.length ? v.allowed : null;
  return Object.keys(errors).length ? {errors} : {body};
}

function ruleForm(ctx) {
  const s = ctx.s;
  const f = s.form;
  const v = f.values;
  const product = s.products?.find((p) => p.code === v.product_code);
  const doses = [...Array(product?.doses_in_primary_series ?? 1).keys()].map((i) => String(i + 1)).concat(['booster']);
  const keep = () => {
    const form = document.getElementById('rule-form');
    const values = formValues(form);
    values.allowed = [...form.querySelectorAll('input[name=allowed_previous]:checked')].map((el) => el.value);
    delete values.allowed_previous;
    f.values = {...f.values, ...values};
  };
  const submit = async (ev) => {
    ev.preventDefault();
    keep();
    const {body, errors} = toBody(f.values);
    if (errors) {
      f.errors = errors; f.error = null;
      ctx.announce(t('form.fix_errors'), {error: true});
      ctx.update(); focusFirstError();
      return;
    }
    f.busy = true; f.errors = null; f.error = null; ctx.update();
    try {
      const rule = await api.post('/dose-rules', body, {idempotencyKey: f.intent.keyFor(body)});
      f.intent.done();
      ctx.announce(t('catalog.rule_added', {product: productName(product),
                                            dose: rule.dose === 'booster' ? t('vax.dose_booster') : t('vax.dose_n', {n: rule.dose}),
                                            from: formatDate(rule.effective_from, lang())}));
      await load(ctx);
    } catch (e) {
      f.error = e;
      f.errors = e.errors;
      ctx.announce(problemText(e), {error: true});
      focusFirstError();
    } finally {
      f.busy = false; ctx.update();
    }
  };
  return html`<form class="card" id="rule-form" novalidate @submit=${submit} aria-labelledby="rf-h">
    <h2 id="rf-h">${t('catalog.add_rule')}</h2>
    <p class="hint">${t('catalog.add_rule_lead')}</p>
    ${select({name: 'product_code', label: t('book.vaccine'), value: v.product_code, required: true, errors: f.errors,
              prefix: 'rf', placeholder: s.products ? t('form.choose') : t('app.loading'),
              options: (s.products ?? []).map((p) => ({value: p.code, label: productName(p)})),
              onChange: () => { keep(); f.values.dose = '1'; ctx.update(); }})}
    ${select({name: 'dose', label: t('catalog.dose'), value: v.dose, required: true, errors: f.errors, prefix: 'rf',
              options: doses.map((d) => ({value: d, label: d === 'booster' ? t('vax.dose_booster') : t('vax.dose_n', {n: d})})),
              placeholder: t('form.choose')})}
    ${radios({name: 'where', legend: t('catalog.jurisdiction'), value: v.where, required: true, prefix: 'rf',
              options: [{value: 'national', label: t('catalog.national')}, {value: 'province', label: t('catalog.province')}]})}
    ${select({name: 'province_code', label: t('person.province'), value: v.province_code, errors: f.errors, prefix: 'rf',
              hint: t('catalog.province_hint'),
              options: (s.provinces ?? []).map((p) => ({value: p.code, label: p.name})), placeholder: t('form.choose')})}
    ${field({name: 'effective_from', label: t('catalog.effective_from'), type: 'date', value: v.effective_from,
             required: true, errors: f.errors, prefix: 'rf', hint: t('catalog.effective_hint')})}
    <fieldset class="group" aria-describedby="rf-int-hint">
      <legend>${t('catalog.intervals_legend')}</legend>
      <p class="hint" id="rf-int-hint">${t('catalog.intervals_hint')}</p>
      <div class="two">
        ${shortField({name: 'min_interval_days', label: t('catalog.min'), value: v.min_interval_days, errors: f.errors,
                 prefix: 'rf'})}
        ${shortField({name: 'recommended_interval_days', label: t('catalog.recommended'), value: v.recommended_interval_days,
                 errors: f.errors, prefix: 'rf'})}
        ${shortField({name: 'max_interval_days', label: t('catalog.max'), value: v.max_interval_days, errors: f.errors,
                 prefix: 'rf'})}
      </div>
    </fieldset>
    <fieldset class="group" aria-describedby="rf-age-hint">
      <legend>${t('catalog.ages_legend')}</legend>
      <p class="hint" id="rf-age-hint">${t('catalog.ages_hint')}</p>
      <div class="two">
        ${shortField({name: 'min_age_days', label: t('catalog.min'), value: v.min_age_days, errors: f.errors, prefix: 'rf'})}
        ${shortField({name: 'max_age_days', label: t('catalog.max'), value: v.max_age_days, errors: f.errors, prefix: 'rf'})}
      </div>
    </fieldset>
    <fieldset class="field group checks ${f.errors?.allowed_previous ? 'invalid' : ''}" aria-describedby="rf-allowed-hint">
      <legend>${t('catalog.allowed_previous')}</legend>
      <p class="hint" id="rf-allowed-hint">${t('catalog.allowed_hint')}</p>
      ${(s.products ?? []).map((p) => html`<label class="radio"><input type="checkbox" name="allowed_previous"
          value=${p.code} .checked=${v.allowed.includes(p.code)}><span>${productName(p)}</span></label>`)}
      ${f.errors?.allowed_previous ? html`<p class="field-error">${f.errors.allowed_previous.join(' ')}</p>` : nothing}
    </fieldset>
    ${field({name: 'source', label: t('catalog.source'), value: v.source, errors: f.errors, prefix: 'rf',
             hint: t('catalog.source_hint'), autocomplete: 'off'})}
    ${formError(f.error && !(f.errors && Object.keys(f.errors).some((k) => FIELDS.includes(k))) ? f.error : null)}
    ${busyButton(f.busy, t('catalog.add_rule_submit'), t('form.saving'))}
  </form>`;
}
