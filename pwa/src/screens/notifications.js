// Notification settings: channels (push, SMS, e-mail with its verification code), the language
// of the messages, quiet hours, and "allow notifications" for this browser.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {state} from '../state.js';
import {field, formError, focusFirstError, localMsg} from '../ui.js';
import {pushSupported, enablePush, disablePush, vapidKey, currentSubscription} from '../notify.js';
import {problemText, busyButton} from './common.js';

const LANG_SET_KEY = 'ssk.notify-lang';  // the account whose message language we set once

export default {
  title: 'notify.title',

  enter(ctx) {
    ctx.s.v = null;
    ctx.s.error = null;
    ctx.s.push = {available: null, permission: pushSupported() ? Notification.permission : 'unsupported',
                  subscribed: false};
    load(ctx);
    vapidKey().then((k) => { ctx.s.push.available = !!k; ctx.update(); })
      .catch(() => { ctx.s.push.available = false; ctx.update(); });
    currentSubscription().then((sub) => { ctx.s.push.subscribed = !!sub; ctx.update(); }).catch(() => {});
  },

  view(ctx) {
    const v = ctx.s.v;
    if (!v) return html`<h1>${t('notify.title')}</h1><p class="loading">${t('app.loading')}</p>`;
    const errors = ctx.s.error?.errors ?? null;
    const onChange = (ev) => {
      const el = ev.target;
      if (!el.name) return;
      if (el.type === 'checkbox') v[el.name] = el.checked;
      else if (el.type === 'radio') { if (el.checked) v[el.name] = el.value; }
      else v[el.name] = el.value.trim();
      ctx.update();
    };
    const needsCode = v.email_address && !v.email_verified && v.email_address === ctx.s.savedEmail;
    return html`
      <h1>${t('notify.title')}</h1>
      <p class="lead">${t('notify.lead')}</p>
      ${deviceSection(ctx)}
      <form novalidate @change=${onChange} @submit=${(e) => { e.preventDefault(); save(ctx); }}>
        <fieldset class="field group">
          <legend>${t('notify.channels')}</legend>
          ${ctx.s.push.available === false ? html`<p class="hint">${t('notify.push_unavailable')}</p>` : html`
            ${check('push', t('notify.push'), v.push, t('notify.push_hint', {n: v.devices?.webpush ?? 0}), errors)}`}
          ${check('sms', t('notify.sms'), v.sms, v.sms_phone_hint ? t('notify.sms_hint', {phone: v.sms_phone_hint}) : '', errors)}
          ${check('email', t('notify.email'), v.email, '', errors)}
          ${v.email ? field({name: 'email_address', label: t('notify.email_address'), type: 'email',
            value: v.email_address ?? '', errors, autocomplete: 'email', inputmode: 'email', prefix: 'ns',
            required: true,
            hint: v.email_verified && v.email_address === ctx.s.savedEmail ? t('notify.email_verified')
              : t('notify.email_hint')}) : nothing}
        </fieldset>
        <fieldset class="field radios">
          <legend>${t('notify.language')}</legend>
          ${[['vi', 'Tiếng Việt'], ['en', 'English']].map(([code, label]) => html`<label class="radio" lang=${code}>
            <input type="radio" name="language" value=${code} .checked=${v.language === code}><span>${label}</span></label>`)}
        </fieldset>
        <fieldset class="field group">
          <legend>${t('notify.quiet')}</legend>
          <p class="hint" id="ns-quiet-hint">${t('notify.quiet_hint')}</p>
          ${check('quiet', t('notify.quiet_on'), v.quiet, '', null)}
          ${v.quiet ? html`<div class="times">
            ${field({name: 'quiet_start', label: t('notify.quiet_start'), type: 'time', value: v.quiet_start,
                     errors: remap(errors, 'quiet_hours.start', 'quiet_start'), prefix: 'ns', required: true})}
            ${field({name: 'quiet_end', label: t('notify.quiet_end'), type: 'time', value: v.quiet_end,
                     errors: remap(errors, 'quiet_hours.end', 'quiet_end', 'quiet_hours'), prefix: 'ns', required: true})}
          </div>` : nothing}
        </fieldset>
        ${formError(ctx.s.error && !Object.keys(errors ?? {}).length ? ctx.s.error : null)}
        ${busyButton(ctx.s.saving, t('form.save'), t('form.saving'))}
      </form>
      ${needsCode ? codeSection(ctx) : nothing}`;
  },
};

function check(name, label, checked, hint, errors) {
  const id = `ns-${name}`;
  const e = errors?.[name];
  return html`<div class="field check ${e ? 'invalid' : ''}">
    <label for=${id} class="radio"><input type="checkbox" id=${id} name=${name} .checked=${!!checked}
      aria-describedby=${hint || e ? `${hint ? `${id}-hint` : ''} ${e ? `${id}-err` : ''}`.trim() : nothing}>
      <span>${label}</span></label>
    ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : nothing}
    ${e ? html`<p class="field-error" id="${id}-err">${e.join(' ')}</p>` : nothing}
  </div>`;
}

/** Server error keys → the names of our own fields. */
function remap(errors, ...from) {
  const to = from.length > 1 ? from[1] : from[0];
  const list = [from[0], ...from.slice(2)].flatMap((k) => errors?.[k] ?? []);
  return list.length ? {[to]: list} : null;
}

function deviceSection(ctx) {
  const p = ctx.s.push;
  if (p.available === false) return nothing;
  const status = p.permission === 'unsupported' ? t('notify.device_unsupported')
    : p.permission === 'denied' ? t('notify.device_denied')
    : p.subscribed ? t('notify.device_on') : t('notify.device_off');
  const allow = async () => {
    p.busy = true; ctx.update();
    try {
      const result = await enablePush();
      p.permission = pushSupported() ? Notification.permission : 'unsupported';
      p.subscribed = result === 'granted';
      if (p.subscribed) {
        ctx.announce(t('notify.device_enabled'));
        load(ctx);  // the device count changed
      } else if (result === 'denied') ctx.announce(t('notify.device_denied'), {error: true});
    } catch (e) {
      // e.g. AbortError when the browser cannot reach its push service
      ctx.announce(e.name === 'ApiError' ? problemText(e) : t('notify.device_failed'), {error: true});
    } finally {
      p.busy = false; ctx.update();
    }
  };
  const stop = async () => {
    p.busy = true; ctx.update();
    try {
      await disablePush();
      p.subscribed = false;
      ctx.announce(t('notify.device_disabled'));
      load(ctx);
    } catch (e) {
      ctx.announce(problemText(e), {error: true});
    } finally {
      p.busy = false; ctx.update();
    }
  };
  return html`<section class="card" aria-labelledby="ns-device-h">
    <h2 id="ns-device-h">${t('notify.device')}</h2>
    <p id="ns-device-status">${status}</p>
    ${p.permission === 'unsupported' || p.permission === 'denied' ? nothing
      : p.subscribed ? busyButton(p.busy, t('notify.device_stop'), t('form.saving'), {cls: 'secondary', type: 'button', onClick: stop})
      : busyButton(p.busy, t('notify.device_allow'), t('notify.device_asking'), {cls: 'primary', type: 'button', onClick: allow})}
  </section>`;
}

function codeSection(ctx) {
  const errors = ctx.s.codeError?.errors ?? null;
  const submit = async (e) => {
    e.preventDefault();
    const code = new FormData(e.target).get('code')?.toString().trim() ?? '';
    if (!/^\d{6}$/.test(code)) {
      ctx.s.codeError = {errors: {code: [localMsg('notify.code_invalid')]}};
      ctx.update(); focusFirstError();
      return;
    }
    ctx.s.verifying = true; ctx.s.codeError = null; ctx.update();
    try {
      fromServer(ctx, await api.post('/notification-settings/email-verification', {code}));
      ctx.announce(t('notify.email_done'));
    } catch (err) {
      const onField = ['email-code-wrong', 'email-code-expired', 'too-many-tries'].includes(err.slug);
      ctx.s.codeError = onField ? {errors: {code: [problemText(err)]}} : null;
      if (!onField) ctx.announce(problemText(err), {error: true});
      ctx.update(); focusFirstError();
    } finally {
      ctx.s.verifying = false; ctx.update();
    }
  };
  const resend = async () => {
    try {
      const r = await api.post('/notification-settings/email-code', {});
      ctx.announce(t('notify.code_sent', {email: r.sent_to}));
    } catch (err) {
      ctx.announce(problemText(err), {error: true});
    }
  };
  return html`<section class="card attention" aria-labelledby="ns-code-h">
    <h2 id="ns-code-h">${t('notify.code_title')}</h2>
    <p>${t('notify.code_lead', {email: ctx.s.v.email_address})}</p>
    <form novalidate @submit=${submit}>
      ${field({name: 'code', label: t('notify.code'), errors, inputmode: 'numeric', autocomplete: 'one-time-code',
               maxlength: 6, prefix: 'ns', required: true, hint: t('signin.code_hint')})}
      ${busyButton(ctx.s.verifying, t('notify.code_confirm'), t('signin.verifying'))}
    </form>
    <button type="button" class="link" @click=${resend}>${t('notify.code_resend')}</button>
  </section>`;
}

function fromServer(ctx, s) {
  ctx.s.savedEmail = s.email_address;
  ctx.s.v = {...s, quiet: !!s.quiet_hours, quiet_start: s.quiet_hours?.start ?? '21:00',
             quiet_end: s.quiet_hours?.end ?? '07:00'};
}

function body(v) {
  return {push: !!v.push, sms: !!v.sms, email: !!v.email,
          email_address: v.email ? (v.email_address || null) : (v.email_address || null),
          language: v.language,
          quiet_hours: v.quiet ? {start: v.quiet_start, end: v.quiet_end} : null,
          time_zone: v.time_zone || 'Asia/Ho_Chi_Minh'};
}

async function load(ctx) {
  try {
    const s = await api.get('/notification-settings');
    fromServer(ctx, s);
    // The first time this account opens the settings here, messages follow the app's language.
    let setFor = null;
    try { setFor = localStorage.getItem(LANG_SET_KEY); } catch { /* ignore */ }
    if (setFor !== state.me?.account_id) {
      try { localStorage.setItem(LANG_SET_KEY, state.me?.account_id ?? ''); } catch { /* ignore */ }
      if (s.language !== lang()) {
        ctx.s.v.language = lang();
        fromServer(ctx, await api.put('/notification-settings', body(ctx.s.v)));
      }
    }
  } catch (e) {
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}

async function save(ctx) {
  const v = ctx.s.v;
  if (v.email && !v.email_address) {
    ctx.s.error = {errors: {email_address: [localMsg('form.required')]}};
    ctx.update(); focusFirstError();
    return;
  }
  ctx.s.saving = true; ctx.s.error = null; ctx.update();
  try {
    const s = await api.put('/notification-settings', body(v));
    fromServer(ctx, s);
    ctx.announce(s.email_code_sent ? t('notify.saved_code_sent', {email: s.email_address}) : t('notify.saved'));
  } catch (e) {
    ctx.s.error = e;  // beside its fields, or above the button
    focusFirstError();
  } finally {
    ctx.s.saving = false; ctx.update();
  }
}
