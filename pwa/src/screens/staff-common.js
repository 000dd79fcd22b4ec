// What the staff screens share: which roles are in force, the card shown when a staff role
// needs a passkey session, and the lists of units and vaccines they pick from.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {state} from '../state.js';
import {busyButton} from './common.js';
import {signOut} from './security.js';

export const DEPARTMENT = ['department_staff', 'national_admin'];
export const SITE = ['site_staff', 'department_staff', 'national_admin'];
export const ADMIN = ['national_admin'];

/** Roles assigned to the account (whether or not this session may use them). */
export function heldRoles(roles) {
  return (state.me?.held_roles ?? state.me?.roles ?? []).filter((r) => roles.includes(r.role));
}

/** Roles in force in this session (a staff role needs a passkey session). */
export function activeRoles(roles) {
  return (state.me?.roles ?? []).filter((r) => roles.includes(r.role));
}

/**
 * What a staff screen shows instead of its content when the account cannot use it yet:
 * no such role (a sentence), or the role waits for a passkey session (how to get one).
 * @returns the template, or null when the screen may be shown
 */
export function staffGate(ctx, roles, titleKey) {
  if (!heldRoles(roles).length) {
    return html`<h1>${t(titleKey)}</h1><p>${t('work.no_role')}</p>
      <p><a class="button secondary" href="#/work">${t('work.title')}</a></p>`;
  }
  if (!activeRoles(roles).length || state.me?.staff_needs_passkey) {
    return html`<h1>${t(titleKey)}</h1>
      <div class="card attention">
        <h2>${t('staff.needs_passkey_heading')}</h2>
        <p>${t('staff.needs_passkey')}</p>
        ${state.me?.passkey_count ? html`<p>${t('staff.needs_passkey_signin')}</p>
            ${busyButton(!!ctx.s.signingOut, t('staff.signout_for_passkey'), t('security.signing_out'),
                         {cls: 'primary', type: 'button', onClick: () => signOut(ctx)})}`
          : html`<p>${t('staff.needs_passkey_add')}</p>
            <a class="button primary" href="#/security">${t('staff.add_passkey')}</a>`}
      </div>`;
  }
  return null;
}

/** "Site", "Health centre"… for a unit kind. */
export function kindLabel(kind) {
  return t(`unit.kind_${kind}`);
}

/** The units this account reaches (in tree order), optionally of some kinds. */
export async function loadUnits(kinds = null) {
  const all = await api.get('/org-units');
  return kinds ? all.filter((u) => kinds.includes(u.kind)) : all;
}

/** A product's name in the current language. */
export function productName(p) {
  if (!p) return '';
  return (lang() === 'en' ? p.name_en : p.name_vi) || p.name_vi || p.name_en || p.code;
}

/** "Trạm Y tế phường Hải Châu (DN-HC)" for a <select>. */
export function unitOption(u) {
  return {value: u.id, label: `${u.name} (${u.code})`};
}

/** A short line saying where a unit is: ward, province. */
export function placeLine(parts) {
  const text = parts.filter(Boolean).join(', ');
  return text ? html`<span>${text}</span>` : nothing;
}

/**
 * A short input whose group already says it may stay empty (intervals, ages, coordinates): the
 * same markup as ui.field without the "(optional)" note, which would wrap in narrow columns.
 */
export function shortField({name, label, value = '', errors = null, prefix = 'f', inputmode = 'numeric',
                            placeholder}) {
  const id = `${prefix}-${name}`;
  const e = errors?.[name]?.map((m) => (typeof m === 'string' && m.startsWith('@') ? t(m.slice(1)) : m)) ?? null;
  return html`<div class="field ${e ? 'invalid' : ''}">
    <label for=${id}>${label}</label>
    <input id=${id} name=${name} type="text" .value=${value ?? ''} inputmode=${inputmode} autocomplete="off"
      aria-invalid=${e ? 'true' : 'false'} aria-describedby=${e ? `${id}-err` : nothing}
      placeholder=${placeholder ?? nothing}>
    ${e ? html`<p class="field-error" id="${id}-err">${e.join(' ')}</p>` : nothing}
  </div>`;
}
