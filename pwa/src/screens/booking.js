// One appointment: when and where, confirm it (an early booking must be confirmed or its seat is
// released), add it to the phone's calendar (.ics), move it, or cancel it.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {state} from '../state.js';
import {formatDateTime} from '../format.js';
import {field, formValues} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {ACTIVE_BOOKING, vaxHref, bookingStatus, productLabel, doseLabel, siteArea, whenHtml} from './vax-common.js';

export default {
  title: 'appt.title',

  enter(ctx) {
    Object.assign(ctx.s, {booking: null, busy: null, cancel: {open: false, reason: ''},
                          intents: {confirm: new Intent(), cancel: new Intent()}});
    load(ctx);
  },

  view(ctx) {
    const s = ctx.s;
    const b = s.booking;
    // one template for both states: the heading that took the focus stays the same element
    return html`<h1>${t('appt.title')}</h1>${b ? details(ctx, b) : html`<p class="loading">${t('app.loading')}</p>`}`;
  },
};

function details(ctx, b) {
  const person = state.people.find((p) => p.id === b.person_id);
  const active = ACTIVE_BOOKING.includes(b.status);
  return html`
    <div class="card appt ${active ? 'active' : 'ended'}">
      <p class="status-line">${bookingStatus(b.status)}</p>
      <p class="appt-when">${whenHtml(b.day, b.starts_at, b.ends_at)}</p>
      <dl class="facts">
        ${person ? html`<div><dt>${t('appt.person')}</dt><dd>${person.full_name}</dd></div>` : nothing}
        <div><dt>${t('book.vaccine')}</dt><dd>${productLabel(b.product)} · ${doseLabel(b.dose)}</dd></div>
        <div><dt>${t('appt.site')}</dt><dd>${b.site?.name}</dd></div>
        <div><dt>${t('book.where')}</dt><dd>${siteArea(b.site)}</dd></div>
        ${b.end_reason && !active ? html`<div><dt>${t('appt.end_reason')}</dt><dd>${b.end_reason}</dd></div>` : nothing}
      </dl>
      ${b.status === 'booked' && b.confirm_by ? html`<p class="attention-text">
        ${t('appt.confirm_by', {at: formatDateTime(b.confirm_by, lang())})}</p>` : nothing}
      ${active ? html`<p class="hint">${t('appt.bring')}</p>` : nothing}
    </div>
    ${active ? actions(ctx, b) : html`<p><a class="button secondary"
        href=${vaxHref('/vaccination', {person: b.person_id})}>${t('appt.back')}</a></p>`}`;
}

async function load(ctx) {
  try {
    ctx.s.booking = await api.get(`/bookings/${encodeURIComponent(ctx.params.id)}`);
  } catch (e) {
    ctx.announce(problemText(e), {error: true});
    if (e.status === 404 || e.status === 403) ctx.go('#/vaccination');
  }
  ctx.update();
}

async function act(ctx, what, path, body, message) {
  const s = ctx.s;
  s.busy = what; ctx.update();
  try {
    s.booking = await api.post(path, body, {idempotencyKey: s.intents[what].keyFor(body)});
    s.intents[what].done();
    ctx.announce(message);
    return true;
  } catch (e) {
    ctx.announce(problemText(e), {error: true});
    if (e.slug === 'booking-not-active' || e.slug === 'confirm-closed') await load(ctx);
    return false;
  } finally {
    s.busy = null; ctx.update();
  }
}

function actions(ctx, b) {
  const s = ctx.s;
  const id = encodeURIComponent(b.id);
  const c = s.cancel;
  const cancel = async (ev) => {
    ev.preventDefault();
    c.reason = formValues(ev.target).reason ?? '';
    if (await act(ctx, 'cancel', `/bookings/${id}/cancel`, {reason: c.reason}, t('appt.cancelled'))) {
      c.open = false;
      requestAnimationFrame(() => document.querySelector('main h1')?.focus());
    }
  };
  return html`<div class="actions stack">
    ${b.status === 'booked' ? busyButton(s.busy === 'confirm', t('appt.confirm'), t('form.sending'),
        {cls: 'primary', type: 'button',
         onClick: () => act(ctx, 'confirm', `/bookings/${id}/confirm`, {}, t('appt.confirmed'))}) : nothing}
    <a class="button ${b.status === 'booked' ? 'secondary' : 'primary'}" href=${b.calendar_url}
      download=${`lich-tiem-${b.day}.ics`}>${t('appt.add_to_calendar')}</a>
    <a class="button secondary" href=${vaxHref('/vaccination/sessions', {person: b.person_id, reschedule: b.id})}>
      ${t('appt.reschedule')}</a>
    ${c.open ? nothing : html`<button type="button" class="danger" aria-expanded="false"
      @click=${() => { c.open = true; ctx.update(); requestAnimationFrame(() => document.getElementById('bc-reason')?.focus()); }}>
      ${t('appt.cancel')}</button>`}
  </div>
  ${c.open ? html`<form class="card confirm-box" novalidate @submit=${cancel} aria-labelledby="bc-h">
    <h2 id="bc-h">${t('appt.cancel_q')}</h2>
    <p class="hint">${t('appt.cancel_hint')}</p>
    ${field({name: 'reason', label: t('appt.cancel_reason'), value: c.reason, prefix: 'bc', autocomplete: 'off'})}
    <div class="actions">
      ${busyButton(s.busy === 'cancel', t('appt.cancel_yes'), t('form.sending'), {cls: 'danger'})}
      <button type="button" class="secondary" @click=${() => { c.open = false; ctx.update(); }}>${t('appt.keep')}</button>
    </div>
  </form>` : nothing}
  <p><a href=${vaxHref('/vaccination', {person: b.person_id})}>${t('appt.back')}</a></p>`;
}
