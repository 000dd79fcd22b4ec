// One profile: its details, its guardians, inviting a second guardian, editing a dependant.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {state, refresh, setActive} from '../state.js';
import {formatDate} from '../format.js';
import {normalizeVnPhone} from '../phone.js';
import {field, select, formValues, formError, focusFirstError, missing, localMsg} from '../ui.js';
import {busyButton, problemText, relationshipOptions, sexLabel} from './common.js';
import {initForm, personForm, valuesFrom} from './person-form.js';

export default {
  title: 'person.title',

  enter(ctx) {
    Object.assign(ctx.s, {person: null, etag: null, guardians: null, editing: false,
                          invite: {phone: '', relationship: '', errors: null, error: null, busy: false,
                                   intent: new Intent()}});
    load(ctx);
  },

  view(ctx) {
    const s = ctx.s;
    const p = s.person;
    if (!p) return html`<h1>${t('person.title')}</h1><p class="loading">${t('app.loading')}</p>`;
    return html`
      <h1>${p.full_name}</h1>
      <dl class="card facts">
        <div><dt>${t('person.date_of_birth')}</dt><dd>${formatDate(p.date_of_birth, lang())}</dd></div>
        <div><dt>${t('person.sex')}</dt><dd>${sexLabel(p.sex)}</dd></div>
        ${p.national_id ? html`<div><dt>${t('person.national_id')}</dt><dd>${p.national_id}</dd></div>` : nothing}
        <div><dt>${t('person.address')}</dt><dd>${[p.address?.line, p.address?.ward_name, p.address?.province_name].filter(Boolean).join(', ')}</dd></div>
        <div><dt>${t('person.account')}</dt><dd>${p.has_account ? t('person.has_account') : t('person.no_account')}</dd></div>
      </dl>
      <div class="actions stack">
        <button type="button" class="primary" @click=${() => { setActive(p.id); ctx.go('#/'); }}>${t('person.show_qr')}</button>
        ${p.relation === 'self'
          ? html`<a class="button secondary" href="#/profile">${t('person.edit')}</a>`
          : html`<button type="button" class="secondary" aria-expanded=${s.editing ? 'true' : 'false'}
              @click=${() => toggleEdit(ctx)}>${t('person.edit')}</button>`}
      </div>
      <p><a href=${`#/corrections?person=${encodeURIComponent(p.id)}&kind=person`}>${t('corr.person_link')}</a></p>
      ${s.editing ? editSection(ctx) : nothing}
      ${guardiansSection(ctx)}`;
  },
};

async function load(ctx) {
  const id = ctx.params.id;
  try {
    const {data, etag} = await api.get(`/people/${encodeURIComponent(id)}`, {withMeta: true});
    ctx.s.person = data;
    ctx.s.etag = etag;
    ctx.update();
    ctx.s.guardians = await api.get(`/people/${encodeURIComponent(id)}/guardians`);
    ctx.update();
  } catch (e) {
    ctx.announce(problemText(e), {error: true});
    if (e.status === 404 || e.status === 403) ctx.go('#/dependants');
  }
}

function toggleEdit(ctx) {
  ctx.s.editing = !ctx.s.editing;
  if (ctx.s.editing) {
    initForm(ctx, valuesFrom(ctx.s.person));
    requestAnimationFrame(() => document.getElementById('edit-h')?.focus());
  }
  ctx.update();
}

function editSection(ctx) {
  const s = ctx.s;
  const send = (body) => api.patch(`/people/${encodeURIComponent(s.person.id)}`, body,
                                   {ifMatch: s.etag, withMeta: true});
  const onDone = async ({data, etag}) => {
    s.person = data;
    s.etag = etag;
    s.editing = false;
    await refresh();
    ctx.announce(t('profile.saved'));
    ctx.update();
  };
  return html`<section aria-labelledby="edit-h">
    <h2 id="edit-h" tabindex="-1">${t('person.edit_heading')}</h2>
    ${personForm(ctx, {submitLabel: t('form.save'), send, onDone, cccd: false})}
  </section>`;
}

function guardiansSection(ctx) {
  const s = ctx.s;
  const p = s.person;
  const inv = s.invite;
  const remove = async (g) => {
    if (!confirm(t('guardians.remove_confirm', {name: g.name || g.phone_hint}))) return;
    try {
      await api.del(`/people/${encodeURIComponent(p.id)}/guardians/${encodeURIComponent(g.id)}`);
      ctx.announce(t('guardians.removed'));
      if (g.is_me) { await refresh(); ctx.go('#/dependants'); return; }
      s.guardians = await api.get(`/people/${encodeURIComponent(p.id)}/guardians`);
      ctx.update();
    } catch (e) {
      ctx.announce(problemText(e), {error: true});
    }
  };
  const invite = async (ev) => {
    ev.preventDefault();
    const v = formValues(ev.target);
    Object.assign(inv, v);
    let errors = missing(v, ['phone', 'relationship']) ?? {};
    const phone = v.phone ? normalizeVnPhone(v.phone) : null;
    if (v.phone && !phone) errors.phone = [localMsg('signin.phone_invalid')];
    if (Object.keys(errors).length) {
      inv.errors = errors; inv.error = null;
      ctx.announce(t('form.fix_errors'), {error: true});
      ctx.update(); focusFirstError();
      return;
    }
    const body = {phone, relationship: v.relationship};
    inv.busy = true; inv.errors = null; inv.error = null; ctx.update();
    try {
      await api.post(`/people/${encodeURIComponent(p.id)}/guardians`, body, {idempotencyKey: inv.intent.keyFor(body)});
      inv.intent.done();
      inv.phone = ''; inv.relationship = '';
      ctx.announce(t('guardians.invited'));
      s.guardians = await api.get(`/people/${encodeURIComponent(p.id)}/guardians`);
    } catch (e) {
      inv.error = e; inv.errors = e.errors;
      ctx.announce(problemText(e), {error: true});
      focusFirstError();
    } finally {
      inv.busy = false; ctx.update();
    }
  };
  const others = (s.guardians ?? []);
  return html`
    <section aria-labelledby="g-h" class="section">
      <h2 id="g-h">${t('guardians.title')}</h2>
      ${s.guardians === null ? html`<p class="loading">${t('app.loading')}</p>`
        : others.length === 0 ? html`<p>${t('guardians.none')}</p>`
        : html`<ul class="list">${others.map((g) => html`<li class="row">
            <span class="name">${g.name || g.phone_hint}${g.is_me ? html` <span class="badge">${t('guardians.you')}</span>` : nothing}</span>
            <span class="meta">${t(`relationship.${g.relationship}`)} · ${g.phone_hint ?? ''} ·
              <span class="status-${g.status}">${t(`guardians.status_${g.status}`)}</span></span>
            ${!g.is_me ? html`<button type="button" class="small danger" @click=${() => remove(g)}
                aria-label=${t('guardians.remove_label', {name: g.name || g.phone_hint})}>${t('guardians.remove')}</button>` : nothing}
          </li>`)}</ul>`}
      ${p.relation !== 'self' ? html`
        <form class="card" novalidate @submit=${invite} aria-labelledby="inv-h">
          <h3 id="inv-h">${t('guardians.invite_heading')}</h3>
          <p class="hint">${t('guardians.invite_lead')}</p>
          ${field({name: 'phone', label: t('guardians.phone'), type: 'tel', value: inv.phone, required: true,
                   inputmode: 'tel', autocomplete: 'off', errors: inv.errors, prefix: 'inv'})}
          ${select({name: 'relationship', label: t('guardians.relationship'), value: inv.relationship, required: true,
                    options: relationshipOptions(), errors: inv.errors, prefix: 'inv', placeholder: t('form.choose')})}
          ${formError(inv.error && !(inv.errors && Object.keys(inv.errors).length) ? inv.error : null)}
          ${busyButton(inv.busy, t('guardians.invite'), t('form.sending'))}
        </form>` : nothing}
    </section>`;
}
