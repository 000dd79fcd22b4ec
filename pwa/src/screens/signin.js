// Sign in or sign up: a phone number, then the 6-digit code sent to it; or a passkey alone.
import {html, nothing} from 'lit-html';
import {t} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {normalizeVnPhone, formatVnPhone} from '../phone.js';
import {field, formValues, formError, focusFirstError, localMsg} from '../ui.js';
import {supportsPasskeys, signInWithPasskey, isWebAuthnRefusal} from '../passkeys.js';
import {afterSignIn, problemText, busyButton, isDevHost} from './common.js';

export default {
  title: 'signin.title',

  enter(ctx) {
    Object.assign(ctx.s, {step: 'phone', phone: '', challenge: null, errors: null, error: null,
                          busy: false, sendIntent: new Intent(), verifyIntent: new Intent()});
  },

  view(ctx) {
    const s = ctx.s;
    return s.step === 'phone' ? phoneStep(ctx) : codeStep(ctx);
  },
};

async function sendCode(ctx, phone) {
  const s = ctx.s;
  const body = {phone};
  s.busy = true; s.error = null; s.errors = null; ctx.update();
  try {
    s.challenge = await api.post('/auth/otp', body, {idempotencyKey: s.sendIntent.keyFor(body)});
    s.sendIntent.done();
    s.step = 'code';
    s.busy = false;
    ctx.announce(t('signin.code_sent', {phone: formatVnPhone(s.challenge.phone)}));
    requestAnimationFrame(() => document.getElementById('signin-code')?.focus());
  } catch (e) {
    s.busy = false;
    s.error = e;
    s.errors = e.errors ?? null;
    ctx.announce(problemText(e), {error: true});
    focusFirstError();
  }
}

function phoneStep(ctx) {
  const s = ctx.s;
  const submit = (ev) => {
    ev.preventDefault();
    const {phone} = formValues(ev.target);
    s.phone = phone;
    const e164 = normalizeVnPhone(phone);
    if (!e164) {
      s.errors = {phone: [localMsg(phone ? 'signin.phone_invalid' : 'form.required')]};
      s.error = null;
      ctx.announce(t(phone ? 'signin.phone_invalid' : 'form.required'), {error: true});
      focusFirstError();
      return;
    }
    sendCode(ctx, e164);
  };
  const passkey = async () => {
    s.pkBusy = true; ctx.update();
    try {
      await signInWithPasskey();
      await afterSignIn(ctx);
    } catch (e) {
      ctx.announce(isWebAuthnRefusal(e) ? t('passkey.refused') : problemText(e), {error: true});
    } finally {
      s.pkBusy = false; ctx.update();
    }
  };
  return html`
    <h1>${t('signin.title')}</h1>
    <p class="lead">${t('signin.lead')}</p>
    <form novalidate @submit=${submit} class="card">
      ${field({name: 'phone', label: t('signin.phone'), type: 'tel', value: s.phone, required: true,
               autocomplete: 'tel', inputmode: 'tel', hint: t('signin.phone_hint'),
               errors: s.errors, prefix: 'signin'})}
      ${formError(s.errors?.phone ? null : s.error)}
      ${busyButton(s.busy, t('signin.send_code'), t('signin.sending'))}
    </form>
    ${supportsPasskeys() ? html`
      <div class="or" aria-hidden="true"><span>${t('signin.or')}</span></div>
      <section class="card" aria-labelledby="pk-h">
        <h2 id="pk-h">${t('signin.passkey_heading')}</h2>
        <p>${t('signin.passkey_lead')}</p>
        ${busyButton(!!s.pkBusy, t('signin.passkey'), t('signin.passkey_busy'),
                     {cls: 'secondary', type: 'button', onClick: passkey})}
      </section>` : nothing}`;
}

function codeStep(ctx) {
  const s = ctx.s;
  const submit = async (ev) => {
    ev.preventDefault();
    const {code} = formValues(ev.target);
    s.code = code;
    if (!/^\d{6}$/.test(code)) {
      s.errors = {code: [localMsg('signin.code_invalid')]};
      ctx.announce(t('signin.code_invalid'), {error: true});
      ctx.update();
      focusFirstError();
      return;
    }
    const body = {challenge_id: s.challenge.challenge_id, code};
    s.busy = true; s.errors = null; s.error = null; ctx.update();
    try {
      await api.post('/auth/otp/verify', body, {idempotencyKey: s.verifyIntent.keyFor(body)});
      s.verifyIntent.done();
      await afterSignIn(ctx);
    } catch (e) {
      s.busy = false;
      s.error = e;
      s.errors = e.errors && Object.keys(e.errors).length ? e.errors : {code: [problemText(e)]};
      ctx.announce(problemText(e), {error: true});
      focusFirstError();
    }
  };
  const again = () => sendCode(ctx, s.challenge.phone);
  const change = () => {
    s.step = 'phone'; s.errors = null; s.error = null; s.code = '';
    ctx.update();
    requestAnimationFrame(() => document.getElementById('signin-phone')?.focus());
  };
  return html`
    <h1>${t('signin.code_title')}</h1>
    <p class="lead">${t('signin.code_lead', {phone: formatVnPhone(s.challenge.phone)})}</p>
    ${isDevHost() ? html`<p class="dev-hint">${t('signin.dev_hint')}</p>` : nothing}
    <form novalidate @submit=${submit} class="card">
      ${field({name: 'code', label: t('signin.code'), value: s.code, required: true,
               autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6,
               hint: t('signin.code_hint'), errors: s.errors, prefix: 'signin'})}
      ${busyButton(s.busy, t('signin.verify'), t('signin.verifying'))}
    </form>
    <div class="actions">
      <button type="button" class="link" @click=${again} ?disabled=${s.busy}>${t('signin.resend')}</button>
      <button type="button" class="link" @click=${change}>${t('signin.change_phone')}</button>
    </div>`;
}
