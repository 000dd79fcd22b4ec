// Home: the active profile's QR code, large, and the profiles this account manages.
import {html, nothing} from 'lit-html';
import {t} from '../i18n/index.js';
import {api} from '../api.js';
import {state, activePerson, setActive, refresh} from '../state.js';
import {badgeStyle, cachedPassports, loadPassports} from './passports.js';

export default {
  title: 'home.title',

  enter(ctx) {
    ctx.s.invitations = 0;
    ctx.s.qrFailed = false;
    if (!state.offline) {
      refresh().then(() => ctx.update()).catch(() => {});
      const p = activePerson();
      if (p) loadPassports(p.id).then(() => ctx.update()).catch(() => {});
      api.get('/guardian-invitations').then((l) => { ctx.s.invitations = l.length; ctx.update(); }).catch(() => {});
    }
  },

  view(ctx) {
    const p = activePerson();
    const s = ctx.s;
    if (!p) {
      return html`<h1>${t('home.title')}</h1><p>${t('home.no_profile')}</p>
        <p><a class="button primary" href="#/profile">${t('profile.create')}</a></p>`;
    }
    const self = p.relation === 'self';
    const src = `/api/v1/people/${encodeURIComponent(p.id)}/qr.svg`;
    const choose = (id) => {
      setActive(id);
      s.qrFailed = false;
      ctx.update();
      ctx.announce(t('home.switched', {name: state.people.find((x) => x.id === id)?.full_name ?? ''}));
    };
    return html`
      <h1>${self ? t('home.my_qr') : t('home.qr_of', {name: p.full_name})}</h1>
      ${state.offline ? html`<p class="card attention">${t('home.offline_qr')}</p>` : nothing}
      <figure class="qr">
        ${s.qrFailed ? html`<p class="qr-missing">${t('home.qr_unavailable')}</p>`
          : html`<img src=${src} width="320" height="320" id="qr-img"
              alt=${t('home.qr_alt', {name: p.full_name})}
              @error=${() => { s.qrFailed = true; ctx.update(); }}>`}
        <figcaption>
          <strong class="qr-name">${p.full_name}</strong>
          <span>${t('home.bright_hint')}</span>
        </figcaption>
      </figure>
      ${(() => {
        const pp = cachedPassports(p.id);  // the domestic status, kept for offline use
        return pp ? html`<p><a href="#/passports" class="badge status-${pp.status}" style=${badgeStyle(pp.status)} data-status=${pp.status}
          id="home-status">${t(`passports.status_${pp.status}`)} · ${t('passports.link')}</a></p>` : nothing;
      })()}
      ${s.invitations ? html`<p class="card attention"><a href="#/invitations">${t('people.invitations', {n: s.invitations})}</a></p>` : nothing}
      <section class="section" aria-labelledby="sw-h">
        <h2 id="sw-h">${t('home.profiles')}</h2>
        <ul class="switcher">
          ${state.people.map((x) => html`<li>
            <button type="button" class="choice" aria-pressed=${x.id === p.id ? 'true' : 'false'}
              @click=${() => choose(x.id)}>
              <span class="name">${x.full_name}</span>
              <span class="meta">${x.relation === 'self' ? t('people.me') : t('people.dependant')}</span>
            </button></li>`)}
        </ul>
      </section>
      ${state.offline ? nothing : html`<nav class="links" aria-label=${t('home.more')}>
        <a class="button primary" id="doses-link" href=${`#/doses?person=${encodeURIComponent(p.id)}`}>${t('home.doses_link')}</a>
        <a class="button secondary" href="#/dependants/new">${t('people.add')}</a>
        <a class="button secondary" href=${self ? '#/profile' : `#/people/${encodeURIComponent(p.id)}`}>${t('home.profile_link')}</a>
        <a class="button secondary" href="#/security">${t('nav.security')}</a>
      </nav>`}`;
  },
};
