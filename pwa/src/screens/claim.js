// Claim my profile: a guardian made it for me; I prove it with my ID number, birthday and a code.
import {html} from 'lit-html';
import {t} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {refresh, setActive} from '../state.js';
import {field, radios, formValues, formError, missing, focusFirstError, localMsg} from '../ui.js';
import {busyButton, problemText} from './common.js';

export default {
  title: 'claim.title',

  enter(ctx) {
    Object.assign(ctx.s, {step: 'ask', values: {national_id: '', date_of_birth: '', code: '', keep: 'keep'},
                          claim: null, errors: null, error: null, busy: false,
                          askIntent: new Intent(), confirmIntent: new Intent()});
  },

  view(ctx) {
    return ctx.s.step === 'ask' ? ask(ctx) : confirmStep(ctx);
  },
};

async function run(ctx, fn) {
  const s = ctx.s;
  s.busy = true; s.errors = null; s.error = null; ctx.update();
  try {
    return await fn();
  } catch (e) {
    s.error = e; s.errors = e.errors;
    ctx.announce(problemText(e), {error: true});
    focusFirstError();
    return undefined;
  } finally {
    s.busy = false; ctx.update();
  }
}

function localErrors(ctx, errors) {
  ctx.s.errors = errors; ctx.s.error = null;
  ctx.announce(t('form.fix_errors'), {error: true});
  ctx.update(); focusFirstError();
}

function ask(ctx) {
  const s = ctx.s;
  const submit = async (ev) => {
    ev.preventDefault();
    Object.assign(s.values, formValues(ev.target));
    const errors = missing(s.values, ['national_id', 'date_of_birth']) ?? {};
    if (s.values.national_id && !/^\d{12}$/.test(s.values.national_id)) errors.national_id = [localMsg('person.national_id_invalid')];
    if (Object.keys(errors).length) return localErrors(ctx, errors);
    const body = {national_id: s.values.national_id, date_of_birth: s.values.date_of_birth};
    const claim = await run(ctx, () => api.post('/people/claims', body, {idempotencyKey: s.askIntent.keyFor(body)}));
    if (!claim) return;
    s.askIntent.done();
    s.claim = claim;
    s.step = 'confirm';
    ctx.announce(t('claim.code_sent', {phone: claim.phone_hint}));
    ctx.update();
    requestAnimationFrame(() => document.getElementById('claim-code')?.focus());
  };
  return html`
    <h1>${t('claim.title')}</h1>
    <p class="lead">${t('claim.lead')}</p>
    <form class="card" novalidate @submit=${submit}>
      ${field({name: 'national_id', label: t('person.national_id'), value: s.values.national_id, required: true,
               inputmode: 'numeric', maxlength: 12, autocomplete: 'off', errors: s.errors, prefix: 'claim'})}
      ${field({name: 'date_of_birth', label: t('person.date_of_birth'), type: 'date', required: true,
               value: s.values.date_of_birth, autocomplete: 'bday', errors: s.errors, prefix: 'claim'})}
      ${formError(s.error && !(s.errors && Object.keys(s.errors).length) ? s.error : null)}
      ${busyButton(s.busy, t('claim.send_code'), t('signin.sending'))}
    </form>`;
}

function confirmStep(ctx) {
  const s = ctx.s;
  const submit = async (ev) => {
    ev.preventDefault();
    Object.assign(s.values, formValues(ev.target));
    if (!/^\d{6}$/.test(s.values.code)) return localErrors(ctx, {code: [localMsg('signin.code_invalid')]});
    const body = {code: s.values.code, keep_guardians: s.values.keep === 'keep'};
    const person = await run(ctx, () => api.post(`/people/claims/${encodeURIComponent(s.claim.id)}/confirm`, body,
                                                 {idempotencyKey: s.confirmIntent.keyFor(body)}));
    if (!person) return;
    s.confirmIntent.done();
    await refresh();
    setActive(person.id);
    ctx.go('#/', t('claim.done'));
  };
  return html`
    <h1>${t('claim.confirm_title')}</h1>
    <p class="lead">${t('claim.confirm_lead', {phone: s.claim.phone_hint})}</p>
    <form class="card" novalidate @submit=${submit}>
      ${field({name: 'code', label: t('signin.code'), value: s.values.code, required: true, maxlength: 6,
               inputmode: 'numeric', autocomplete: 'one-time-code', errors: s.errors, prefix: 'claim'})}
      ${radios({name: 'keep', legend: t('claim.keep_legend'), value: s.values.keep, required: true, prefix: 'claim',
                errors: s.errors?.keep_guardians ? {keep: s.errors.keep_guardians} : null,
                options: [{value: 'keep', label: t('claim.keep_yes')}, {value: 'end', label: t('claim.keep_no')}]})}
      ${formError(s.error && !(s.errors && Object.keys(s.errors).length) ? s.error : null)}
      ${busyButton(s.busy, t('claim.confirm'), t('signin.verifying'))}
    </form>`;
}
