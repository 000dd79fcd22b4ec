// Checkpoint: scan (or paste) a vaccine passport and get a verdict on this device, from the
// trust and revocation lists kept here — no account and no network needed after one sync.
// The verdict region is always in the page (role=status) so screen readers hear each verdict;
// it shows the holder's name, date of birth and doses, and nothing more.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {formatDate, formatDateTime} from '../format.js';
import {cameraAvailable, startScanner} from '../scanner.js';
import {ageParts, applyFreshness, IssuerKeys, PRODUCT_NAMES, TrustList, verifyPassport} from '../verifier/index.js';
import {VerifierStore} from '../verifier/store.js';

const REFRESH_EVERY = 60_000; // redraw "updated 3 h ago"
const STATUS_ICON = {valid: '✓', invalid_signature: '✗', unknown_signer: '✗', expired: '✗', revoked: '✗',
                     not_a_passport: '?', cannot_confirm: '!'};

/** Can this browser verify offline? (Else the server checks, when there is a network.) */
function verifiesOffline() {
  return !!globalThis.crypto?.subtle && typeof DecompressionStream === 'function' && 'indexedDB' in globalThis;
}

export default {
  title: 'checkpoint.title',
  public: true, // a verdict needs no account: anyone holding the phone may check a passport

  enter(ctx) {
    const s = ctx.s;
    Object.assign(s, {store: verifiesOffline() ? new VerifierStore() : null, lists: null, fresh: {level: 'none'},
                      syncedAt: null, syncing: false, syncMessage: null, syncError: false, text: '',
                      result: null, checking: false, scanning: false, scanner: null, pasteError: null});
    const onOnline = () => sync(ctx);
    window.addEventListener('online', onOnline);
    const timer = setInterval(() => refreshStatus(ctx), REFRESH_EVERY);
    ctx.onLeave(() => {
      s.scanner?.stop(); // leaving the screen turns the camera off
      window.removeEventListener('online', onOnline);
      clearInterval(timer);
    });
    load(ctx).then(() => {
      if (navigator.onLine) return sync(ctx);
      s.syncMessage = 'checkpoint.sync_offline'; // say so: the lists shown are the ones kept here
      ctx.update();
      return null;
    });
  },

  view(ctx) {
    const s = ctx.s;
    return html`
      <style>${CSS}</style>
      <h1>${t('checkpoint.title')}</h1>
      <p class="lead">${t('checkpoint.lead')}</p>
      ${listsLine(ctx)}
      <section class="cp-verdict-region" aria-labelledby="cp-verdict-label">
        <h2 id="cp-verdict-label" class="cp-sr">${t('checkpoint.verdict_label')}</h2>
        <div id="cp-verdict" role="status" aria-live="polite" aria-atomic="true">
          ${s.result ? verdictCard(s.result) : nothing}</div>
      </section>
      ${scanner(ctx)}
      ${pasteForm(ctx)}`;
  },
};

// ---- lists: load from the device, sync with the server

async function load(ctx) {
  const s = ctx.s;
  if (!s.store) return;
  try {
    s.lists = await s.store.load();
  } catch {
    s.lists = null; // a stored list that no longer verifies is no list
  }
  await refreshStatus(ctx);
}

async function refreshStatus(ctx) {
  const s = ctx.s;
  if (!s.store) return;
  const {fresh, syncedAt} = await s.store.status();
  Object.assign(s, {fresh, syncedAt});
  ctx.update();
}

async function sync(ctx) {
  const s = ctx.s;
  if (!s.store || s.syncing) return;
  s.syncing = true;
  ctx.update();
  try {
    const {changed} = await s.store.sync();
    if (changed.length || !s.lists) await load(ctx);
    s.syncMessage = 'checkpoint.synced';
    s.syncError = false;
  } catch (e) {
    s.syncMessage = {offline: 'checkpoint.sync_offline', root_changed: 'checkpoint.sync_root_changed',
                     root_mismatch: 'checkpoint.sync_root_changed', invalid: 'checkpoint.sync_invalid',
                     rollback: 'checkpoint.sync_invalid'}[e.code] ?? 'checkpoint.sync_failed';
    s.syncError = e.code !== 'offline';
  } finally {
    s.syncing = false;
    await refreshStatus(ctx);
  }
}

function ageText(ms) {
  const {unit, n} = ageParts(ms);
  return unit === 'minutes' && n < 1 ? t('checkpoint.age_now') : t(`checkpoint.age_${unit}`, {n});
}

/** "Confirmed with the server" only while that is still news; "using the lists kept" only if there are some. */
function showSyncMessage(key, level) {
  if (!key) return false;
  if (key === 'checkpoint.synced') return level === 'fresh';
  if (key === 'checkpoint.sync_offline') return level !== 'none';
  return true;
}

function listsLine(ctx) {
  const s = ctx.s;
  if (!s.store) {
    return html`<p class="card attention">${t('checkpoint.no_offline')}</p>`;
  }
  const {level, ageMs} = s.fresh;
  const params = level === 'none' ? {} : {age: ageText(ageMs), time: formatDateTime(new Date(s.syncedAt).toISOString(), lang())};
  const cls = {none: 'attention', fresh: '', stale: 'attention', too_old: 'cp-danger'}[level];
  return html`<div class="card cp-lists ${cls}" id="cp-lists">
    <p class="cp-lists-text">${level === 'fresh' ? '' : html`<strong>⚠ </strong>`}${t(`checkpoint.lists_${level}`, params)}</p>
    ${showSyncMessage(s.syncMessage, level) ? html`<p class="hint ${s.syncError ? 'cp-error' : ''}">${t(s.syncMessage)}</p>` : nothing}
    <button type="button" class="secondary" ?disabled=${s.syncing} aria-busy=${s.syncing ? 'true' : 'false'}
      @click=${() => sync(ctx)}>${s.syncing ? t('checkpoint.syncing') : t('checkpoint.sync')}</button>
  </div>`;
}

// ---- checking a passport

async function check(ctx, raw) {
  const s = ctx.s;
  const text = raw.trim();
  if (!text) {
    s.pasteError = t('checkpoint.empty');
    ctx.update();
    return;
  }
  s.pasteError = null;
  s.checking = true;
  ctx.update();
  try {
    if (s.store && s.lists) {
      const result = await verifyPassport(text, {...s.lists, now: Date.now()});
      const {fresh, syncedAt} = await s.store.status();
      Object.assign(s, {fresh, syncedAt}); // the freshness line and the verdict say the same
      s.result = {...applyFreshness(result, fresh), where: 'device'};
    } else if (!s.store && navigator.onLine) {
      // this browser cannot verify by itself: the server's verifier, same verdicts
      s.result = {...(await api.post('/passport-verifications', {qr: text})), where: 'server'};
    } else {
      // no lists yet: "not a passport" needs none; anything else cannot be confirmed
      const result = await verifyPassport(text, {trust: new TrustList(), revoked: new Set(), issuers: new IssuerKeys({})});
      s.result = result.status === 'not_a_passport' ? {...result, where: 'device'}
        : {status: 'cannot_confirm', reason: 'no_lists', name: null, dob: null, doses: [], where: 'device'};
    }
  } catch (e) {
    s.result = {status: 'cannot_confirm', reason: 'error', name: null, dob: null, doses: [], where: 'device',
                error: e?.title || String(e?.message ?? e)};
  } finally {
    s.checking = false;
    ctx.update();
    requestAnimationFrame(() => document.getElementById('cp-verdict')?.scrollIntoView({block: 'nearest'}));
  }
}

function doseLine(d) {
  const product = PRODUCT_NAMES[d.product] ?? d.product;
  const n = typeof d.dose_number === 'number' ? d.dose_number : d.dose_number?.value;
  const of = typeof d.series_doses === 'number' ? d.series_doses : d.series_doses?.value;
  const which = n && of ? t('checkpoint.dose_of', {n, of}) : t('checkpoint.dose');
  return [which, d.date ? formatDate(String(d.date).slice(0, 10), lang()) : '', product].filter(Boolean).join(' · ');
}

function verdictCard(r) {
  const detailKey = r.status === 'cannot_confirm' ? `checkpoint.cannot_confirm_${r.reason === 'error' ? 'error' : r.reason === 'no_lists' ? 'no_lists' : 'too_old'}`
    : `checkpoint.detail_${r.status}`;
  return html`<article class="cp-verdict cp-${r.status}" aria-labelledby="cp-verdict-title">
    <p class="cp-status" id="cp-verdict-title"><span class="cp-icon" aria-hidden="true">${STATUS_ICON[r.status] ?? '?'}</span>
      <span>${t(`checkpoint.status_${r.status}`)}</span></p>
    <p class="cp-detail">${t(detailKey)}${r.error ? ` (${r.error})` : ''}</p>
    ${r.name || r.dob ? html`<dl class="facts cp-holder">
      ${r.name ? html`<div><dt>${t('checkpoint.name')}</dt><dd>${r.name}</dd></div>` : nothing}
      ${r.dob ? html`<div><dt>${t('checkpoint.dob')}</dt><dd>${formatDate(r.dob, lang())}</dd></div>` : nothing}
      ${r.doses?.length ? html`<div><dt>${t('checkpoint.doses')}</dt><dd><ul class="cp-doses">
        ${r.doses.map((d) => html`<li>${doseLine(d)}</li>`)}</ul></dd></div>` : nothing}
    </dl>` : nothing}
    <p class="meta">${r.format ? `${t(`checkpoint.format_${r.format}`)} · ` : ''}${r.where === 'server' ? t('checkpoint.checked_server')
      : typeof r.ms === 'number' ? t('checkpoint.checked_local', {ms: r.ms.toFixed(1)}) : ''}</p>
  </article>`;
}

// ---- input: the camera, or pasted text

function toggleScan(ctx) {
  const s = ctx.s;
  if (s.scanning) {
    s.scanner?.stop();
    s.scanning = false;
    ctx.update();
    return;
  }
  s.scanning = true;
  s.result = null;
  ctx.update();
  requestAnimationFrame(() => {
    s.scanner = startScanner(document.getElementById('cp-video'), {
      onResult: (text) => {
        s.scanning = false;
        check(ctx, text);
        requestAnimationFrame(() => document.getElementById('cp-scan')?.focus());
      },
      onError: (e) => {
        s.scanning = false;
        ctx.announce(`${t('checkpoint.camera_error')} ${e?.message ?? ''}`, {error: true});
        ctx.update();
      },
    });
  });
}

function scanner(ctx) {
  const s = ctx.s;
  if (!cameraAvailable()) return nothing;
  return html`<div class="cp-scanner">
    <button type="button" id="cp-scan" class="primary" aria-pressed=${s.scanning ? 'true' : 'false'}
      @click=${() => toggleScan(ctx)}>${s.scanning ? t('checkpoint.stop_camera') : s.result ? t('checkpoint.scan_next') : t('checkpoint.scan')}</button>
    ${s.scanning ? html`<video id="cp-video" class="scan" muted playsinline aria-label=${t('checkpoint.camera_label')}></video>` : nothing}
  </div>`;
}

function pasteForm(ctx) {
  const s = ctx.s;
  const submit = (ev) => {
    ev.preventDefault();
    s.text = ev.target.elements.qr.value;
    check(ctx, s.text);
  };
  return html`<form class="card cp-paste" novalidate @submit=${submit}>
    <div class="field ${s.pasteError ? 'invalid' : ''}">
      <label for="cp-text">${t('checkpoint.paste')}</label>
      <p class="hint" id="cp-text-hint">${t('checkpoint.paste_hint')}</p>
      <textarea id="cp-text" name="qr" rows="3" .value=${s.text} autocomplete="off" spellcheck="false"
        aria-invalid=${s.pasteError ? 'true' : 'false'}
        aria-describedby=${s.pasteError ? 'cp-text-hint cp-text-err' : 'cp-text-hint'}></textarea>
      ${s.pasteError ? html`<p class="field-error" id="cp-text-err">${s.pasteError}</p>` : nothing}
    </div>
    <button type="submit" class="secondary" ?disabled=${s.checking} aria-busy=${s.checking ? 'true' : 'false'}>
      ${s.checking ? t('checkpoint.checking') : t('checkpoint.check')}</button>
  </form>`;
}

// Screen-local styles (kept with the screen; colours meet 4.5:1 on their tints).
const CSS = `
.cp-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.cp-lists p { margin-bottom: 8px; }
.cp-lists button { margin-bottom: 0; }
.cp-danger { background: var(--danger-tint); color: #5c0a0d; }
.cp-error { color: var(--danger); font-weight: 600; }
.cp-verdict { border-radius: var(--radius); padding: 16px; margin: 0 0 16px; border: 3px solid; background: #fff; }
.cp-status { display: flex; align-items: center; gap: 12px; font-size: 1.5rem; font-weight: 700; margin: 0 0 8px; line-height: 1.2; }
.cp-icon { flex: none; display: inline-flex; align-items: center; justify-content: center; width: 48px; height: 48px;
  border-radius: 50%; color: #fff; font-size: 1.6rem; }
.cp-detail { margin: 0 0 12px; }
.cp-valid { border-color: #1b6e3a; background: #e6f4ea; }
.cp-valid .cp-status { color: #14532b; } .cp-valid .cp-icon { background: #1b6e3a; }
.cp-invalid_signature, .cp-unknown_signer, .cp-revoked, .cp-expired { border-color: var(--danger); background: var(--danger-tint); }
.cp-invalid_signature .cp-status, .cp-unknown_signer .cp-status, .cp-revoked .cp-status, .cp-expired .cp-status { color: #7a0f12; }
.cp-invalid_signature .cp-icon, .cp-unknown_signer .cp-icon, .cp-revoked .cp-icon, .cp-expired .cp-icon { background: var(--danger); }
.cp-not_a_passport { border-color: #4a5553; background: #eef1f0; } .cp-not_a_passport .cp-icon { background: #4a5553; }
.cp-cannot_confirm { border-color: #8a5a00; background: var(--warn-tint); } .cp-cannot_confirm .cp-status { color: #5e3d00; }
.cp-cannot_confirm .cp-icon { background: #8a5a00; }
.cp-holder { background: rgba(255,255,255,.7); border-radius: 8px; padding: 4px 12px; }
.cp-doses { margin: 0; padding-left: 1.1rem; font-weight: 600; }
.cp-scanner { margin: 0 0 16px; }
.cp-scanner video { width: 100%; border-radius: var(--radius); background: #000; }
`;
