// The department dashboard (staff, within their scope): registration funnel, sessions, stock and
// days of supply, people overdue for their next dose, doses; filters by date and unit; CSV export.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {formatDateTime} from '../format.js';

function query(f) {
  const q = new URLSearchParams();
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  if (f.unit_id) q.set('unit_id', f.unit_id);
  return q.toString();
}

async function load(ctx) {
  ctx.s.busy = true;
  ctx.update();
  try {
    ctx.s.data = await api.get(`/stats/dashboard?${query(ctx.s.filter)}`);
    ctx.s.error = null;
  } catch (e) {
    ctx.s.error = e.title || String(e);
  }
  ctx.s.busy = false;
  ctx.update();
}

const pct = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`);

export default {
  title: 'dash.title',

  enter(ctx) {
    Object.assign(ctx.s, {filter: {from: ctx.query.get('from') || '', to: ctx.query.get('to') || '',
                                   unit_id: ctx.query.get('unit_id') || ''}, data: null, error: null, busy: false});
    load(ctx);
  },

  view(ctx) {
    const {data, error, filter, busy} = ctx.s;
    const submit = (e) => {
      e.preventDefault();
      const fd = new FormData(e.target);
      ctx.s.filter = {from: fd.get('from'), to: fd.get('to'), unit_id: fd.get('unit_id')};
      load(ctx);
    };
    const funnelKeys = ['registered', 'approved', 'allocated', 'booked', 'vaccinated'];
    return html`
      <h1>${t('dash.title')}</h1>
      <form @submit=${submit} class="stack">
        <label>${t('dash.from')} <input type="date" name="from" .value=${filter.from}></label>
        <label>${t('dash.to')} <input type="date" name="to" .value=${filter.to}></label>
        <label>${t('dash.unit')} <input name="unit_id" .value=${filter.unit_id} placeholder=${t('dash.unit_any')}></label>
        <button type="submit" ?disabled=${busy}>${t('dash.apply')}</button>
        <a href=${`/api/v1/stats/dashboard?${query(filter)}&format=csv`} download>${t('dash.csv')}</a>
      </form>
      ${error ? html`<p class="error" role="alert">${error}</p>` : nothing}
      ${data ? html`
        <p>${t('stats.updated', {when: data.updated_at ? formatDateTime(data.updated_at, lang()) : t('stats.never')})}</p>
        <h2>${t('dash.funnel')}</h2>
        <ol>${funnelKeys.map((k) => html`<li>${t(`dash.f_${k}`)}: <strong>${data.funnel[k]}</strong></li>`)}</ol>
        <h2>${t('dash.doses')}</h2><p>${data.doses.total}</p>
        <h2>${t('dash.overdue')}</h2><p>${data.overdue.total}</p>
        <h2>${t('dash.sessions')}</h2>
        <div class="stats-scroll"><table><thead><tr><th>${t('dash.day')}</th><th>${t('dash.site')}</th>
          <th>${t('dash.fill')}</th><th>${t('dash.no_shows')}</th></tr></thead><tbody>
          ${data.sessions.map((s) => html`<tr><td>${s.day}</td><td>${s.site_name}</td>
            <td>${s.booked}/${s.capacity} (${pct(s.fill_rate)})</td><td>${s.no_shows} (${pct(s.no_show_rate)})</td></tr>`)}
        </tbody></table></div>
        <h2>${t('dash.stock')}</h2>
        <div class="stats-scroll"><table><thead><tr><th>${t('dash.site')}</th><th>${t('dash.lot')}</th>
          <th>${t('dash.balance')}</th><th>${t('dash.days_supply')}</th></tr></thead><tbody>
          ${data.stock.map((s) => html`<tr><td>${s.unit_name}</td><td>${s.product_code} ${s.lot_number}</td>
            <td>${s.balance}</td><td>${s.days_of_supply ?? '—'}</td></tr>`)}
        </tbody></table></div>
        <h2>${t('dash.reactions')}</h2>
        <p>${data.reactions ? JSON.stringify(data.reactions) : t('dash.reactions_pending')}</p>` : nothing}`;
  },
};
