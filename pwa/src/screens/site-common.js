// What the site tablet's screens share: the site the staff member works at, the outbox banner
// ("n waiting to sync") and the list of conflicts to deal with, and small caches so the screens
// still have their checklist and stock list when the network drops.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {formatDateTime} from '../format.js';
import {loadUnits} from './staff-common.js';
import {summary, sync, dismiss, onQueueChange} from '../site-queue.js';

/** An outbox item's label, kept as {key, params} so it is said in the language chosen now. */
export function itemLabel(x) {
  return x.label?.key ? t(x.label.key, x.label.params) : (x.label || x.path);
}

const SITE_KEY = 'ssk.site.id';

export function cacheGet(key) {
  try { return JSON.parse(localStorage.getItem(`ssk.cache.${key}`) ?? 'null'); } catch { return null; }
}

export function cacheSet(key, value) {
  try { localStorage.setItem(`ssk.cache.${key}`, JSON.stringify(value)); } catch { /* full */ }
}

/** The sites this account works at (cached for offline); the chosen one is remembered. */
export async function loadSites(ctx) {
  const s = ctx.s;
  try {
    s.sites = await loadUnits(['site']);
    cacheSet('sites', s.sites);
  } catch (e) {
    s.sites = cacheGet('sites') ?? [];
    if (!s.sites.length) throw e;
  }
  let saved = null;
  try { saved = localStorage.getItem(SITE_KEY); } catch { /* private */ }
  s.siteId = s.sites.find((u) => u.id === saved)?.id ?? s.sites[0]?.id ?? '';
  return s.siteId;
}

export function chooseSite(ctx, id) {
  ctx.s.siteId = id;
  try { localStorage.setItem(SITE_KEY, id); } catch { /* private */ }
}

export function sitePicker(ctx, onChange) {
  const s = ctx.s;
  if (!s.sites || s.sites.length < 2) return s.sites?.[0] ? html`<p class="lead">${s.sites[0].name}</p>` : nothing;
  return html`<div class="field"><label for="site-pick">${t('site.site')}</label>
    <select id="site-pick" @change=${(ev) => { chooseSite(ctx, ev.target.value); onChange?.(); }}>
      ${s.sites.map((u) => html`<option value=${u.id} .selected=${u.id === s.siteId}>${u.name}</option>`)}
    </select></div>`;
}

/** Follow the outbox on this screen: ctx.s.queue = {pending, conflicts}. */
export function watchQueue(ctx) {
  const refresh = () => summary().then((q) => { ctx.s.queue = q; ctx.update(); }).catch(() => {});
  ctx.onLeave(onQueueChange(refresh));
  refresh();
  if (navigator.onLine) sync().catch(() => {});
}

/** The banner and the conflicts list, shown at the top of each site screen. */
export function queueBanner(ctx) {
  const q = ctx.s.queue;
  const n = q?.pending.length ?? 0;
  const c = q?.conflicts ?? [];
  return html`<div class="live" role="status" aria-live="polite">
      ${n ? html`<p class="banner queued" id="queue-banner">${t('sv.queue_waiting', {n})}
        ${navigator.onLine ? html` <button type="button" class="link" @click=${() => sync()}>${t('sv.sync_now')}</button>` : nothing}
      </p>` : nothing}</div>
    ${c.length ? html`<section class="card problem" aria-labelledby="conflicts-h" id="conflicts">
      <h2 id="conflicts-h">${t('sv.conflicts', {n: c.length})}</h2>
      <p class="hint">${t('sv.conflicts_hint')}</p>
      <ul class="list conflicts">${c.map((x) => html`<li>
        <p><strong>${itemLabel(x)}</strong> <span class="meta">${formatDateTime(x.queued_at, lang())}</span></p>
        <p class="conflict-text">${[x.problem?.title, x.problem?.detail].filter(Boolean).join(' — ')}</p>
        <button type="button" class="secondary" @click=${() => dismiss(x.seq)}
          aria-label=${t('sv.conflict_done_label', {what: itemLabel(x)})}>${t('sv.conflict_done')}</button>
      </li>`)}</ul>
    </section>` : nothing}`;
}

export function siteNav(here) {
  const links = [['#/site/visit', 'sv.title'], ['#/site/observation', 'so.title'], ['#/site/stock', 'ss.title']];
  return html`<nav class="subnav" aria-label=${t('sv.nav')}><ul>${links.map(([href, key]) => html`<li>
    <a href=${href} aria-current=${href === here ? 'page' : nothing}>${t(key)}</a></li>`)}</ul></nav>`;
}

/** "2 phút 05 giây" for a countdown. */
export function remaining(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return t('so.remaining', {m, s: String(s % 60).padStart(2, '0')});
}
