// One session: its time slots and free seats, whether the person may get this vaccine that day
// (asked before booking, and said again if the server refuses), then book it — or move an
// existing appointment here (?reschedule=<booking id>). One Idempotency-Key per intent.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {busyButton, problemText} from './common.js';
import {formatTime, query} from './booking-util.js';
import {personFor, productLabel, siteArea, whenHtml, eligibilityText, bookingProblem, doseLabel,
        vaxHref} from './vax-common.js';

export default {
  title: 'book.title',

  enter(ctx) {
    Object.assign(ctx.s, {person: personFor(ctx), reschedule: ctx.query.get('reschedule'), session: null,
                          option: undefined, slot: '', slotError: null, busy: false, error: null,
                          intent: new Intent()});
    load(ctx);
  },

  view(ctx) {
    const s = ctx.s;
    const x = s.session;
    // one template for both states: the heading that took the focus stays the same element
    return html`<h1>${x ? x.site.name : t('book.title')}</h1>${x ? details(ctx, x)
      : html`<p class="loading">${t('app.loading')}</p>`}`;
  },
};

function details(ctx, x) {
  const s = ctx.s;
  return html`
      <dl class="card facts">
        <div><dt>${t('book.when')}</dt><dd>${whenHtml(x.day, x.starts_at, x.ends_at)}</dd></div>
        <div><dt>${t('book.vaccine')}</dt><dd>${productLabel(x.product)}</dd></div>
        <div><dt>${t('book.where')}</dt><dd>${siteArea(x.site)}</dd></div>
        ${x.site.opening_hours ? html`<div><dt>${t('book.opening_hours')}</dt><dd>${x.site.opening_hours}</dd></div>` : nothing}
        <div><dt>${t('book.free')}</dt><dd>${t('find.free', {n: x.free, capacity: x.capacity})}</dd></div>
        ${x.note ? html`<div><dt>${t('book.note')}</dt><dd>${x.note}</dd></div>` : nothing}
      </dl>
      ${eligibilityCard(ctx)}
      ${bookForm(ctx)}
      ${bookingProblem(s.error, {person: s.person, session: x})}
      <p><a href=${vaxHref('/vaccination/sessions', {person: s.person?.id, reschedule: s.reschedule})}>${t('book.back')}</a></p>`;
}

async function load(ctx) {
  const s = ctx.s;
  try {
    s.session = await api.get(`/vaccination-sessions/${encodeURIComponent(ctx.params.id)}`);
    const open = s.session.slots.filter((sl) => sl.free > 0);
    if (open.length === 1) s.slot = open[0].id;
    ctx.update();
  } catch (e) {
    ctx.announce(problemText(e), {error: true});
    return;
  }
  if (!s.person) return;
  try {
    const answer = await api.get(`/eligibility${query({person_id: s.person.id, on: s.session.day,
                                                        unit_id: s.session.site.id})}`);
    s.option = answer.options.find((o) => o.product_code === s.session.product.code) ?? null;
  } catch {
    s.option = null;  // the server checks again when booking; this is only a forewarning
  }
  ctx.update();
}

function eligibilityCard(ctx) {
  const s = ctx.s;
  const o = s.option;
  if (!o || !s.person) return nothing;
  const name = s.person.full_name;
  if (o.eligible) {
    return html`<p class="card ok">${t('book.eligible', {name, dose: doseLabel(o.dose ?? String(o.dose_number))})}</p>`;
  }
  return html`<div class="card attention" id="elig-warning">
    <h2>${t('elig.title')}</h2>
    <p>${eligibilityText(o, name) || (lang() === 'vi' ? o.reason_text_vi : o.reason_text)}</p>
  </div>`;
}

function bookForm(ctx) {
  const s = ctx.s;
  const x = s.session;
  const submit = async (ev) => {
    ev.preventDefault();
    const chosen = new FormData(ev.target).get('slot_id');
    s.slot = chosen ?? '';
    if (!s.slot) {
      s.slotError = t('book.pick_slot');
      ctx.announce(t('book.pick_slot'), {error: true});
      ctx.update();
      requestAnimationFrame(() => document.querySelector('input[name=slot_id]:not(:disabled)')?.focus());
      return;
    }
    s.slotError = null;
    s.busy = true; s.error = null; ctx.update();
    try {
      let booking;
      if (s.reschedule) {
        const body = {slot_id: s.slot};
        booking = await api.post(`/bookings/${encodeURIComponent(s.reschedule)}/reschedule`, body,
                                 {idempotencyKey: s.intent.keyFor({...body, booking: s.reschedule})});
      } else {
        const body = {person_id: s.person.id, slot_id: s.slot};
        booking = await api.post('/bookings', body, {idempotencyKey: s.intent.keyFor(body)});
      }
      s.intent.done();
      ctx.go(`#/bookings/${encodeURIComponent(booking.id)}`,
             t(s.reschedule ? 'book.rescheduled' : 'book.booked', {name: s.person.full_name}));
    } catch (e) {
      s.error = e;
      ctx.announce(problemText(e), {error: true});
      if (e.slug === 'slot-full' || e.slug === 'session-past') load(ctx);  // show the seats as they are now
      requestAnimationFrame(() => document.getElementById('book-problem-h')?.focus());
    } finally {
      s.busy = false; ctx.update();
    }
  };
  if (!s.person) return html`<p>${t('home.no_profile')}</p>`;
  const slotsOpen = x.slots.some((sl) => sl.free > 0);
  return html`<form class="card" novalidate @submit=${submit}>
    <fieldset class="field radios slots ${s.slotError ? 'invalid' : ''}"
        aria-describedby=${s.slotError ? 'slot-err' : nothing}>
      <legend>${t('book.slot')}</legend>
      ${x.slots.map((sl) => html`<label class="radio slot ${sl.free > 0 ? '' : 'full'}">
        <input type="radio" name="slot_id" value=${sl.id} .checked=${s.slot === sl.id} ?disabled=${sl.free <= 0}
          aria-invalid=${s.slotError ? 'true' : 'false'}>
        <span>${formatTime(sl.starts_at, lang())}\u2013${formatTime(sl.ends_at, lang())}
          <span class="meta">· ${sl.free > 0 ? t('book.slot_free', {n: sl.free}) : t('book.slot_full')}</span></span>
      </label>`)}
      ${s.slotError ? html`<p class="field-error" id="slot-err">${s.slotError}</p>` : nothing}
    </fieldset>
    ${slotsOpen ? busyButton(s.busy, s.reschedule ? t('book.move_here') : t('book.book_for', {name: s.person.full_name}),
                             t('book.booking'))
      : html`<p>${t('book.no_seats')}</p>`}
  </form>`;
}
