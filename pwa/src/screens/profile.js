// One's own profile: filled in after the first sign-in, editable later.
import {html, nothing} from 'lit-html';
import {t} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {formatVnPhone} from '../phone.js';
import {state, refresh, setActive} from '../state.js';
import {supportsPasskeys} from '../passkeys.js';
import {initForm, personForm, valuesFrom} from './person-form.js';

export default {
  title: 'profile.title',

  enter(ctx) {
    const me = state.me;
    ctx.s.first = !me.person;
    ctx.s.intent = new Intent();
    initForm(ctx, valuesFrom(me.person, me.person ? {} : {phone: formatVnPhone(me.phone)}));
  },

  view(ctx) {
    const first = ctx.s.first;
    const send = (body) => api.put('/people/me', body);
    const onDone = async (person) => {
      await refresh();
      setActive(person.id);
      const next = first && supportsPasskeys() && !state.me.passkey_count ? '#/passkey?first=1' : '#/';
      ctx.go(next, t('profile.saved'));
    };
    return html`
      <h1>${t(first ? 'profile.first_title' : 'profile.title')}</h1>
      ${first ? html`<p class="lead">${t('profile.first_lead')}</p>
        <p class="aside">${t('profile.claim_q')} <a href="#/claim">${t('profile.claim_link')}</a></p>` : nothing}
      ${personForm(ctx, {submitLabel: t(first ? 'profile.create' : 'form.save'), send, onDone})}`;
  },
};
