// Site tablet: the site's stock — balance per lot, days of supply per vaccine, lots expiring soon.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {formatDate} from '../format.js';
import {problemText} from './common.js';
import {SITE, staffGate} from './staff-common.js';
import {loadSites, sitePicker, watchQueue, queueBanner, siteNav, cacheGet, cacheSet} from './site-common.js';

export default {
  title: 'ss.title',

  enter(ctx) {
    Object.assign(ctx.s, {sites: null, siteId: '', queue: null, stock: null});
    if (staffGate(ctx, SITE, 'ss.title')) return;
    watchQueue(ctx);
    loadSites(ctx).then(() => load(ctx)).catch((e) => { ctx.s.sites = []; ctx.announce(problemText(e), {error: true}); });
  },

  view(ctx) {
    const gate = staffGate(ctx, SITE, 'ss.title');
    if (gate) return gate;
    const st = ctx.s.stock;
    return html`
      <h1>${t('ss.title')}</h1>
      ${siteNav('#/site/stock')}
      <p><a href="#/site/stock/moves${ctx.s.siteId ? `?unit=${encodeURIComponent(ctx.s.siteId)}` : ''}">${t('sm.open')}</a></p>
      ${sitePicker(ctx, () => load(ctx))}
      ${queueBanner(ctx)}
      ${st === null ? html`<p class="loading">${t('app.loading')}</p>` : html`
        ${st.cached ? html`<p class="hint">${t('ss.cached')}</p>` : nothing}
        <section aria-labelledby="ss-products-h"><h2 id="ss-products-h">${t('ss.products')}</h2>
          <ul class="list">${(st.products ?? []).map((p) => html`<li class="card stock-product">
            <h3>${p.product_name ?? p.product_code}</h3>
            <p>${t('ss.balance', {n: p.usable_balance ?? p.balance})}</p>
            <p>${p.days_of_supply === null || p.days_of_supply === undefined ? t('ss.days_unknown')
              : t('ss.days', {n: Math.floor(p.days_of_supply)})} · ${t('ss.rate', {n: p.administered_last_7_days})}</p>
          </li>`)}</ul></section>
        <section aria-labelledby="ss-exp-h"><h2 id="ss-exp-h">${t('ss.expiring')}</h2>
          ${(st.expiring_soon ?? []).length ? html`<ul class="list">${st.expiring_soon.map((l) => lotRow(l, true))}</ul>`
            : html`<p>${t('ss.expiring_none')}</p>`}</section>
        <section aria-labelledby="ss-lots-h"><h2 id="ss-lots-h">${t('ss.lots')}</h2>
          <ul class="list lots">${(st.lots ?? []).map((l) => lotRow(l, false))}</ul></section>`}`;
  },
};

function lotRow(l, soon) {
  const state = l.quarantined ? t('ss.quarantined') : l.expired ? t('ss.expired') : l.expiring_soon ? t('ss.expiring_badge') : '';
  return html`<li class="card lot ${soon || l.expiring_soon ? 'attention' : ''}">
    <h3>${l.lot_number} <span class="meta">${l.product_code}</span></h3>
    <p>${t('ss.lot_line', {n: l.balance, date: formatDate(l.expires_on, lang())})}</p>
    ${state ? html`<p class="badge">${state}</p>` : nothing}
  </li>`;
}

async function load(ctx) {
  const s = ctx.s;
  if (!s.siteId) { s.stock = {lots: [], products: []}; ctx.update(); return; }
  try {
    s.stock = await api.get(`/units/${encodeURIComponent(s.siteId)}/stock?expiring_within_days=30`);
    cacheSet(`stock-full-${s.siteId}`, s.stock);
  } catch (e) {
    const cached = cacheGet(`stock-full-${s.siteId}`);
    s.stock = cached ? {...cached, cached: true} : {lots: [], products: []};
    ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
}
