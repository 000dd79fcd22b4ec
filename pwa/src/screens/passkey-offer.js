// After the profile is made: offer a passkey, so next time needs no SMS code.
import {html, nothing} from 'lit-html';
import {t} from '../i18n/index.js';
import {refresh} from '../state.js';
import {field, formValues} from '../ui.js';
import {supportsPasskeys, addPasskey, defaultPasskeyName, isWebAuthnRefusal} from '../passkeys.js';
import {busyButton, problemText} from './common.js';

export default {
  title: 'passkey.offer_title',

  enter(ctx) {
    ctx.s.name = defaultPasskeyName();
  },

  view(ctx) {
    const s = ctx.s;
    const submit = async (ev) => {
      ev.preventDefault();
      s.name = formValues(ev.target).name || defaultPasskeyName();
      s.busy = true; ctx.update();
      try {
        await addPasskey(s.name);
        await refresh();
        ctx.go('#/', t('passkey.added'));
      } catch (e) {
        ctx.announce(isWebAuthnRefusal(e) ? t('passkey.refused') : problemText(e), {error: true});
      } finally {
        s.busy = false; ctx.update();
      }
    };
    if (!supportsPasskeys()) {
      return html`<h1>${t('passkey.offer_title')}</h1><p>${t('passkey.unsupported')}</p>
        <p><a class="button secondary" href="#/">${t('passkey.later')}</a></p>`;
    }
    return html`
      <h1>${t('passkey.offer_title')}</h1>
      <p class="lead">${t('passkey.offer_lead')}</p>
      <ul class="bullets">
        <li>${t('passkey.offer_point1')}</li>
        <li>${t('passkey.offer_point2')}</li>
      </ul>
      <form class="card" novalidate @submit=${submit}>
        ${field({name: 'name', label: t('passkey.name'), value: s.name, hint: t('passkey.name_hint'),
                 autocomplete: 'off', prefix: 'pk'})}
        ${busyButton(!!s.busy, t('passkey.add'), t('passkey.adding'))}
      </form>
      <p><a class="button secondary" href="#/">${t('passkey.later')}</a></p>`;
  },
};
