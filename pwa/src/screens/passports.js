// Passports: the selected profile's EU DCC (HC1) and SMART Health Card, drawn as QR codes ON
// THIS PHONE from the payload strings (the server never renders images on this path), large,
// with a "turn the brightness up" hint. The last payloads are kept in localStorage so the screen
// works with no network (at a border, in a basement); downloads (PDF vi/en) need the network.
import {html, nothing} from 'lit-html';
import QRCode from 'qrcode';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {formatDate} from '../format.js';
import {state, activePerson} from '../state.js';

const BADGE = {green: 'background:#1b7f3b;color:#fff', yellow: 'background:#f2c200;color:#222',
               none: 'background:#ddd;color:#222'};
/** Inline style of the status badge (kept here: styles.css belongs to the shell). */
export const badgeStyle = (status) => `${BADGE[status] ?? BADGE.none};padding:.25rem .6rem;border-radius:1rem;display:inline-block`;

// three equal segments (the labels wrap inside them) rather than ragged rows of different widths
const TAB_STYLE = 'flex:1 1 0;min-width:0;width:auto;min-height:48px;margin:0;padding:.4rem .35rem;' +
  'font-size:.95rem;line-height:1.2;justify-content:center;text-align:center;white-space:normal';

const KEY = (id) => `ssk.passports.${id}`;

/** The cached passports of a person (or null), for this screen and the home badge. */
export function cachedPassports(personId) {
  try { return JSON.parse(localStorage.getItem(KEY(personId)) || 'null'); } catch { return null; }
}

/** Fetch (and keep) the person's passports; null when there is none yet (404 no-certificate). */
export async function loadPassports(personId) {
  try {
    const data = await api.get(`/people/${encodeURIComponent(personId)}/passports`);
    localStorage.setItem(KEY(personId), JSON.stringify(data));
    return data;
  } catch (e) {
    if (e.status === 404) { localStorage.removeItem(KEY(personId)); return null; }
    throw e;
  }
}

function draw(canvas, text) {
  if (!canvas || !text || canvas.dataset.text === text) return;
  canvas.dataset.text = text;
  // level M, 4-module quiet zone: what checkpoint scanners expect of a ~600-character HC1
  QRCode.toCanvas(canvas, text, {errorCorrectionLevel: 'M', margin: 4, width: 640,
                                 color: {dark: '#000000', light: '#ffffff'}}, (err) => {
    // qrcode sets a fixed 640 px CSS size on the canvas: make it fit the phone's width again
    canvas.style.width = '100%';
    canvas.style.height = 'auto';
    if (!err && canvas.dataset.text === text) canvas.dataset.drawn = text;  // tests wait for this
  });
}

export default {
  title: 'passports.title',

  enter(ctx) {
    const p = activePerson();
    Object.assign(ctx.s, {data: p ? cachedPassports(p.id) : null, loading: true, none: false,
                          error: null, tab: 'hc1', personId: p?.id});
    if (!p) return;
    if (state.offline) { ctx.s.loading = false; return; }
    loadPassports(p.id).then((data) => {
      Object.assign(ctx.s, {data, none: !data, loading: false});
      ctx.update();
    }).catch((e) => { Object.assign(ctx.s, {error: e.message, loading: false}); ctx.update(); });
  },

  view(ctx) {
    const s = ctx.s;
    const p = activePerson();
    if (!p) return html`<h1>${t('passports.title')}</h1><p>${t('home.no_profile')}</p>`;
    const d = s.data;
    const heading = html`<h1>${t('passports.title_of', {name: p.full_name})}</h1>`;
    if (!d) {
      return html`${heading}
        ${s.loading ? html`<p role="status">${t('passports.loading')}</p>` : nothing}
        ${s.error ? html`<p class="card attention" role="alert">${s.error}</p>` : nothing}
        ${!s.loading && !s.error ? html`<p class="card">${t('passports.none')}</p>` : nothing}`;
    }
    const text = d[s.tab];
    queueMicrotask(() => draw(document.getElementById('passport-qr'), text));
    // compact, side by side: the QR must sit above the fold on a 360 x 780 phone
    const tab = (key) => html`<button type="button" class="choice" style=${TAB_STYLE} aria-label=${t(`passports.${key}`)}
      aria-pressed=${s.tab === key ? 'true' : 'false'} @click=${() => { s.tab = key; ctx.update(); }}>${t(`passports.${key}_tab`)}</button>`;
    const pdf = (l) => `/api/v1/people/${encodeURIComponent(p.id)}/passports.pdf?lang=${l}`;
    return html`${heading}
      <p><span class="badge status-${d.status}" style=${badgeStyle(d.status)} data-status=${d.status}>${t(`passports.status_${d.status}`)}</span></p>
      ${state.offline ? html`<p class="hint" role="status" style="margin:.25rem 0 .5rem">${t('passports.offline')}</p>` : nothing}
      <div class="switcher" style="display:flex;gap:6px;margin-bottom:8px" role="group" aria-label=${t('passports.format')}>
        ${tab('hc1')} ${tab('shc')} ${tab('domestic')}
      </div>
      <figure class="qr passport-qr" style="background:#fff;padding:8px 4px 16px">
        <canvas id="passport-qr" style="width:100%;max-width:480px;height:auto;image-rendering:pixelated"
          role="img" aria-label=${t('passports.qr_alt', {name: d.full_name})}></canvas>
        <figcaption>
          <strong class="qr-name">${d.full_name}</strong>
          <span>${t('passports.valid_until', {date: formatDate(String(d.expires_at).slice(0, 10), lang())})}</span>
          <span class="hint" style="color:var(--ink)">☀ ${t('passports.bright_hint')}</span>
        </figcaption>
      </figure>
      ${state.offline ? nothing : html`<nav class="links" aria-label=${t('passports.download')}>
        <a class="button secondary" href=${pdf('vi')} download>${t('passports.pdf_vi')}</a>
        <a class="button secondary" href=${pdf('en')} download>${t('passports.pdf_en')}</a>
      </nav>`}`;
  },
};
