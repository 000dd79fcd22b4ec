// Site tablet: the 30-minute watch after injection, soonest first, each with a live countdown;
// an immediate reaction or the end of the watch is recorded on the visit.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {formatDate} from '../format.js';
import {formValues, formError} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {SITE, staffGate} from './staff-common.js';
import {loadSites, sitePicker, watchQueue, queueBanner, siteNav, remaining} from './site-common.js';

const KINDS = ['injection_site_pain', 'fever', 'headache', 'dizziness', 'nausea', 'rash', 'urticaria', 'syncope',
               'difficulty_breathing', 'anaphylaxis', 'other'];
const OUTCOMES = ['discharged', 'treated_and_discharged', 'transferred_to_hospital', 'left_early'];

export default {
  title: 'so.title',

  enter(ctx) {
    Object.assign(ctx.s, {sites: null, siteId: '', queue: null, list: null, forms: {}, now: Date.now()});
    if (staffGate(ctx, SITE, 'so.title')) return;
    watchQueue(ctx);
    const tick = setInterval(() => { ctx.s.now = Date.now(); ctx.update(); }, 1000);
    const poll = setInterval(() => load(ctx), 30_000);
    ctx.onLeave(() => { clearInterval(tick); clearInterval(poll); });
    loadSites(ctx).then(() => load(ctx)).catch((e) => { ctx.s.sites = []; ctx.announce(problemText(e), {error: true}); });
  },

  view(ctx) {
    const gate = staffGate(ctx, SITE, 'so.title');
    if (gate) return gate;
    const s = ctx.s;
    return html`
      <h1>${t('so.title')}</h1>
      ${siteNav('#/site/observation')}
      ${sitePicker(ctx, () => load(ctx))}
      ${queueBanner(ctx)}
      <section aria-labelledby="so-list-h">
        <h2 id="so-list-h">${t('so.list', {n: s.list?.length ?? 0})}</h2>
        ${s.list === null ? html`<p class="loading">${t('app.loading')}</p>`
          : s.list.length === 0 ? html`<p>${t('so.empty')}</p>`
          : html`<ul class="list observation">${s.list.map((x) => row(ctx, x))}</ul>`}
      </section>`;
  },
};

async function load(ctx) {
  const s = ctx.s;
  if (!s.siteId) { s.list = []; ctx.update(); return; }
  try {
    s.list = await api.get(`/sites/${encodeURIComponent(s.siteId)}/observation`);
  } catch (e) {
    s.list ??= [];
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

function form(ctx, id) {
  ctx.s.forms[id] ??= {busy: false, error: null, intent: new Intent(), endIntent: new Intent(), endBusy: false};
  return ctx.s.forms[id];
}

function row(ctx, x) {
  const left = (new Date(x.observe_until).getTime() - ctx.s.now) / 1000;
  const f = form(ctx, x.visit_id);
  const h = `obs-${x.visit_id}`;
  const react = async (ev) => {
    ev.preventDefault();
    const v = formValues(ev.target);
    const body = {kind: v.kind || 'other', severity: v.severity || 'mild', onset_minutes: Number(v.onset_minutes || 0),
                  treatment: v.treatment ?? '', note: v.note ?? ''};
    f.busy = true; f.error = null; ctx.update();
    try {
      await api.post(`/visits/${encodeURIComponent(x.visit_id)}/reactions`, body, {idempotencyKey: f.intent.keyFor(body)});
      f.intent.done();
      ev.target.reset();
      ctx.announce(t('so.reaction_saved', {name: x.full_name}));
      load(ctx);
    } catch (e) {
      f.error = e;
      ctx.announce(problemText(e), {error: true});
    } finally {
      f.busy = false; ctx.update();
    }
  };
  const end = async (ev) => {
    ev.preventDefault();
    const v = formValues(ev.target);
    const body = {outcome: v.outcome || 'discharged', note: ''};
    f.endBusy = true; f.error = null; ctx.update();
    try {
      await api.post(`/visits/${encodeURIComponent(x.visit_id)}/observation-end`, body,
                     {idempotencyKey: f.endIntent.keyFor(body)});
      f.endIntent.done();
      ctx.announce(t('so.ended', {name: x.full_name}));
      load(ctx);
    } catch (e) {
      f.error = e;
      ctx.announce(problemText(e), {error: true});
    } finally {
      f.endBusy = false; ctx.update();
    }
  };
  return html`<li class="card">
    <h3 id=${h}>${x.full_name}</h3>
    <p class="meta">${formatDate(x.date_of_birth, lang())} · ${x.product_code} · ${t('sv.lot')} ${x.lot_number}
      · ${t('vax.dose_n', {n: x.dose_number})}</p>
    <p class="countdown ${left <= 0 ? 'done' : ''}">${left > 0 ? remaining(left) : t('so.may_leave')}</p>
    ${x.reactions ? html`<p class="badge">${t('so.reactions', {n: x.reactions})}</p>` : nothing}
    ${formError(f.error)}
    <details><summary>${t('so.reaction')}</summary>
      <form novalidate @submit=${react} aria-label=${t('so.reaction_for', {name: x.full_name})}>
        <div class="field"><label for="k-${x.visit_id}">${t('so.kind')}</label>
          <select id="k-${x.visit_id}" name="kind">${KINDS.map((k) => html`<option value=${k}>${t(`so.kind_${k}`)}</option>`)}</select></div>
        <div class="field"><label for="sev-${x.visit_id}">${t('so.severity')}</label>
          <select id="sev-${x.visit_id}" name="severity">${['mild', 'moderate', 'severe'].map((k) => html`<option value=${k}>${t(`so.sev_${k}`)}</option>`)}</select></div>
        <div class="field"><label for="on-${x.visit_id}">${t('so.onset')}</label>
          <input id="on-${x.visit_id}" name="onset_minutes" inputmode="numeric" autocomplete="off"></div>
        <div class="field"><label for="tr-${x.visit_id}">${t('so.treatment')} <span class="optional">${t('form.optional')}</span></label>
          <input id="tr-${x.visit_id}" name="treatment" autocomplete="off"></div>
        ${busyButton(f.busy, t('so.reaction_submit'), t('form.saving'), {cls: 'secondary'})}
      </form></details>
    <form class="end" novalidate @submit=${end} aria-label=${t('so.end_for', {name: x.full_name})}>
      <div class="field"><label for="out-${x.visit_id}">${t('so.outcome')}</label>
        <select id="out-${x.visit_id}" name="outcome">${OUTCOMES.map((k) => html`<option value=${k}>${t(`so.out_${k}`)}</option>`)}</select></div>
      ${busyButton(f.endBusy, t('so.end'), t('form.saving'), {cls: 'secondary'})}
    </form>
  </li>`;
}
