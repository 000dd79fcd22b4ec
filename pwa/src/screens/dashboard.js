// The department dashboard (staff, within their scope): the registration funnel, doses given and
// people overdue for their next dose, each session's fill and no-shows, days of supply per unit
// and vaccine, stock per lot. Filters (dates, one site) live in the URL (#/dashboard?from=&to=&
// unit_id=) so a view can be bookmarked and sent; CSV of the same figures.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {formatDate, formatDateTime, formatNumber} from '../format.js';
import {formValues} from '../ui.js';
import {busyButton, problemText} from './common.js';
import {DEPARTMENT, SITE, heldRoles, staffGate, loadUnits, unitOption} from './staff-common.js';
import {staffRoles} from '../state.js';

const TITLE = 'dash.title';
const FUNNEL = ['registered', 'approved', 'allocated', 'booked', 'vaccinated'];

const num = (x) => formatNumber(x, lang());
const dec = (x) => (x === null || x === undefined ? '—'
  : formatNumber(x, lang(), {minimumFractionDigits: 1, maximumFractionDigits: 1}));
const pct = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`);

function query(f) {
  const q = new URLSearchParams();
  for (const k of ['from', 'to', 'unit_id']) if (f[k]) q.set(k, f[k]);
  return q.toString();
}

async function load(ctx) {
  const s = ctx.s;
  s.busy = true;
  ctx.update();
  try {
    s.data = await api.get(`/stats/dashboard?${query(s.filter)}`);
    s.error = null;
  } catch (e) {
    s.data = null;
    s.error = problemText(e);
  }
  s.busy = false;
  ctx.update();
}

async function loadSites(ctx) {
  try {
    ctx.s.sites = await loadUnits(['site']);
  } catch {
    ctx.s.sites = [];  // the filter then offers "all" only; the figures still load
  }
  ctx.update();
}

const STYLE = html`<style>
  .dash-funnel{list-style:none;margin:0 0 8px;padding:0}
  .dash-funnel li{display:grid;grid-template-columns:1fr auto;gap:2px 8px;align-items:baseline;margin:0 0 10px}
  .dash-funnel strong{font-size:1.15rem}
  .dash-funnel .dash-track{grid-column:1 / -1;height:10px;border-radius:5px;background:#e3e8e7;overflow:hidden}
  .dash-funnel .dash-bar{display:block;height:100%;background:var(--brand)}
  .dash-funnel .meta{grid-column:1 / -1;font-size:.82rem}
  dl.figures.dash-kpi{grid-template-columns:1fr 1fr;margin:0 0 8px}
  dl.figures.dash-kpi dd{font-size:1.35rem}
  dl.figures.dash-kpi dd.meta{font-size:.8rem;font-weight:400}
  table.figs td.num{white-space:nowrap}
  .dash-filters .actions{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center}
  .dash-filters .actions a{min-height:44px;display:inline-flex;align-items:center}
  table.figs tr.dash-unit th{background:var(--brand-tint);text-align:left;font-size:.9rem}
  .dash-lots summary{cursor:pointer;min-height:44px;display:flex;flex-wrap:wrap;gap:4px;align-items:center;font-weight:600;color:var(--brand)}
</style>`;

function scopeText(data, sites) {
  const units = data.scope.unit_ids ?? [];
  if (!data.scope.national && !(data.scope.province_codes ?? []).length && units.length) {
    return units.map((id) => sites?.find((u) => u.id === id)?.name ?? id).join(', ');
  }
  if (data.scope.national) return t('dash.scope_national');
  return [...new Set(staffRoles().map((r) => r.unit_name).filter(Boolean))].join(', ');
}

function filters(ctx) {
  const s = ctx.s;
  const submit = (ev) => {
    ev.preventDefault();
    const v = formValues(ev.target);
    const hash = `#/dashboard?${query({from: v.from, to: v.to, unit_id: v.unit_id})}`;
    if (location.hash === hash) load(ctx);
    else ctx.go(hash);  // the filter is in the URL: back, bookmarks and links keep it
  };
  const q = query(s.filter);
  const csv = `/api/v1/stats/dashboard?${q}${q ? '&' : ''}format=csv`;
  const date = (name, label) => html`<div class="field"><label for="df-${name}">${label}</label>
    <input id="df-${name}" name=${name} type="date" .value=${s.filter[name] || s.data?.[name] || ''}></div>`;
  return html`<form class="card filters dash-filters" novalidate @submit=${submit} aria-labelledby="df-h">
    <h2 id="df-h">${t('dash.filters')}</h2>
    <div class="pair">${date('from', t('dash.from'))}${date('to', t('dash.to'))}</div>
    <div class="field"><label for="df-unit_id">${t('dash.unit')}</label>
      <select id="df-unit_id" name="unit_id">
        <option value="" .selected=${!s.filter.unit_id}>${t('dash.unit_any')}</option>
        ${(s.sites ?? []).map(unitOption).map((o) => html`<option value=${o.value}
          .selected=${o.value === s.filter.unit_id}>${o.label}</option>`)}
      </select></div>
    <div class="actions">
      ${busyButton(s.busy, t('dash.apply'), t('app.loading'), {cls: 'secondary'})}
      <a href=${csv} download>${t('dash.csv')}</a>
    </div>
  </form>`;
}

/** Rows of one table grouped under a header row per unit (the name is also read with each row). */
function byUnit(rows, cols, item) {
  const out = [];
  rows.forEach((r, i) => {
    if (i === 0 || rows[i - 1].unit_id !== r.unit_id) {
      out.push(html`<tr class="dash-unit"><th colspan=${cols} scope="colgroup">${r.unit_name}</th></tr>`);
    }
    out.push(item(r));
  });
  return out;
}

const productLabel = (data, code) => {
  const p = data.products?.[code];
  return (p && (lang() === 'en' ? p.name_en : p.name_vi)) || code;
};

function funnel(data) {
  const top = data.funnel.registered || 0;
  return html`<section class="section" aria-labelledby="dh-funnel">
    <h2 id="dh-funnel">${t('dash.funnel')}</h2>
    <p class="hint">${t('dash.funnel_hint')}</p>
    <ol class="dash-funnel" data-testid="dash-funnel">
      ${FUNNEL.map((k) => {
        const v = data.funnel[k] ?? 0;
        const share = top ? v / top : 0;
        return html`<li><span>${t(`dash.f_${k}`)}</span><strong data-testid="dash-funnel-${k}">${num(v)}</strong>
          <span class="dash-track" aria-hidden="true"><span class="dash-bar" style="width:${Math.round(share * 100)}%"></span></span>
          ${k === 'registered' || !top ? nothing : html`<span class="meta">${t('dash.of_registered', {pct: pct(share)})}</span>`}</li>`;
      })}
    </ol>
  </section>`;
}

function people(data) {
  const by = Object.entries(data.overdue.by_product ?? {});
  return html`<section class="section" aria-labelledby="dh-people">
    <h2 id="dh-people">${t('dash.people')}</h2>
    <dl class="figures dash-kpi">
      <div><dt>${t('dash.doses')}</dt><dd data-testid="dash-doses">${num(data.doses.total)}</dd></div>
      <div><dt>${t('dash.overdue')}</dt><dd data-testid="dash-overdue">${num(data.overdue.total)}</dd></div>
    </dl>
    ${by.length ? html`<p class="meta">${t('dash.overdue_by')} ${by.map(([p, n], i) =>
      html`${i ? ' · ' : ''}${productLabel(data, p)}: ${num(n)}`)}</p>` : nothing}
    <p class="hint">${t('dash.overdue_hint')}</p>
  </section>`;
}

function sessions(data, L) {
  return html`<section class="section" aria-labelledby="dh-sessions">
    <h2 id="dh-sessions">${t('dash.sessions')}</h2>
    ${!data.sessions.length ? html`<p>${t('dash.none_sessions')}</p>` : html`
      <div class="stats-scroll" role="region" tabindex="0" aria-labelledby="dh-sessions">
      <table class="figs" data-testid="dash-sessions">
        <thead><tr><th scope="col">${t('dash.site')} · ${t('dash.day')}</th><th scope="col">${t('dash.fill')}</th>
          <th scope="col">${t('dash.no_shows')}</th></tr></thead>
        <tbody>${data.sessions.map((s) => html`<tr>
          <th scope="row">${s.site_name}<br><span class="meta">${formatDate(s.day, L)}${s.status === 'cancelled'
            ? html` · ${t('dash.cancelled')}` : nothing}</span></th>
          <td class="num">${num(s.booked)}/${num(s.capacity)}<br><span class="meta">${pct(s.fill_rate)}</span></td>
          <td class="num">${num(s.no_shows)}<br><span class="meta">${pct(s.no_show_rate)}</span></td></tr>`)}
        </tbody></table></div>
      <p class="hint">${t('dash.sessions_hint')}</p>`}
  </section>`;
}

function supply(data) {
  return html`<section class="section" aria-labelledby="dh-supply">
    <h2 id="dh-supply">${t('dash.supply')}</h2>
    ${!data.supply.length ? html`<p>${t('dash.none_stock')}</p>` : html`
      <div class="stats-scroll" role="region" tabindex="0" aria-labelledby="dh-supply">
      <table class="figs" data-testid="dash-supply">
        <thead><tr><th scope="col">${t('dash.product')}</th><th scope="col">${t('dash.usable')}</th>
          <th scope="col">${t('dash.per_day')}</th><th scope="col">${t('dash.days_supply')}</th></tr></thead>
        <tbody>${byUnit(data.supply, 4, (s) => html`<tr class="item">
          <th scope="row"><span class="visually-hidden">${s.unit_name}: </span>${productLabel(data, s.product_code)}</th>
          <td class="num">${num(s.usable_balance)}</td><td class="num">${dec(s.used_per_day)}</td>
          <td class="num"><strong>${dec(s.days_of_supply)}</strong></td></tr>`)}
        </tbody></table></div>
      <p class="hint">${t('dash.supply_hint')}</p>`}
  </section>`;
}

function stock(data, L) {
  const unusable = data.stock.filter((s) => !s.usable).length;
  return html`<section class="section" aria-labelledby="dh-stock">
    <h2 id="dh-stock">${t('dash.stock')}</h2>
    ${!data.stock.length ? html`<p>${t('dash.none_stock')}</p>` : html`
      <details class="dash-lots"><summary>${t('dash.show_lots', {n: num(data.stock.length)})}${unusable
        ? html` · <span class="badge">${t('dash.unusable_n', {n: num(unusable)})}</span>` : nothing}</summary>
      <div class="stats-scroll" role="region" tabindex="0" aria-labelledby="dh-stock">
      <table class="figs" data-testid="dash-stock">
        <thead><tr><th scope="col">${t('dash.lot')}</th><th scope="col">${t('dash.balance')}</th>
          <th scope="col">${t('dash.days_supply')}</th></tr></thead>
        <tbody>${byUnit(data.stock, 3, (s) => html`<tr class="item">
          <th scope="row"><span class="visually-hidden">${s.unit_name}: </span>${s.lot_number}<br><span
            class="meta">${productLabel(data, s.product_code)} · ${t('dash.expires', {date: formatDate(s.expires_on, L)})}</span>${
            s.usable ? nothing : html`<br><span class="badge">${t('dash.unusable')}</span>`}</th>
          <td class="num">${num(s.balance)}</td><td class="num">${dec(s.days_of_supply)}</td></tr>`)}
        </tbody></table></div></details>`}
  </section>`;
}

function reactions(data) {
  // Doses with a reaction report per 100,000 doses in this scope and period; by vaccine, lot, site
  // and week on the safety figures' screen (department staff).
  const r = data.reactions;
  const q = query({from: data.from, to: data.to});
  return html`<section class="section" aria-labelledby="dh-reactions">
    <h2 id="dh-reactions">${t('dash.reactions')}</h2>
    ${r ? html`<dl class="figures dash-kpi">
      <div><dt>${t('dash.reactions_reported')}</dt><dd data-testid="dash-reports">${dec(r.report_rate)}</dd>
        <dd class="meta">${t('dash.reactions_of', {n: num(r.reports), doses: num(r.doses)})}</dd></div>
      <div><dt>${t('dash.reactions_serious')}</dt><dd data-testid="dash-serious">${dec(r.serious_rate)}</dd>
        <dd class="meta">${t('dash.reactions_of', {n: num(r.serious), doses: num(r.doses)})}</dd></div>
    </dl>` : nothing}
    ${heldRoles(DEPARTMENT).length ? html`<p><a href=${`#/dept/safety?${q}`}>${t('dash.reactions_see')}</a></p>`
      : html`<p class="hint">${t('dash.reactions_department')}</p>`}
  </section>`;
}

export default {
  title: TITLE,

  enter(ctx) {
    Object.assign(ctx.s, {filter: {from: ctx.query.get('from') || '', to: ctx.query.get('to') || '',
                                   unit_id: ctx.query.get('unit_id') || ''},
                          data: null, error: null, busy: false, sites: null});
    if (staffGate(ctx, SITE, TITLE)) return;
    load(ctx);
    loadSites(ctx);
  },

  view(ctx) {
    const gate = staffGate(ctx, SITE, TITLE);
    if (gate) return gate;
    const {data, error} = ctx.s;
    const L = lang();
    return html`${STYLE}
      <h1>${t(TITLE)}</h1>
      ${data ? html`<p class="lead" data-testid="dash-scope">${t('dash.scope', {scope: scopeText(data, ctx.s.sites)})}</p>
        <p class="meta" data-testid="dash-updated">${t('dash.period', {from: formatDate(data.from, L), to: formatDate(data.to, L)})}
          · ${t('stats.updated', {when: data.updated_at ? formatDateTime(data.updated_at, L) : t('stats.never')})}</p>`
        : nothing}
      ${filters(ctx)}
      ${error ? html`<p class="notice error" role="alert">${error}</p>` : nothing}
      ${!data && !error ? html`<p class="loading">${t('app.loading')}</p>` : nothing}
      ${data ? html`${funnel(data)}${people(data)}${sessions(data, L)}${supply(data)}${stock(data, L)}${reactions(data)}`
        : nothing}`;
  },
};
