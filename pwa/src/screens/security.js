// Passkeys and sessions: list, add, revoke; and signing out.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {state, refresh, forgetDevice} from '../state.js';
import {disablePush} from '../notify.js';
import {formatDateTime} from '../format.js';
import {formatVnPhone} from '../phone.js';
import {field, formValues} from '../ui.js';
import {supportsPasskeys, addPasskey, defaultPasskeyName, isWebAuthnRefusal} from '../passkeys.js';
import {busyButton, problemText} from './common.js';

export default {
  title: 'security.title',

  enter(ctx) {
    Object.assign(ctx.s, {passkeys: null, sessions: null, name: defaultPasskeyName(), busy: false});
    load(ctx);
  },

  view(ctx) {
    const s = ctx.s;
    const me = state.me;
    return html`
      <h1>${t('security.title')}</h1>
      ${me ? html`<p class="lead">${t('security.signed_in_as', {phone: formatVnPhone(me.phone)})}
        ${me.via === 'passkey' ? t('security.via_passkey') : t('security.via_otp')}</p>` : nothing}
      ${passkeysSection(ctx)}
      ${sessionsSection(ctx)}
      <section class="section" aria-labelledby="so-h">
        <h2 id="so-h">${t('security.signout_heading')}</h2>
        ${busyButton(s.signingOut, t('security.signout'), t('security.signing_out'),
                     {cls: 'danger', type: 'button', onClick: () => signOut(ctx)})}
      </section>`;
  },
};

async function load(ctx) {
  try {
    const [passkeys, sessions] = await Promise.all([api.get('/auth/passkeys'), api.get('/auth/sessions')]);
    Object.assign(ctx.s, {passkeys, sessions});
  } catch (e) {
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

export async function signOut(ctx) {
  ctx.s.signingOut = true; ctx.update();
  try {
    await disablePush().catch(() => {});  // before the session ends (the contract's rule)
    await api.post('/auth/logout', {});
  } catch (e) {
    if (e.status !== 401) {
      ctx.s.signingOut = false;
      ctx.announce(problemText(e), {error: true});
      return;
    }
  }
  await forgetDevice();
  ctx.go('#/signin', t('security.signed_out'));
}

function passkeysSection(ctx) {
  const s = ctx.s;
  const add = async (ev) => {
    ev.preventDefault();
    s.name = formValues(ev.target).name || defaultPasskeyName();
    s.busy = true; ctx.update();
    try {
      await addPasskey(s.name);
      ctx.announce(t('passkey.added'));
      await refresh();
      await load(ctx);
    } catch (e) {
      ctx.announce(isWebAuthnRefusal(e) ? t('passkey.refused') : problemText(e), {error: true});
    } finally {
      s.busy = false; ctx.update();
    }
  };
  const revoke = async (pk) => {
    if (!confirm(t('passkey.revoke_confirm', {name: pk.name}))) return;
    try {
      await api.del(`/auth/passkeys/${encodeURIComponent(pk.id)}`);
      ctx.announce(t('passkey.revoked', {name: pk.name}));
      await refresh();
      await load(ctx);
    } catch (e) {
      ctx.announce(problemText(e), {error: true});
    }
  };
  return html`<section class="section" aria-labelledby="pk-h">
    <h2 id="pk-h">${t('passkey.list_heading')}</h2>
    ${s.passkeys === null ? html`<p class="loading">${t('app.loading')}</p>`
      : s.passkeys.length === 0 ? html`<p>${t('passkey.none')}</p>`
      : html`<ul class="list">${s.passkeys.map((pk) => html`<li class="row">
          <span class="name">${pk.name}</span>
          <span class="meta">${t('passkey.created', {at: formatDateTime(pk.created_at, lang())})}
            · ${pk.last_used_at ? t('passkey.last_used', {at: formatDateTime(pk.last_used_at, lang())}) : t('passkey.never_used')}</span>
          <button type="button" class="small danger" @click=${() => revoke(pk)}
            aria-label=${t('passkey.revoke_label', {name: pk.name})}>${t('passkey.revoke')}</button>
        </li>`)}</ul>`}
    ${supportsPasskeys() ? html`<form class="card" novalidate @submit=${add}>
      ${field({name: 'name', label: t('passkey.name'), value: s.name, hint: t('passkey.name_hint'),
               autocomplete: 'off', prefix: 'sec'})}
      ${busyButton(s.busy, t('passkey.add'), t('passkey.adding'), {cls: 'secondary'})}
    </form>` : html`<p>${t('passkey.unsupported')}</p>`}
  </section>`;
}

function sessionsSection(ctx) {
  const s = ctx.s;
  const revoke = async (ses) => {
    try {
      await api.del(`/auth/sessions/${encodeURIComponent(ses.id)}`);
      ctx.announce(t('sessions.revoked'));
      await load(ctx);
    } catch (e) {
      ctx.announce(problemText(e), {error: true});
    }
  };
  return html`<section class="section" aria-labelledby="ses-h">
    <h2 id="ses-h">${t('sessions.heading')}</h2>
    ${s.sessions === null ? html`<p class="loading">${t('app.loading')}</p>`
      : html`<ul class="list">${s.sessions.map((ses) => html`<li class="row">
          <span class="name">${describeAgent(ses.user_agent)}
            ${ses.current ? html`<span class="badge">${t('sessions.current')}</span>` : nothing}</span>
          <span class="meta">${t(ses.via === 'passkey' ? 'sessions.via_passkey' : 'sessions.via_otp')}
            · ${t('sessions.since', {at: formatDateTime(ses.created_at, lang())})}
            · ${t('sessions.seen', {at: formatDateTime(ses.last_seen_at, lang())})}</span>
          ${ses.current ? nothing : html`<button type="button" class="small danger" @click=${() => revoke(ses)}
            aria-label=${t('sessions.revoke_label', {name: describeAgent(ses.user_agent)})}>${t('sessions.revoke')}</button>`}
        </li>`)}</ul>`}
  </section>`;
}

/** "Chrome · Android" rather than a 120-character user agent string. */
function describeAgent(ua = '') {
  if (!ua) return t('sessions.unknown_device');
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS'
    : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /HeadlessChrome/.test(ua) ? 'Chrome (headless)'
    : /Chrome\/|Chromium\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : '';
  return [browser, os].filter(Boolean).join(' · ') || ua.slice(0, 40);
}
