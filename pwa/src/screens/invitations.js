// Invitations to become a guardian of someone: accept or decline.
import {html} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {refresh} from '../state.js';
import {formatDateTime} from '../format.js';
import {problemText} from './common.js';

export default {
  title: 'invitations.title',

  enter(ctx) {
    ctx.s.list = null;
    load(ctx);
  },

  view(ctx) {
    const list = ctx.s.list;
    const act = async (inv, what) => {
      ctx.s.busy = inv.id; ctx.update();
      try {
        await api.post(`/guardian-invitations/${encodeURIComponent(inv.id)}/${what}`, {});
        ctx.announce(t(what === 'accept' ? 'invitations.accepted' : 'invitations.declined', {name: inv.person_name}));
        await refresh();
        await load(ctx);
      } catch (e) {
        ctx.announce(problemText(e), {error: true});
      } finally {
        ctx.s.busy = null; ctx.update();
      }
    };
    return html`
      <h1>${t('invitations.title')}</h1>
      ${list === null ? html`<p class="loading">${t('app.loading')}</p>`
        : list.length === 0 ? html`<p>${t('invitations.none')}</p>`
        : html`<ul class="list">${list.map((inv) => html`<li class="card">
            <p><strong>${inv.person_name}</strong></p>
            <p class="meta">${t('invitations.from', {name: inv.invited_by_name,
                               relationship: t(`relationship.${inv.relationship}`)})}
              · ${formatDateTime(inv.created_at, lang())}</p>
            <div class="actions">
              <button type="button" class="primary" ?disabled=${ctx.s.busy === inv.id}
                aria-label=${t('invitations.accept_label', {name: inv.person_name})}
                @click=${() => act(inv, 'accept')}>${t('invitations.accept')}</button>
              <button type="button" class="secondary" ?disabled=${ctx.s.busy === inv.id}
                aria-label=${t('invitations.decline_label', {name: inv.person_name})}
                @click=${() => act(inv, 'decline')}>${t('invitations.decline')}</button>
            </div></li>`)}</ul>`}`;
  },
};

async function load(ctx) {
  try {
    ctx.s.list = await api.get('/guardian-invitations');
  } catch (e) {
    ctx.s.list = [];
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}
