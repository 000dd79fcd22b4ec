// Safety figures (issue 7): reaction reports and serious reports per 100,000 doses by product,
// lot, site and ISO week over a period; lots the rule flags stand out, and a flagged lot can be
// quarantined everywhere (a reason, optionally a message to the people who got it), in two steps.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {formatNumber} from '../format.js';
import {Intent} from '../intent.js';
import {field, textarea, checkbox, formValues, focusFirstError, formError, localMsg} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {DEPARTMENT, staffGate} from './staff-common.js';

const TITLE = 'safety.title';

function ymd(d) {
  // the Hà Nội calendar day
  return new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit'}).format(d);
}

export default {
  title: TITLE,

  enter(ctx) {
    const now = new Date();
    Object.assign(ctx.s, {
      filters: {from: ctx.query.get('from') || ymd(new Date(now.getTime() - 90 * 86400_000)),
                to: ctx.query.get('to') || ymd(now), product_code: ctx.query.get('product_code') || ''},
      data: null, loading: false, errors: null,
      q: null,  // the quarantine in progress: {lot, step: 'form'|'confirm', reason, message_people, errors, error, busy}
      intent: new Intent(), done: null,
    });
    if (staffGate(ctx, DEPARTMENT, TITLE)) return;
    load(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, DEPARTMENT, TITLE);
    if (gate) return gate;
    const d = ctx.s.data;
    return html`<h1>${t(TITLE)}</h1>
      <p class="lead">${t('safety.lead')}</p>
      ${filtersForm(ctx)}
      ${ctx.s.done ? doneNotice(ctx.s.done) : nothing}
      ${d === null ? html`<p class="loading">${t('app.loading')}</p>` : html`
        <p class="hint">${t('safety.rule', {min: d.flag_rule?.min_serious ?? 3, ratio: d.flag_rule?.ratio_to_product ?? 3})}</p>
        ${table(ctx, 'product', d.by_product)}
        ${table(ctx, 'lot', d.by_lot)}
        ${table(ctx, 'site', d.by_site)}
        ${table(ctx, 'week', d.by_week)}`}`;
  },
};

async function load(ctx, {announce = false} = {}) {
  const s = ctx.s;
  s.loading = true; ctx.update();
  const f = s.filters;
  const qs = new URLSearchParams({from: f.from, to: f.to});
  if (f.product_code) qs.set('product_code', f.product_code);
  try {
    s.data = await api.get(`/reaction-figures?${qs}`);
    s.errors = null;
    if (announce) {
      const flagged = s.data.by_lot.filter((r) => r.flagged).length;
      ctx.announce(t('safety.loaded', {n: flagged}));
    }
  } catch (e) {
    s.data ??= null;
    s.errors = e.errors && Object.keys(e.errors).length ? e.errors : null;
    ctx.announce(problemText(e), {error: true});
    if (s.errors) focusFirstError();
  } finally {
    s.loading = false; ctx.update();
  }
}

function filtersForm(ctx) {
  const s = ctx.s;
  const f = s.filters;
  const submit = (ev) => {
    ev.preventDefault();
    const v = formValues(ev.target);
    const errors = {};
    for (const k of ['from', 'to']) if (!/^\d{4}-\d{2}-\d{2}$/.test(v[k] ?? '')) errors[k] = [localMsg('safety.date_invalid')];
    Object.assign(f, {from: v.from, to: v.to, product_code: v.product_code ?? ''});
    if (Object.keys(errors).length) { s.errors = errors; ctx.update(); focusFirstError(); return; }
    s.done = null;
    load(ctx, {announce: true});
  };
  return html`<form class="card filters" novalidate @submit=${submit} aria-labelledby="sf-h">
    <h2 id="sf-h">${t('safety.period')}</h2>
    <div class="pair">
      ${field({name: 'from', label: t('safety.from'), type: 'date', value: f.from, required: true, errors: s.errors, prefix: 'sf'})}
      ${field({name: 'to', label: t('safety.to'), type: 'date', value: f.to, required: true, errors: s.errors, prefix: 'sf'})}
    </div>
    ${field({name: 'product_code', label: t('safety.product_code'), value: f.product_code, errors: s.errors, prefix: 'sf',
             autocomplete: 'off', hint: t('safety.product_code_hint')})}
    ${busyButton(s.loading, t('safety.show'), t('app.loading'), {cls: 'secondary'})}
  </form>`;
}

const rate = (x) => (x === null || x === undefined ? '—' : formatNumber(x, lang(), {maximumFractionDigits: 1}));
const num = (x) => formatNumber(x, lang());

function table(ctx, group, rows) {
  const id = `st-${group}`;
  const lots = group === 'lot';
  return html`<section class="section" aria-labelledby=${id}>
    <h2 id=${id}>${t(`safety.by_${group}`)}</h2>
    ${!rows?.length ? html`<p>${t('safety.none')}</p>` : html`
      <div class="stats-scroll" role="region" tabindex="0" aria-labelledby=${id}>
      <table class="figs safety" data-testid="safety-${group}">
        <thead><tr><th scope="col">${t(`safety.col_${group}`)}</th>
          <th scope="col">${t('safety.doses')}</th>
          <th scope="col">${t('safety.reports')}<br><span class="meta">${t('safety.report_rate')}</span></th>
          <th scope="col">${t('safety.serious')}<br><span class="meta">${t('safety.serious_rate')}</span></th></tr></thead>
        <tbody>${rows.map((r) => html`<tr class=${r.flagged ? 'flagged' : nothing}>
          <th scope="row">${r.label}${lots ? html`<br><span class="meta">${r.product_code}</span>` : nothing}
            ${r.flagged ? html`<br><span class="badge danger">${t('safety.flagged')}</span>` : nothing}
            ${r.quarantined ? html`<br><span class="badge">${t('safety.quarantined')}</span>` : nothing}
            ${lots && r.flagged && !r.quarantined ? html`<br><button type="button" class="danger small"
              aria-label=${t('safety.quarantine_lot', {lot: r.label})}
              @click=${() => openQuarantine(ctx, r)}>${t('safety.quarantine')}</button>` : nothing}</th>
          <td>${num(r.doses)}</td><td>${num(r.reports)}<br><span class="meta">${rate(r.report_rate)}</span></td>
          <td>${num(r.serious)}<br><span class="meta">${rate(r.serious_rate)}</span></td></tr>`)}</tbody>
      </table></div>
      <p class="hint">${t('safety.per', {per: num(ctx.s.data?.per ?? 100000)})}</p>`}
    ${lots && ctx.s.q ? quarantinePanel(ctx) : nothing}
  </section>`;
}

function openQuarantine(ctx, lot) {
  ctx.s.q = {lot, step: 'form', reason: '', message_people: false, errors: null, error: null, busy: false};
  ctx.s.done = null;
  ctx.update();
  requestAnimationFrame(() => document.getElementById('sq-h')?.focus());
}

function quarantinePanel(ctx) {
  const q = ctx.s.q;
  const cancel = () => { ctx.s.q = null; ctx.update(); };
  const next = (ev) => {
    ev.preventDefault();
    const v = formValues(ev.target);
    q.reason = v.reason ?? '';
    q.message_people = !!v.message_people;
    q.error = null;
    if (q.reason.length < 3) {
      q.errors = {reason: [localMsg(q.reason ? 'safety.reason_short' : 'safety.reason_required')]};
      ctx.announce(t('safety.reason_required'), {error: true});
      ctx.update(); focusFirstError(); return;
    }
    q.errors = null; q.step = 'confirm'; ctx.update();
    requestAnimationFrame(() => document.getElementById('sq-confirm-h')?.focus());
  };
  const confirm = async () => {
    const body = {reason: q.reason, message_people: q.message_people};
    q.busy = true; ctx.update();
    try {
      const res = await api.post(`/reaction-figures/lots/${encodeURIComponent(q.lot.key)}/quarantine`, body,
                                 {idempotencyKey: ctx.s.intent.keyFor({lot: q.lot.key, ...body})});
      ctx.s.intent.done();
      ctx.s.q = null;
      ctx.s.done = res;
      ctx.announce(t('safety.quarantined_said', {lot: res.lot.lot_number}));
      await load(ctx);
      requestAnimationFrame(() => document.getElementById('sq-done')?.focus());
    } catch (e) {
      q.errors = e.errors && Object.keys(e.errors).length ? e.errors : null;
      q.error = q.errors ? null : e;
      if (q.errors) q.step = 'form';
      ctx.announce(problemText(e), {error: true});
      focusFirstError();
    } finally {
      q.busy = false; ctx.update();
    }
  };
  return html`<div class="card attention quarantine" role="group" aria-labelledby="sq-h">
    <h3 id="sq-h" tabindex="-1">${t('safety.quarantine_heading', {lot: q.lot.label})}</h3>
    ${q.step === 'form' ? html`<form novalidate @submit=${next}>
        ${textarea({name: 'reason', label: t('safety.reason'), value: q.reason, errors: q.errors, prefix: 'sq',
                    required: true, rows: 3, hint: t('safety.reason_hint')})}
        ${checkbox({name: 'message_people', label: t('safety.message_people'), checked: q.message_people, prefix: 'sq',
                    hint: t('safety.message_people_hint')})}
        ${formError(q.error)}
        <div class="actions">
          <button type="submit" class="danger">${t('safety.continue')}</button>
          <button type="button" class="secondary" @click=${cancel}>${t('safety.cancel')}</button>
        </div></form>`
      : html`<h4 id="sq-confirm-h" tabindex="-1">${t('safety.confirm_heading')}</h4>
        <p>${t('safety.confirm_text', {lot: q.lot.label, product: q.lot.product_code})}</p>
        <p>${t('safety.reason')}: ${q.reason}</p>
        <p>${q.message_people ? t('safety.confirm_people_yes') : t('safety.confirm_people_no')}</p>
        ${formError(q.error)}
        <div class="actions">
          ${busyButton(q.busy, t('safety.confirm'), t('form.sending'), {cls: 'danger', type: 'button', onClick: confirm})}
          <button type="button" class="secondary" ?disabled=${q.busy} @click=${() => { q.step = 'form'; ctx.update(); }}>${t('safety.back')}</button>
        </div>`}
  </div>`;
}

function doneNotice(r) {
  return html`<div class="notice" id="sq-done" tabindex="-1">
    <p>${t('safety.quarantined_said', {lot: r.lot.lot_number})}</p>
    <p>${t('safety.quarantine_result', {units: r.holding_units.length, staff: r.staff_messages, people: r.people_messaged})}</p>
  </div>`;
}
