// The app shell: hash routing (#/…: data in the fragment never reaches a server log), the
// layout, the live regions screen readers hear, and focus on each new screen's heading.
import {html, render, nothing} from 'lit-html';
import {t, initLang, setLang, lang, onLangChange} from './i18n/index.js';
import {setOfflineMessage} from './api.js';
import {state, refresh, isStaff} from './state.js';
import {registerServiceWorker, killServiceWorkerIfAsked} from './sw-register.js';
import signin from './screens/signin.js';
import home from './screens/home.js';
import profile from './screens/profile.js';
import passkeyOffer from './screens/passkey-offer.js';
import dependants from './screens/dependants.js';
import dependantNew from './screens/dependant-new.js';
import person from './screens/person.js';
import invitations from './screens/invitations.js';
import claim from './screens/claim.js';
import security from './screens/security.js';
import staff from './screens/staff.js';
import notFound from './screens/not-found.js';
import checkpoint from './screens/checkpoint.js';
import passports from './screens/passports.js';
import inbox from './screens/inbox.js';
import notificationSettings from './screens/notifications.js';
import vaccination from './screens/vaccination.js';
import sessionsFind from './screens/sessions-find.js';
import sessionBook from './screens/session-book.js';
import booking from './screens/booking.js';
import work from './screens/work.js';
import deptQueue from './screens/dept-queue.js';
import deptUnits from './screens/dept-units.js';
import siteSessions from './screens/site-sessions.js';
import adminVaccines from './screens/admin-vaccines.js';
import stats from './screens/stats.js';
import dashboard from './screens/dashboard.js';
import {doses as reactionDoses, reaction as reactionReport} from './screens/reactions.js';
import triage from './screens/triage.js';
import {inbox as inboxBadge, startBadge, cachedInbox} from './notify.js';
import siteVisit from './screens/site-visit.js';
import siteObservation from './screens/site-observation.js';
import siteStock from './screens/site-stock.js';
import stockMoves from './screens/stock-moves.js';
import deptCampaigns from './screens/dept-campaigns.js';
import deptSafety from './screens/dept-safety.js';
import {corrections, doseHistory} from './screens/corrections.js';
import {correctionQueue, correctionDetail, backfills, imports as doseImports, importDetail} from './screens/records-work.js';

const routes = [
  ['/signin', signin],
  ['/', home],
  ['/profile', profile],
  ['/passkey', passkeyOffer],
  ['/dependants', dependants],
  ['/dependants/new', dependantNew],
  ['/people/:id', person],
  ['/invitations', invitations],
  ['/claim', claim],
  ['/security', security],
  ['/staff', staff],
  ['/checkpoint', checkpoint],
  ['/passports', passports],
  ['/inbox', inbox],
  ['/notifications', notificationSettings],
  ['/vaccination', vaccination],
  ['/vaccination/sessions', sessionsFind],
  ['/vaccination/sessions/:id', sessionBook],
  ['/bookings/:id', booking],
  ['/work', work],
  ['/dept/queue', deptQueue],
  ['/dept/units', deptUnits],
  ['/site/sessions', siteSessions],
  ['/admin/vaccines', adminVaccines],
  ['/stats', stats],
  ['/dashboard', dashboard],
  ['/doses', reactionDoses],
  ['/reaction', reactionReport],
  ['/triage', triage],
  ['/site/visit', siteVisit],
  ['/site/observation', siteObservation],
  ['/site/stock', siteStock],
  ['/site/stock/moves', stockMoves],
  ['/dept/campaigns', deptCampaigns],
  ['/dept/safety', deptSafety],
  ['/corrections', corrections],
  ['/doses/:id/history', doseHistory],
  ['/work/corrections', correctionQueue],
  ['/work/corrections/:id', correctionDetail],
  ['/work/backfills', backfills],
  ['/work/imports', doseImports],
  ['/work/imports/:id', importDetail],
];

// Screens a signed-in account without its own profile may open.
const WITHOUT_PROFILE = new Set([signin, profile, claim, security, staff, invitations, passkeyOffer,
  work, deptQueue, deptUnits, siteSessions, adminVaccines]);
WITHOUT_PROFILE.add(dashboard);
WITHOUT_PROFILE.add(triage);
[siteVisit, siteObservation, siteStock].forEach((x) => WITHOUT_PROFILE.add(x));
WITHOUT_PROFILE.add(stockMoves);
[deptCampaigns, deptSafety].forEach((x) => WITHOUT_PROFILE.add(x));
[correctionQueue, correctionDetail, backfills, doseImports, importDetail].forEach((x) => WITHOUT_PROFILE.add(x));
const WORK_PATHS = /^\/(work|staff|dept|site|admin)(\/|$)/;

const root = document.getElementById('app');
let current = null;  // {screen, ctx}
const live = {status: '', alert: ''};

function match(path) {
  for (const [pattern, screen] of routes) {
    const names = [];
    const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, n) => { names.push(n); return '([^/]+)'; }) + '$');
    const m = re.exec(path);
    if (m) return {screen, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]))};
  }
  return {screen: notFound, params: {}};
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  return {path: path || '/', query: new URLSearchParams(query)};
}

let carried = null;  // a message for the screen we are going to (e.g. "Profile saved.")

/** Open another screen; `message` is announced there (said after the new heading). */
export function go(hash, message = null) {
  carried = message;
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** Say something to everyone: visible under the header and read by screen readers. */
export function announce(text, {error = false} = {}) {
  live.status = error ? '' : text;
  live.alert = error ? text : '';
  draw();
}

function clearAnnouncements() {
  live.status = '';
  live.alert = '';
}

function guard(screen) {
  if (screen.public) return null;  // e.g. the checkpoint: a verdict needs no account
  if (screen === signin) return state.me ? (state.me.person ? '#/' : '#/profile') : null;
  if (!state.me) {
    if (state.offline && screen === home && state.people.length) return null;
    if (state.offline && screen === inbox && cachedInbox()) return null;  // the last inbox seen
    if (state.offline && screen === passports && state.people.length) return null;  // the kept passports
    return '#/signin';
  }
  if (!state.me.person && !WITHOUT_PROFILE.has(screen)) return isStaff() ? '#/staff' : '#/profile';
  return null;
}

function route() {
  const {path, query} = parseHash();
  const {screen, params} = match(path);
  const redirect = state.loaded ? guard(screen) : null;
  if (redirect) {
    location.replace(redirect);
    return;
  }
  if (current) {
    current.ctx.active = false;
    current.ctx.leaving.forEach((fn) => fn());  // e.g. turn a camera off
  }
  clearAnnouncements();
  if (carried) {
    live.status = carried;
    carried = null;
  }
  const ctx = {
    params, query, s: {}, active: true, leaving: [],
    update: () => { if (ctx.active) draw(); },
    onLeave: (fn) => ctx.leaving.push(fn),
    go, announce,
  };
  current = {screen, ctx};
  screen.enter?.(ctx);
  draw();
  focusHeading();
}

function focusHeading() {
  requestAnimationFrame(() => {
    const h1 = root.querySelector('main h1');
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus();
    }
    window.scrollTo(0, 0);
  });
}

function navLink(href, label, here) {
  return html`<li><a href=${href} aria-current=${here ? 'page' : nothing}>${label}</a></li>`;
}

/** The inbox tab, with the unread count as a badge (and in its accessible name). */
function inboxLink(here) {
  const n = inboxBadge.unread;
  return html`<li><a href="#/inbox" class=${n ? 'has-count' : nothing} aria-current=${here ? 'page' : nothing}
    aria-label=${n ? t('nav.inbox_unread', {n}) : nothing}>${t('nav.inbox')}${n
      ? html`<span class="count" aria-hidden="true">${n > 99 ? '99+' : n}</span>` : nothing}</a></li>`;
}

function layout(content) {
  const {path} = parseHash();
  const other = lang() === 'vi' ? 'en' : 'vi';
  const signedIn = !!state.me;
  const hasProfile = !!state.me?.person;
  return html`
    <header class="bar">
      <a class="brand" href="#/">${t('app.name')}</a>
      <button type="button" class="lang" lang=${other} @click=${() => setLang(other)}
        aria-label=${t('lang.switch_label')}>${t('lang.other')}</button>
    </header>
    ${state.offline ? html`<p class="banner offline">${t('offline.banner')}</p>` : nothing}
    <div class="live" role="status" aria-live="polite" aria-atomic="true">
      ${live.status ? html`<p class="notice">${live.status}</p>` : nothing}</div>
    <div class="live" role="alert" aria-atomic="true">
      ${live.alert ? html`<p class="notice error">${live.alert}</p>` : nothing}</div>
    <main id="main">${content}</main>
    ${signedIn ? html`<nav class="tabs" aria-label=${t('nav.label')}><ul>
      ${hasProfile ? navLink('#/', t('nav.home'), path === '/') : nothing}
      ${hasProfile ? navLink('#/dependants', t('nav.people'), path.startsWith('/dependants') || path.startsWith('/people')) : nothing}
      ${hasProfile ? navLink('#/vaccination', t('nav.vaccination'), path.startsWith('/vaccination') || path.startsWith('/bookings')) : nothing}
      ${isStaff() ? navLink('#/work', t('nav.work'), WORK_PATHS.test(path)) : nothing}
      ${(state.me.held_roles ?? state.me.roles ?? []).some((r) => r.role === 'checkpoint_officer')
        ? navLink('#/checkpoint', t('nav.checkpoint'), path === '/checkpoint') : nothing}
      ${hasProfile ? inboxLink(path === '/inbox' || path === '/notifications') : nothing}
      ${navLink('#/security', t('nav.security'), path === '/security')}
    </ul></nav>` : nothing}`;
}

function draw() {
  if (!current) return;
  const {screen, ctx} = current;
  document.title = `${t(screen.title)} · ${t('app.name')}`;
  render(layout(screen.view(ctx)), root);
}

function setOnline(online) {
  if (online) {
    state.offline = false;
    refresh().then(draw).catch(() => {});
  } else {
    state.offline = true;
  }
  draw();
}

async function boot() {
  initLang();
  setOfflineMessage(t('error.network'));
  onLangChange(() => {
    setOfflineMessage(t('error.network'));
    clearAnnouncements();  // they were said in the other language
    draw();
  });
  if (await killServiceWorkerIfAsked()) return;
  registerServiceWorker();
  render(html`<main id="main"><p class="loading">${t('app.loading')}</p></main>`, root);
  try {
    await refresh();
  } catch (e) {
    state.loaded = true;
    live.alert = e.title || String(e);
  }
  if (!navigator.onLine) state.offline = true;
  startBadge(() => draw(), () => !!state.me);
  window.addEventListener('hashchange', route);
  window.addEventListener('online', () => setOnline(true));
  window.addEventListener('offline', () => setOnline(false));
  route();
}

boot();
