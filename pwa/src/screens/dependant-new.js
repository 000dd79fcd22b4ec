// Add a dependant: a child without an ID card, an elderly parent with one.
import {html} from 'lit-html';
import {t} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {refresh} from '../state.js';
import {initForm, personForm, valuesFrom} from './person-form.js';

export default {
  title: 'dependant.new_title',

  enter(ctx) {
    ctx.s.intent = new Intent();
    initForm(ctx, valuesFrom(null));
  },

  view(ctx) {
    const send = (body) => api.post('/people/dependants', body, {idempotencyKey: ctx.s.intent.keyFor(body)});
    const onDone = async (person) => {
      ctx.s.intent.done();
      await refresh();
      ctx.go(`#/people/${encodeURIComponent(person.id)}`, t('dependant.added', {name: person.full_name}));
    };
    return html`
      <h1>${t('dependant.new_title')}</h1>
      <p class="lead">${t('dependant.new_lead')}</p>
      ${personForm(ctx, {withRelationship: true, submitLabel: t('dependant.add'), send, onDone})}`;
  },
};
