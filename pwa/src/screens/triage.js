// Staff triage of reactions after a dose (site and department staff): the queue at the sites in
// scope, serious first; acknowledge, record a call-back, a follow-up or the outcome, classify
// (WHO AEFI causality) and close. Every action sends the version it was based on; a 409 means
// someone else acted first, and the screen says so and offers a reload.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {formatDateTime, formatDate} from '../format.js';
import {busyButton, problemText} from './common.js';
import {staffGate, SITE} from './staff-common.js';
import {loadTerms, termLabel} from './reactions.js';

const CAUSALITY = ['consistent', 'indeterminate', 'inconsistent', 'unclassifiable'];
const OUTCOMES = ['recovered', 'recovering', 'not_recovered', 'recovered_with_sequelae', 'hospitalised', 'died', 'unknown'];

export default {
  title: 'triage.title',

  enter(ctx) {
    Object.assign(ctx.s, {list: null, terms: null, filter: 'open', acting: {}, conflict: null});
    if (!staffGate(ctx, SITE, 'triage.title')) load(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, SITE, 'triage.title');
    if (gate) return gate;
    const s = ctx.s;
    const shown = (s.list ?? []).filter((r) => s.filter === 'all' || r.triage?.status !== 'closed');
    return html`
      <h1>${t('triage.title')}</h1>
      <p class="lead">${t('triage.lead')}</p>
      <div class="triage-filter">
        <button type="button" class="secondary" aria-pressed=${s.filter === 'open' ? 'true' : 'false'}
          @click=${() => { s.filter = 'open'; ctx.update(); }}>${t('triage.open')}</button>
        <button type="button" class="secondary" aria-pressed=${s.filter === 'all' ? 'true' : 'false'}
          @click=${() => { s.filter = 'all'; ctx.update(); }}>${t('triage.all')}</button>
        <button type="button" class="secondary" @click=${() => reload(ctx)}>${t('triage.reload')}</button>
      </div>
      ${s.list === null ? html`<p class="loading">${t('app.loading')}</p>`
        : shown.length === 0 ? html`<p>${t('triage.empty')}</p>`
        : html`<ul class="list triage">${shown.map((r) => card(ctx, r))}</ul>`}`;
  },
};

async function load(ctx) {
  try {
    const [list, terms] = await Promise.all([api.get('/reaction-triage'), loadTerms()]);
    ctx.s.list = list;
    ctx.s.terms = terms;
  } catch (e) {
    ctx.s.list ??= [];
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

async function reload(ctx) {
  ctx.s.conflict = null;
  await load(ctx);
  ctx.announce(t('triage.reloaded'));
}

function age(dob) {
  if (!dob) return '';
  return formatDate(dob, lang());
}

function card(ctx, r) {
  const s = ctx.s;
  const tr = r.triage ?? {};
  const a = s.acting[r.id] ??= {busy: false, intent: new Intent(), error: null};
  const conflict = s.conflict === r.id;
  return html`<li class="card report ${r.serious ? 'serious' : ''}" id="tr-${r.id}">
    <h2 class="name" id="tr-${r.id}-h" tabindex="-1">${r.person?.full_name ?? ''}
      ${r.serious ? html`<span class="badge serious">${t('react.serious')}</span>` : nothing}
      <span class="badge">${t(`react.triage_${tr.status ?? 'new'}`)}</span></h2>
    <dl class="facts">
      ${r.person?.date_of_birth ? html`<div><dt>${t('triage.dob')}</dt><dd>${age(r.person.date_of_birth)}</dd></div>` : nothing}
      ${r.person?.phone ? html`<div><dt>${t('triage.phone')}</dt><dd><a href="tel:${r.person.phone}">${r.person.phone}</a></dd></div>` : nothing}
      <div><dt>${t('react.symptoms')}</dt><dd>${(r.symptoms ?? []).map((c) => termLabel(s.terms, c)).join(', ')}${r.symptom_text ? ` — ${r.symptom_text}` : ''}</dd></div>
      ${r.severity ? html`<div><dt>${t('react.severity')}</dt><dd>${t(`react.sev_${r.severity}`)}</dd></div>` : nothing}
      ${r.care_sought ? html`<div><dt>${t('react.care')}</dt><dd>${t(`react.care_${r.care_sought}`)}</dd></div>` : nothing}
      <div><dt>${t('triage.dose')}</dt><dd>${r.product_code}${r.lot_number ? ` · ${r.lot_number}` : ''} · ${formatDateTime(r.administered_at, lang())} · ${r.site_name ?? ''}</dd></div>
      ${r.onset_at ? html`<div><dt>${t('react.onset')}</dt><dd>${formatDateTime(r.onset_at, lang())}</dd></div>` : nothing}
      <div><dt>${t('react.sent_at')}</dt><dd>${formatDateTime(r.reported_at, lang())}</dd></div>
      ${tr.causality ? html`<div><dt>${t('triage.causality')}</dt><dd>${t(`triage.caus_${tr.causality}`)}</dd></div>` : nothing}
      ${tr.outcome ? html`<div><dt>${t('triage.outcome')}</dt><dd>${t(`react.out_${tr.outcome}`)}</dd></div>` : nothing}
      ${tr.acknowledged_at ? html`<div><dt>${t('triage.acknowledged')}</dt><dd>${formatDateTime(tr.acknowledged_at, lang())}</dd></div>` : nothing}
    </dl>
    ${conflict ? html`<div class="card attention conflict" id="conflict-${r.id}" role="alert">
      <p>${t('triage.conflict')}</p>
      <button type="button" class="primary" @click=${() => reload(ctx)}>${t('triage.reload')}</button></div>` : nothing}
    ${tr.status === 'closed' ? nothing : actions(ctx, r, a)}
  </li>`;
}

async function act(ctx, r, a, body) {
  const full = {...body, expected_version: r.triage?.version ?? 1};
  a.busy = true; a.error = null; ctx.update();
  try {
    await api.post(`/reaction-reports/${encodeURIComponent(r.id)}/triage`, full,
                   {idempotencyKey: a.intent.keyFor({...full, r: r.id})});
    a.intent.done();
    ctx.s.conflict = null;
    await load(ctx);
    ctx.announce(t(`triage.done_${body.action}`));
    requestAnimationFrame(() => document.getElementById(`tr-${r.id}-h`)?.focus());
  } catch (e) {
    a.intent.done();
    if (e.status === 409 && e.slug === 'triage-conflict') {
      ctx.s.conflict = r.id;
      ctx.announce(t('triage.conflict'), {error: true});
    } else {
      a.error = e;
      ctx.announce(problemText(e), {error: true});
    }
  } finally {
    a.busy = false; ctx.update();
  }
}

function actions(ctx, r, a) {
  const tr = r.triage ?? {};
  const id = `ta-${r.id}`;
  const val = (name) => document.getElementById(`${id}-${name}`)?.value ?? '';
  const note = () => val('note').trim();
  return html`<div class="triage-actions">
    ${tr.status === 'new' ? busyButton(a.busy, t('triage.acknowledge'), t('form.sending'),
      {type: 'button', onClick: () => act(ctx, r, a, {action: 'acknowledge'})}) : nothing}
    <details class="more">
      <summary>${t('triage.record')}</summary>
      <div class="field">
        <label for="${id}-note">${t('triage.note')} <span class="optional">${t('form.optional')}</span></label>
        <textarea id="${id}-note" rows="2"></textarea>
      </div>
      <div class="actions">
        <button type="button" class="secondary" ?disabled=${a.busy}
          @click=${() => act(ctx, r, a, {action: 'call_back', reached: true, note: note()})}>${t('triage.called_reached')}</button>
        <button type="button" class="secondary" ?disabled=${a.busy}
          @click=${() => act(ctx, r, a, {action: 'call_back', reached: false, note: note()})}>${t('triage.called_no_answer')}</button>
      </div>
      <div class="field">
        <label for="${id}-outcome">${t('triage.outcome')}</label>
        <select id="${id}-outcome">
          <option value="">${t('form.choose')}</option>
          ${OUTCOMES.map((o) => html`<option value=${o} .selected=${tr.outcome === o}>${t(`react.out_${o}`)}</option>`)}
        </select>
      </div>
      <div class="actions">
        <button type="button" class="secondary" ?disabled=${a.busy}
          @click=${() => act(ctx, r, a, {action: 'follow_up', note: note(), outcome: val('outcome') || null})}>${t('triage.save_follow_up')}</button>
        <button type="button" class="secondary" ?disabled=${a.busy}
          @click=${() => act(ctx, r, a, {action: 'close', note: note(), outcome: val('outcome') || null})}>${t('triage.close')}</button>
      </div>
      <div class="field">
        <label for="${id}-causality">${t('triage.causality')}</label>
        <select id="${id}-causality">
          <option value="">${t('form.choose')}</option>
          ${CAUSALITY.map((c) => html`<option value=${c} .selected=${tr.causality === c}>${t(`triage.caus_${c}`)}</option>`)}
        </select>
      </div>
      <button type="button" class="primary" ?disabled=${a.busy}
        @click=${() => {
          const c = val('causality');
          if (!c) { ctx.announce(t('triage.pick_causality'), {error: true}); document.getElementById(`${id}-causality`)?.focus(); return; }
          act(ctx, r, a, {action: 'classify', causality: c, note: note()});
        }}>${t('triage.classify')}</button>
    </details>
    ${a.error ? html`<div class="form-error"><p>${problemText(a.error)}</p></div>` : nothing}
  </div>`;
}
