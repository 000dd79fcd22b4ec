// Little things several screens need.
import {html, nothing} from 'lit-html';
import {t} from '../i18n/index.js';
import {refresh, state, isStaff} from '../state.js';

/** After any sign-in: load the account, then go where it should start. */
export async function afterSignIn(ctx) {
  await refresh();
  if (state.me?.person) ctx.go('#/');
  else ctx.go(isStaff() ? '#/staff' : '#/profile');
}

/** A failed request's message for the live region; offline and rate limits get their own text. */
export function problemText(e) {
  if (!e) return '';
  if (e.name !== 'ApiError') return t('error.unexpected');
  if (e.status === 429 && e.retryAfter) return `${e.title} ${t('error.retry_after', {seconds: e.retryAfter})}`;
  return [e.title, e.detail].filter(Boolean).filter((v, i, a) => a.indexOf(v) === i).join(' — ');
}

export function heading(key, params) {
  return html`<h1>${t(key, params)}</h1>`;
}

export function busyButton(busy, label, busyLabel, {cls = 'primary', type = 'submit', onClick} = {}) {
  return html`<button type=${type} class=${cls} ?disabled=${busy} aria-busy=${busy ? 'true' : 'false'}
    @click=${onClick ?? nothing}>${busy ? busyLabel : label}</button>`;
}

export const RELATIONSHIPS = ['child', 'parent', 'grandparent', 'other'];

export function relationshipOptions() {
  return RELATIONSHIPS.map((r) => ({value: r, label: t(`relationship.${r}`)}));
}

export function sexLabel(sex) {
  return sex === 'F' ? t('sex.F') : sex === 'M' ? t('sex.M') : '';
}

/** Embedded mode writes the SMS to a file; a local server gets a hint saying where. */
export function isDevHost() {
  return ['localhost', '127.0.0.1', '[::1]'].includes(location.hostname);
}

export {state};
