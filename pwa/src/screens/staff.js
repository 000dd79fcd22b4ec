// Staff lookup: paste or scan a person's QR, give a reason (every read is audited), see the person.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {Intent} from '../intent.js';
import {state, isStaff, staffRoles} from '../state.js';
import {formatDate} from '../format.js';
import {formatVnPhone} from '../phone.js';
import {field, textarea, formValues, formError, missing, focusFirstError} from '../ui.js';
import {cameraAvailable, startScanner} from '../scanner.js';
import {busyButton, problemText, sexLabel} from './common.js';
import {signOut} from './security.js';

export default {
  title: 'staff.title',

  enter(ctx) {
    Object.assign(ctx.s, {qr: '', reason: '', errors: null, error: null, busy: false, result: null,
                          scanning: false, scanner: null, intent: new Intent()});
    ctx.onLeave(() => ctx.s.scanner?.stop());  // leaving the screen turns the camera off
  },

  view(ctx) {
    const me = state.me;
    const roles = staffRoles(me);
    if (!isStaff()) {
      return html`<h1>${t('staff.title')}</h1><p>${t('staff.not_staff')}</p>`;
    }
    return html`
      <h1>${t('staff.title')}</h1>
      <p class="lead">${roles.map((r) => t('staff.role_at', {role: t(`role.${r.role}`), unit: r.unit_name})).join('; ')}</p>
      ${me.staff_needs_passkey ? needsPasskey(ctx) : lookupForm(ctx)}
      ${ctx.s.result ? resultCard(ctx.s.result) : nothing}`;
  },
};

function needsPasskey(ctx) {
  const me = state.me;
  return html`<div class="card attention">
    <h2>${t('staff.needs_passkey_heading')}</h2>
    <p>${t('staff.needs_passkey')}</p>
    ${me.passkey_count ? html`<p>${t('staff.needs_passkey_signin')}</p>
        ${busyButton(!!ctx.s.signingOut, t('staff.signout_for_passkey'), t('security.signing_out'),
                     {cls: 'primary', type: 'button', onClick: () => signOut(ctx)})}`
      : html`<p>${t('staff.needs_passkey_add')}</p>
        <a class="button primary" href="#/security">${t('staff.add_passkey')}</a>`}
  </div>`;
}

function toggleScan(ctx) {
  const s = ctx.s;
  if (s.scanning) {
    s.scanner?.stop();
    s.scanning = false;
    ctx.update();
    return;
  }
  s.scanning = true;
  ctx.update();
  requestAnimationFrame(() => {
    const video = document.getElementById('scan-video');
    s.scanner = startScanner(video, {
      onResult: (text) => {
        s.scanning = false;
        s.qr = text;
        ctx.announce(t('staff.scanned'));
        ctx.update();
        requestAnimationFrame(() => document.getElementById('staff-reason')?.focus());
      },
      onError: (e) => {
        s.scanning = false;
        ctx.announce(`${t('staff.camera_error')} ${e?.message ?? ''}`, {error: true});
        ctx.update();
      },
    });
  });
}

function lookupForm(ctx) {
  const s = ctx.s;
  const submit = async (ev) => {
    ev.preventDefault();
    const v = formValues(ev.target);
    s.qr = v.qr; s.reason = v.reason;
    const errors = missing(v, ['qr', 'reason']);
    if (errors) {
      s.errors = errors; s.error = null;
      ctx.announce(t('form.fix_errors'), {error: true});
      ctx.update(); focusFirstError();
      return;
    }
    const body = {qr: v.qr, reason: v.reason};
    s.busy = true; s.errors = null; s.error = null; s.result = null; ctx.update();
    try {
      s.result = await api.post('/staff/person-lookups', body, {idempotencyKey: s.intent.keyFor(body)});
      s.intent.done();
      s.qr = '';  // ready for the next person; the reason usually stays the same
      ctx.announce(t('staff.found', {name: s.result.person.full_name}));
      requestAnimationFrame(() => document.getElementById('result-h')?.focus());
    } catch (e) {
      s.error = e; s.errors = e.errors;
      ctx.announce(problemText(e), {error: true});
      focusFirstError();
    } finally {
      s.busy = false; ctx.update();
    }
  };
  return html`<form class="card" novalidate @submit=${submit}>
    ${textarea({name: 'qr', label: t('staff.qr'), value: s.qr, required: true, hint: t('staff.qr_hint'),
                errors: s.errors, prefix: 'staff', rows: 3})}
    ${cameraAvailable() ? html`
      <button type="button" class="secondary" aria-pressed=${s.scanning ? 'true' : 'false'}
        @click=${() => toggleScan(ctx)}>${s.scanning ? t('staff.stop_camera') : t('staff.scan')}</button>
      ${s.scanning ? html`<video id="scan-video" class="scan" muted playsinline
        aria-label=${t('staff.camera_label')}></video>` : nothing}` : nothing}
    ${field({name: 'reason', label: t('staff.reason'), value: s.reason, required: true,
             hint: t('staff.reason_hint'), errors: s.errors, prefix: 'staff', autocomplete: 'off'})}
    ${formError(s.error && !(s.errors && Object.keys(s.errors).length) ? s.error : null)}
    ${busyButton(s.busy, t('staff.lookup'), t('staff.looking_up'))}
  </form>`;
}

function resultCard({person: p, unit_id: unit}) {
  return html`<section class="card result" aria-labelledby="result-h">
    <h2 id="result-h" tabindex="-1">${p.full_name}</h2>
    <dl class="facts">
      <div><dt>${t('person.date_of_birth')}</dt><dd>${formatDate(p.date_of_birth, lang())}</dd></div>
      <div><dt>${t('person.sex')}</dt><dd>${sexLabel(p.sex)}</dd></div>
      <div><dt>${t('person.address')}</dt><dd>${[p.address?.ward_name, p.address?.province_name].filter(Boolean).join(', ')}</dd></div>
      ${p.phone ? html`<div><dt>${t('person.phone')}</dt><dd>${formatVnPhone(p.phone)}</dd></div>` : nothing}
      <div><dt>${t('staff.unit')}</dt><dd>${staffRoles().find((r) => String(r.unit_id) === String(unit))?.unit_name ?? unit}</dd></div>
    </dl>
    <p class="hint">${t('staff.audited')}</p>
  </section>`;
}
