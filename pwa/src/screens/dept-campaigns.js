// Department campaigns (issue 6): choose a group (province/ward in scope, an age range), write the
// message (template campaign_message: a title and a body in Vietnamese, English optional), see how
// many people it reaches before sending, send it once (one Idempotency-Key per intent), and follow
// the campaigns already sent with their delivery figures.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {loadProvinces, loadWards} from '../places.js';
import {formatDateTime} from '../format.js';
import {field, select, textarea, formValues, focusFirstError, formError, localMsg} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {DEPARTMENT, staffGate, activeRoles, loadUnits} from './staff-common.js';

const TITLE = 'campaign.title';

export default {
  title: TITLE,

  enter(ctx) {
    Object.assign(ctx.s, {
      provinces: null, wards: null, list: null, figures: {},
      form: {'target.province_code': '', 'target.ward_code': '', 'target.min_age': '', 'target.max_age': '',
             title_vi: '', body_vi: '', title_en: '', body_en: ''},
      errors: null, error: null, busy: null, reach: null, reachFor: null, sent: null,
      intent: new Intent(),
    });
    if (staffGate(ctx, DEPARTMENT, TITLE)) return;
    loadScope(ctx);
    loadList(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, DEPARTMENT, TITLE);
    if (gate) return gate;
    return html`<h1>${t(TITLE)}</h1>
      <p class="lead">${t('campaign.lead')}</p>
      ${composeForm(ctx)}
      ${listSection(ctx)}`;
  },
};

async function loadScope(ctx) {
  const s = ctx.s;
  try {
    const [units, all] = await Promise.all([loadUnits(), loadProvinces()]);
    const mine = new Set(units.map((u) => u.province_code).filter((c) => c !== null && c !== undefined));
    s.provinces = activeRoles(['national_admin']).length ? all : all.filter((p) => mine.has(p.code));
    if (s.provinces.length === 1) pickProvince(ctx, String(s.provinces[0].code));
  } catch (e) {
    s.provinces ??= [];
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

function pickProvince(ctx, code) {
  const s = ctx.s;
  s.form['target.province_code'] = code;
  s.form['target.ward_code'] = '';
  s.wards = null;
  s.reach = null;
  ctx.update();
  if (!code) return;
  loadWards(code).then((list) => {
    if (String(s.form['target.province_code']) === String(code)) { s.wards = list; ctx.update(); }
  }).catch((e) => ctx.announce(problemText(e), {error: true}));
}

async function loadList(ctx) {
  const s = ctx.s;
  try {
    s.list = await api.get('/campaigns');
    ctx.update();
    // delivery figures of the newest ones (one small request each)
    await Promise.all(s.list.slice(0, 10).map(async (c) => {
      try { s.figures[c.id] = await api.get(`/campaigns/${encodeURIComponent(c.id)}/stats`); } catch { /* shown as — */ }
    }));
  } catch (e) {
    s.list ??= [];
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

/** The target as the API wants it, from the form values; local checks as field errors. */
function target(v) {
  const out = {kind: 'residents'};
  const errors = {};
  for (const [k, name] of [['province_code', 'target.province_code'], ['ward_code', 'target.ward_code']]) {
    if (v[name]) out[k] = Number(v[name]);
  }
  for (const [k, name] of [['min_age', 'target.min_age'], ['max_age', 'target.max_age']]) {
    const raw = v[name];
    if (raw === '' || raw === undefined) continue;
    if (!/^\d{1,3}$/.test(raw)) errors[name] = [localMsg('campaign.age_invalid')];
    else out[k] = Number(raw);
  }
  return {target: out, errors: Object.keys(errors).length ? errors : null};
}

function readForm(ctx, form) {
  const v = formValues(form);
  Object.assign(ctx.s.form, v);
  return v;
}

async function preview(ctx, form) {
  const s = ctx.s;
  const {target: tg, errors} = target(readForm(ctx, form));
  s.errors = errors; s.error = null; s.sent = null;
  if (errors) { ctx.update(); focusFirstError(); return; }
  s.busy = 'preview'; ctx.update();
  try {
    s.reach = await api.post('/campaigns/preview', {target: tg});
    s.reachFor = JSON.stringify(tg);
    ctx.announce(t('campaign.reach_said', {people: s.reach.people, accounts: s.reach.accounts}));
    requestAnimationFrame(() => document.getElementById('cp-reach')?.focus());
  } catch (e) {
    s.reach = null;
    s.errors = e.errors && Object.keys(e.errors).length ? e.errors : null;
    s.error = s.errors ? null : e;
    ctx.announce(problemText(e), {error: true});
    focusFirstError();
  } finally {
    s.busy = null; ctx.update();
  }
}

async function send(ctx, form) {
  const s = ctx.s;
  const v = readForm(ctx, form);
  const {target: tg, errors: targetErrors} = target(v);
  const errors = {...(targetErrors ?? {})};
  for (const n of ['title_vi', 'body_vi']) if (!v[n]) errors[n] = [localMsg('form.required')];
  if (!!v.title_en !== !!v.body_en) errors[v.title_en ? 'body_en' : 'title_en'] = [localMsg('campaign.en_both')];
  s.error = null;
  if (Object.keys(errors).length) {
    s.errors = errors;
    ctx.announce(t('campaign.fix_fields'), {error: true});
    ctx.update(); focusFirstError(); return;
  }
  if (!s.reach || s.reachFor !== JSON.stringify(tg)) {
    s.errors = null;
    ctx.announce(t('campaign.preview_first'), {error: true});
    ctx.update(); return;
  }
  const body = {target: tg, title_vi: v.title_vi, body_vi: v.body_vi};
  if (v.title_en) Object.assign(body, {title_en: v.title_en, body_en: v.body_en});
  s.errors = null; s.busy = 'send'; ctx.update();
  try {
    const c = await api.post('/campaigns', body, {idempotencyKey: s.intent.keyFor(body)});
    s.intent.done();
    s.sent = c;
    s.reach = null; s.reachFor = null;
    Object.assign(s.form, {title_vi: '', body_vi: '', title_en: '', body_en: ''});
    ctx.announce(t('campaign.sent_said', {people: c.people, messages: c.messages}));
    await loadList(ctx);
    requestAnimationFrame(() => document.getElementById(`cl-${c.id}`)?.focus());
  } catch (e) {
    s.errors = e.errors && Object.keys(e.errors).length ? e.errors : null;
    s.error = s.errors ? null : e;
    ctx.announce(problemText(e), {error: true});
    focusFirstError();
  } finally {
    s.busy = null; ctx.update();
  }
}

function composeForm(ctx) {
  const s = ctx.s;
  const f = s.form;
  const onSubmit = (ev) => {
    ev.preventDefault();
    const which = ev.submitter?.value === 'send' ? send : preview;
    which(ctx, ev.target);
  };
  const stale = () => { if (s.reach) { s.reach = null; ctx.update(); } };
  const r = s.reach;
  return html`<form class="card campaign" novalidate @submit=${onSubmit} @input=${(ev) => {
      if (String(ev.target.name).startsWith('target.')) stale();
    }} aria-labelledby="cp-h">
    <h2 id="cp-h">${t('campaign.new')}</h2>
    <fieldset class="group">
      <legend>${t('campaign.target')}</legend>
      ${select({name: 'target.province_code', label: t('person.province'), value: f['target.province_code'], prefix: 'cp',
                errors: s.errors, required: !activeRoles(['national_admin']).length,
                options: (s.provinces ?? []).map((p) => ({value: p.code, label: p.name})),
                placeholder: s.provinces ? t('campaign.whole_scope') : t('app.loading'),
                onChange: (code) => pickProvince(ctx, code)})}
      ${select({name: 'target.ward_code', label: t('person.ward'), value: f['target.ward_code'], prefix: 'cp',
                errors: s.errors, disabled: !f['target.province_code'] || !s.wards,
                options: (s.wards ?? []).map((w) => ({value: w.code, label: w.name})),
                onChange: (code) => { f['target.ward_code'] = code; stale(); },
                placeholder: !f['target.province_code'] ? t('person.ward_pick_province') : s.wards ? t('vax.any_ward') : t('app.loading')})}
      <div class="pair">
        ${field({name: 'target.min_age', label: t('campaign.min_age'), value: f['target.min_age'], prefix: 'cp',
                 errors: s.errors, inputmode: 'numeric', maxlength: 3, autocomplete: 'off'})}
        ${field({name: 'target.max_age', label: t('campaign.max_age'), value: f['target.max_age'], prefix: 'cp',
                 errors: s.errors, inputmode: 'numeric', maxlength: 3, autocomplete: 'off'})}
      </div>
    </fieldset>
    <button type="submit" value="preview" class="secondary" ?disabled=${!!s.busy}
      aria-busy=${s.busy === 'preview' ? 'true' : 'false'}>${s.busy === 'preview' ? t('app.loading') : t('campaign.preview')}</button>
    ${r ? html`<div class="notice reach" id="cp-reach" tabindex="-1" data-testid="campaign-reach">
      <p><strong>${t('campaign.reach', {people: r.people})}</strong></p>
      <p class="hint">${t('campaign.reach_detail', {accounts: r.accounts, messages: r.messages.total})}</p>
    </div>` : html`<p class="hint">${t('campaign.preview_hint')}</p>`}
    <fieldset class="group">
      <legend>${t('campaign.message')}</legend>
      <p class="hint">${t('campaign.message_hint')}</p>
      ${field({name: 'title_vi', label: t('campaign.title_vi'), value: f.title_vi, prefix: 'cp', errors: s.errors,
               required: true, maxlength: 80, autocomplete: 'off'})}
      ${textarea({name: 'body_vi', label: t('campaign.body_vi'), value: f.body_vi, prefix: 'cp', errors: s.errors,
                  required: true, rows: 4})}
      ${field({name: 'title_en', label: t('campaign.title_en'), value: f.title_en, prefix: 'cp', errors: s.errors,
               maxlength: 80, autocomplete: 'off', hint: t('campaign.en_hint')})}
      ${textarea({name: 'body_en', label: t('campaign.body_en'), value: f.body_en, prefix: 'cp', errors: s.errors, rows: 4})}
    </fieldset>
    ${formError(s.error)}
    <button type="submit" value="send" class="primary" ?disabled=${!!s.busy || !r}
      aria-busy=${s.busy === 'send' ? 'true' : 'false'}>${s.busy === 'send' ? t('form.sending')
        : r ? t('campaign.send_n', {people: r.people}) : t('campaign.send')}</button>
  </form>`;
}

function targetLine(ctx, tg) {
  const parts = [];
  const p = ctx.s.provinces?.find((x) => x.code === tg.province_code);
  if (tg.province_code) parts.push(p ? p.name : t('campaign.province_n', {code: tg.province_code}));
  else parts.push(t('campaign.whole_scope'));
  if (tg.ward_code) parts.push(t('campaign.ward_n', {code: tg.ward_code}));
  if (tg.min_age != null || tg.max_age != null) {
    parts.push(t('campaign.ages', {min: tg.min_age ?? 0, max: tg.max_age ?? '∞'}));
  }
  return parts.join(' · ');
}

function listSection(ctx) {
  const s = ctx.s;
  return html`<section class="section" aria-labelledby="cl-h" aria-busy=${s.list === null ? 'true' : 'false'}>
    <h2 id="cl-h">${t('campaign.list')}</h2>
    ${s.list === null ? html`<p class="loading">${t('app.loading')}</p>`
      : !s.list.length ? html`<p>${t('campaign.none')}</p>`
      : html`<ul class="list campaigns">${s.list.map((c) => campaignItem(ctx, c))}</ul>`}
  </section>`;
}

function campaignItem(ctx, c) {
  const fig = ctx.s.figures[c.id];
  const title = lang() === 'en' && c.title_en ? c.title_en : c.title_vi;
  const tot = fig?.totals;
  return html`<li class="row campaign-item" id="cl-${c.id}" tabindex="-1">
    <span class="name">${title}</span>
    <span class="meta">${formatDateTime(c.created_at, lang())} · ${t(`campaign.status_${c.status}`)}<br>
      ${targetLine(ctx, c.target ?? {})}</span>
    <dl class="figures">
      <div><dt>${t('campaign.people')}</dt><dd>${c.people}</dd></div>
      <div><dt>${t('campaign.accounts')}</dt><dd>${c.accounts_done}/${c.accounts}</dd></div>
      <div><dt>${t('campaign.messages')}</dt><dd>${c.messages}</dd></div>
      <div><dt>${t('campaign.delivered')}</dt><dd>${tot ? tot.sent : '—'}</dd></div>
      <div><dt>${t('campaign.waiting')}</dt><dd>${tot ? tot.pending + tot.sending : '—'}</dd></div>
      <div><dt>${t('campaign.failed')}</dt><dd>${tot ? tot.dead : '—'}</dd></div>
      <div><dt>${t('campaign.read')}</dt><dd>${fig ? fig.read : '—'}</dd></div>
    </dl>
    ${fig ? html`<details class="more"><summary>${t('campaign.by_channel')}</summary>
      <table class="figs"><thead><tr><th scope="col">${t('campaign.channel')}</th>
        <th scope="col">${t('campaign.delivered')}</th><th scope="col">${t('campaign.waiting')}</th>
        <th scope="col">${t('campaign.failed')}</th></tr></thead>
      <tbody>${Object.entries(fig.by_channel).filter(([, b]) => b.total).map(([ch, b]) => html`<tr>
        <th scope="row">${t(`campaign.ch_${ch}`)}</th><td>${b.sent}</td><td>${b.pending + b.sending}</td><td>${b.dead}</td></tr>`)}
      </tbody></table></details>` : nothing}
  </li>`;
}
