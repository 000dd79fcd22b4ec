// What the citizen's vaccination screens share: whose screen it is (yourself or a dependant,
// carried in the #fragment as ?person=), status labels, and eligibility problems said plainly.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {state, activePerson} from '../state.js';
import {formatDate, formatDateTime} from '../format.js';
import {formatDay, timeRange, keyOf, query} from './booking-util.js';

export const LIVE_REGISTRATION = ['submitted', 'approved', 'allocated'];
export const ACTIVE_BOOKING = ['booked', 'confirmed'];

/** The person a vaccination screen is about: ?person=<id> if this account manages them. */
export function personFor(ctx) {
  const id = ctx.query.get('person');
  return state.people.find((p) => p.id === id) ?? activePerson();
}

/** "#/vaccination/sessions?person=…&…" */
export function vaxHref(path, params = {}) {
  return `#${path}${query(params)}`;
}

/** A select to switch between the people the account manages (only when there are several). */
export function personPicker(ctx, person, path, extra = {}) {
  if (state.people.length < 2) return nothing;
  return html`<div class="field person-pick">
    <label for="vx-person">${t('vax.for_whom')}</label>
    <select id="vx-person" @change=${(ev) => ctx.go(vaxHref(path, {...extra, person: ev.target.value}))}>
      ${state.people.map((p) => html`<option value=${p.id} .selected=${p.id === person?.id}>${
        p.relation === 'self' ? `${p.full_name} (${t('people.me')})` : p.full_name}</option>`)}
    </select></div>`;
}

export function registrationStatus(status) {
  return html`<span class="badge reg-${status}">${t(`vax.status_${keyOf(status)}`)}</span>`;
}

export function bookingStatus(status) {
  return html`<span class="badge booking-${status}">${t(`appt.status_${keyOf(status)}`)}</span>`;
}

/** A product's name in the current language. */
export function productLabel(p) {
  if (!p) return '';
  return (lang() === 'en' ? p.name_en : p.name_vi) || p.name_vi || p.code;
}

/** "mũi 1" / "booster". */
export function doseLabel(dose) {
  return dose === 'booster' ? t('vax.dose_booster') : t('vax.dose_n', {n: dose});
}

/** Ward, province of a site. */
export function siteArea(site) {
  return [site?.address_line, site?.ward_name, site?.province_name].filter(Boolean).join(', ');
}

/** "Thứ Ba, 24/11/2026 · 08:30–09:30" */
export function whenText(day, startsAt, endsAt) {
  return `${formatDay(day, lang())} · ${timeRange(startsAt, endsAt, lang())}`;
}

/** The same, for the page: the time range never breaks across lines. */
export function whenHtml(day, startsAt, endsAt) {
  return html`${formatDay(day, lang())} · <span class="nowrap">${timeRange(startsAt, endsAt, lang())}</span>`;
}

/**
 * Why a dose cannot be given, in a sentence for people: the rules engine's reason slug and the
 * date from which it is allowed (the API's `reason` and `eligible_from`, on a problem or an
 * eligibility option).
 */
export function eligibilityText({reason, eligible_from: from, dose_number: dose}, name) {
  const date = from ? formatDate(from, lang()) : '';
  const params = {name, date, dose: dose ?? ''};
  switch (reason) {
    case 'too-early': return from ? t('elig.too_early_from', params) : t('elig.too_early', params);
    case 'too-young': return from ? t('elig.too_young_from', params) : t('elig.too_young', params);
    case 'too-old': return t('elig.too_old', params);
    case 'product-not-allowed': return t('elig.product_not_allowed', params);
    case 'product-inactive': return t('elig.product_inactive', params);
    case 'no-rule': return t('elig.no_rule', params);
    case 'product-unknown': return t('elig.product_unknown', params);
    case 'disease-mismatch': return t('elig.disease_mismatch', params);
    default: return '';
  }
}

/**
 * A booking that the server refused, shown where the person acts: what went wrong, in their
 * words, and the way forward (a later date, the appointment already held, the registration).
 * The card's heading takes the focus (it is also said in the alert region).
 */
export function bookingProblem(e, {person, session = null}) {
  if (!e) return nothing;
  const p = e.problem ?? {};
  const name = person?.full_name ?? '';
  const ineligible = e.slug === 'not-eligible';
  const text = ineligible ? (eligibilityText(p, name) || e.detail) : e.detail;
  let next = nothing;
  if (ineligible && p.reason === 'too-early' && p.eligible_from) {
    next = html`<a class="button secondary" href=${vaxHref('/vaccination/sessions',
      {person: person?.id, from: p.eligible_from})}>${t('elig.find_from', {date: formatDate(p.eligible_from, lang())})}</a>`;
  } else if (ineligible && ['product-not-allowed', 'product-inactive'].includes(p.reason)) {
    next = html`<a class="button secondary" href=${vaxHref('/vaccination/sessions', {person: person?.id})}>${t('elig.find_other')}</a>`;
  } else if (e.slug === 'already-booked' && p.booking_id) {
    next = html`<a class="button secondary" href="#/bookings/${encodeURIComponent(p.booking_id)}">${t('book.see_booking')}</a>`;
  } else if (e.slug?.startsWith('registration-')) {
    next = html`<a class="button secondary" href=${vaxHref('/vaccination', {person: person?.id})}>${t('book.see_registration')}</a>`;
  } else if (e.slug === 'slot-full') {
    next = session ? html`<p class="hint">${t('book.pick_other_slot')}</p>` : nothing;
  }
  return html`<section class="card problem" aria-labelledby="book-problem-h" id="book-problem">
    <h2 id="book-problem-h" tabindex="-1">${ineligible ? t('elig.title') : e.title}</h2>
    ${text ? html`<p>${text}</p>` : nothing}
    ${next}
  </section>`;
}

/** A history of status changes, oldest first. */
export function historyList(history) {
  if (!history?.length) return nothing;
  return html`<ol class="timeline">
    ${history.map((h) => html`<li>
      <span class="when">${formatDateTime(h.at, lang())}</span>
      <span class="what">${t(`vax.status_${keyOf(h.status)}`)}${h.reason ? html` — ${h.reason}` : nothing}</span>
    </li>`)}
  </ol>`;
}
