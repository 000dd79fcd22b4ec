import {html} from 'lit-html';
import {t} from '../i18n/index.js';

export default {
  title: 'notfound.title',
  view: () => html`<h1>${t('notfound.title')}</h1><p>${t('notfound.lead')}</p>
    <p><a class="button secondary" href="#/">${t('nav.home')}</a></p>`,
};
