// The staff's start: each tool the account's roles open, grouped by role.
import {html, nothing} from 'lit-html';
import {t} from '../i18n/index.js';
import {state, isStaff, staffRoles} from '../state.js';
import {DEPARTMENT, SITE, ADMIN, heldRoles} from './staff-common.js';

const TOOLS = [
  {href: '#/staff', key: 'work.lookup', roles: SITE},
  {href: '#/site/sessions', key: 'work.sessions', roles: SITE},
  {href: '#/site/visit', key: 'work.site_visit', roles: SITE},
  {href: '#/site/observation', key: 'work.site_observation', roles: SITE},
  {href: '#/site/stock', key: 'work.site_stock', roles: SITE},
  {href: '#/site/stock/moves', key: 'work.stock_moves', roles: SITE},
  {href: '#/triage', key: 'work.triage', roles: ['site_staff', 'department_staff']},
  {href: '#/dept/queue', key: 'work.queue', roles: DEPARTMENT},
  {href: '#/dept/units', key: 'work.units', roles: DEPARTMENT},
  {href: '#/admin/vaccines', key: 'work.vaccines', roles: ADMIN},
  {href: '#/dept/campaigns', key: 'work.campaigns', roles: DEPARTMENT},
  {href: '#/dashboard', key: 'work.dashboard', roles: SITE},
  {href: '#/dept/safety', key: 'work.safety', roles: DEPARTMENT},
  {href: '#/work/corrections', key: 'work.corrections', roles: SITE},
  {href: '#/work/backfills', key: 'work.backfills', roles: SITE},
  {href: '#/work/imports', key: 'work.imports', roles: SITE},
];

export default {
  title: 'work.title',

  view() {
    if (!isStaff()) return html`<h1>${t('work.title')}</h1><p>${t('staff.not_staff')}</p>`;
    const roles = staffRoles();
    const tools = TOOLS.filter((x) => heldRoles(x.roles).length);
    return html`
      <h1>${t('work.title')}</h1>
      <p class="lead">${roles.map((r) => t('staff.role_at', {role: t(`role.${r.role}`), unit: r.unit_name})).join('; ')}</p>
      ${state.me?.staff_needs_passkey ? html`<p class="card attention">${t('staff.needs_passkey')}
        <a href="#/staff">${t('work.how_passkey')}</a></p>` : nothing}
      <ul class="list tools">
        ${tools.map((x) => html`<li><a class="row" href=${x.href}>
          <span class="name">${t(`${x.key}`)}</span>
          <span class="meta">${t(`${x.key}_hint`)}</span></a></li>`)}
      </ul>`;
  },
};
