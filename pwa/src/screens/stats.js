// The public statistics page (no sign-in): doses per day (inline SVG), coverage by province as a
// tile grid coloured by count and a table, doses by product, the time of the last refresh. The
// service worker keeps the last answer (stale-while-revalidate) and so does localStorage, so the
// page shows the last figures it saw when offline.
import {html, svg, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {formatDateTime, formatDate} from '../format.js';

const KEEP = 'ssk.public-stats';
const KINDS = ['first', 'primary_complete', 'booster', 'other'];
const COLOURS = {first: '#0b5c50', primary_complete: '#3f8f7f', booster: '#c77d00', other: '#8a9593'};

function remembered() {
  try { return JSON.parse(localStorage.getItem(KEEP) || 'null'); } catch { return null; }
}

async function load(ctx) {
  try {
    const data = await api.get('/public/stats');
    ctx.s.data = data;
    ctx.s.stale = false;
    try { localStorage.setItem(KEEP, JSON.stringify(data)); } catch { /* full or private */ }
  } catch (e) {
    ctx.s.data = ctx.s.data ?? remembered();
    ctx.s.stale = true;
    if (!ctx.s.data) ctx.s.error = e.title || String(e);
  }
  ctx.update();
}

const n = (v) => (v === null || v === undefined ? '<10' : v.toLocaleString(lang() === 'vi' ? 'vi-VN' : 'en-GB'));

function chart(days) {
  const W = 340, H = 160, pad = 24;
  const totals = days.map((d) => d.total ?? KINDS.reduce((a, k) => a + (d[k] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const bw = (W - pad) / Math.max(1, days.length);
  const bars = [];
  days.forEach((d, i) => {
    let y = H - pad;
    if (KINDS.some((k) => d[k] === null) && d.total) {  // the split is withheld, the day's total is not
      const h = (d.total / max) * (H - pad - 8);
      bars.push(svg`<rect x=${pad + i * bw} y=${y - h} width=${Math.max(1, bw - 1)} height=${h} fill="#5f7f78"></rect>`);
      return;
    }
    for (const k of KINDS) {
      const v = d[k] ?? 0;
      if (!v) continue;
      const h = (v / max) * (H - pad - 8);
      y -= h;
      bars.push(svg`<rect x=${pad + i * bw} y=${y} width=${Math.max(1, bw - 1)} height=${h} fill=${COLOURS[k]}></rect>`);
    }
  });
  const first = days[0]?.day, last = days.at(-1)?.day;
  return html`<figure class="stats-chart">
    <svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label=${t('stats.chart_label', {max: n(max)})}>
      <line x1=${pad} y1=${H - pad} x2=${W} y2=${H - pad} stroke="#4a5553"></line>
      <text x="0" y="12" font-size="10" fill="#4a5553">${n(max)}</text>
      <text x=${pad} y=${H - 6} font-size="10" fill="#4a5553">${first ? formatDate(first, lang()) : ''}</text>
      <text x=${W} y=${H - 6} font-size="10" fill="#4a5553" text-anchor="end">${last ? formatDate(last, lang()) : ''}</text>
      ${bars}
    </svg>
    <figcaption>${KINDS.map((k) => html`<span class="stats-key"><span class="stats-swatch"
      style="background:${COLOURS[k]}"></span>${t(`stats.kind_${k}`)}</span>`)}<span class="stats-key"><span
      class="stats-swatch" style="background:#5f7f78"></span>${t('stats.kind_mixed')}</span></figcaption>
  </figure>`;
}

function shade(v, max) {
  if (v === null) return '#e6ecea';
  const x = max ? v / max : 0;
  return `hsl(168 ${30 + 50 * x}% ${92 - 62 * x}%)`;
}

function tiles(rows) {
  const max = Math.max(0, ...rows.map((r) => r.at_least_one ?? 0));
  return html`<ul class="stats-tiles" aria-label=${t('stats.tiles_label')}>${rows.map((r) => {
    const dark = (r.at_least_one ?? 0) > max * 0.55;
    return html`<li style="background:${shade(r.at_least_one, max)};color:${dark ? '#fff' : '#1b1f1e'}"
      title=${`${r.province_name}: ${n(r.at_least_one)}`}><span class="stats-tile-name">${r.province_name}</span>
      <span class="stats-tile-n">${n(r.at_least_one)}</span></li>`;
  })}</ul>`;
}

const STYLE = html`<style>
  .stats-chart{margin:0 0 1rem} .stats-chart figcaption{display:flex;flex-wrap:wrap;gap:.25rem .75rem;font-size:.85rem}
  .stats-swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px;border-radius:2px}
  .stats-tiles{list-style:none;padding:0;margin:0 0 1rem;display:grid;grid-template-columns:repeat(auto-fill,minmax(6.2rem,1fr));gap:3px}
  .stats-tiles li{padding:.3rem .35rem;border-radius:4px;font-size:.72rem;line-height:1.2;min-height:2.6rem;display:flex;flex-direction:column;justify-content:space-between}
  .stats-tile-n{font-weight:700;font-size:.85rem}
  .stats-table{width:100%;border-collapse:collapse;font-size:.85rem} .stats-table th,.stats-table td{padding:.3rem .25rem;border-bottom:1px solid #d5dcda;text-align:right}
  .stats-table th:first-child,.stats-table td:first-child{text-align:left}
  .stats-scroll{overflow-x:auto} .stats-meta{font-size:.85rem;color:#4a5553}
</style>`;

export default {
  title: 'stats.title',
  public: true,

  enter(ctx) {
    Object.assign(ctx.s, {data: remembered(), stale: false, error: null});
    load(ctx);
  },

  view(ctx) {
    const {data, stale, error} = ctx.s;
    const L = lang();
    if (!data) {
      return html`${STYLE}<h1>${t('stats.title')}</h1>
        <p>${error ? html`<span class="error">${error}</span>` : t('stats.loading')}</p>`;
    }
    const total = data.doses_per_day.reduce((a, d) => a + (d.total ?? 0), 0);
    return html`${STYLE}
      <h1>${t('stats.title')}</h1>
      <p class="stats-meta" data-testid="stats-updated">${t('stats.updated', {when: data.updated_at
        ? formatDateTime(data.updated_at, L) : t('stats.never')})}${stale ? html` · <strong>${t('stats.offline_copy')}</strong>` : nothing}</p>
      <section aria-labelledby="stats-days">
        <h2 id="stats-days">${t('stats.per_day')}</h2>
        <p data-testid="stats-total">${t('stats.total_in_range', {n: n(total), from: formatDate(data.from, L), to: formatDate(data.to, L)})}</p>
        ${chart(data.doses_per_day)}
      </section>
      <section aria-labelledby="stats-cov">
        <h2 id="stats-cov">${t('stats.coverage')}</h2>
        <p class="stats-meta">${t('stats.coverage_note')}</p>
        ${tiles(data.coverage)}
        <div class="stats-scroll"><table class="stats-table" data-testid="stats-coverage">
          <thead><tr><th scope="col">${t('stats.province')}</th><th scope="col">${t('stats.at_least_one')}</th>
            <th scope="col">${t('stats.primary_complete')}</th><th scope="col">${t('stats.booster')}</th></tr></thead>
          <tbody>${data.coverage.map((r) => html`<tr><th scope="row">${r.province_name}</th>
            <td>${n(r.at_least_one)}</td><td>${n(r.primary_complete)}</td><td>${n(r.booster)}</td></tr>`)}</tbody>
        </table></div>
      </section>
      <section aria-labelledby="stats-prod">
        <h2 id="stats-prod">${t('stats.by_product')}</h2>
        <table class="stats-table"><tbody>${data.products.map((p) => html`<tr>
          <th scope="row">${L === 'en' ? p.name_en : p.name_vi}</th><td>${n(p.doses)}</td></tr>`)}</tbody></table>
      </section>
      <p class="stats-meta">${t('stats.suppression', {max: data.metadata.suppression.threshold - 1})}
        ${t('stats.no_denominators')}</p>
      <p class="stats-meta">${t('stats.open_data')}
        <a href="/api/v1/public/stats/doses.csv" download>doses.csv</a> ·
        <a href="/api/v1/public/stats/coverage.csv" download>coverage.csv</a> ·
        <a href="/api/v1/public/stats/products.csv" download>products.csv</a> ·
        <a href="/api/v1/docs">API</a></p>`;
  },
};
