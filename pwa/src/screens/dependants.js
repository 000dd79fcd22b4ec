// Everyone this account manages, with ways to add, be invited and claim.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {state, refresh} from '../state.js';
import {formatDate} from '../format.js';
import {problemText} from './common.js';

export default {
  title: 'people.title',

  enter(ctx) {
    ctx.s.invitations = null;
    refresh().then(() => ctx.update()).catch((e) => ctx.announce(problemText(e), {error: true}));
    api.get('/guardian-invitations').then((list) => { ctx.s.invitations = list; ctx.update(); })
      .catch(() => {});
  },

  view(ctx) {
    const n = ctx.s.invitations?.length ?? 0;
    return html`
      <h1>${t('people.title')}</h1>
      ${n ? html`<p class="card attention"><a href="#/invitations">${t('people.invitations', {n})}</a></p>` : nothing}
      <ul class="list people">
        ${state.people.map((p) => html`<li>
          <a class="row" href="#/people/${encodeURIComponent(p.id)}">
            <span class="name">${p.full_name}</span>
            <span class="meta">${p.relation === 'self' ? t('people.me') : t('people.dependant')}
              ${p.date_of_birth ? html` · ${formatDate(p.date_of_birth, lang())}` : nothing}</span>
          </a></li>`)}
      </ul>
      <p><a class="button primary" href="#/dependants/new">${t('people.add')}</a></p>
      <p><a class="button secondary" href="#/invitations">${t('people.inbox')}</a></p>`;
  },
};
