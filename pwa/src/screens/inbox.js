// The in-app inbox: every message for the account and its dependants, newest first. The last
// page seen is kept on the device, so the inbox still reads offline. Opened from a push
// notification as #/inbox?open=<id>: that message is marked read here (the service worker has
// no CSRF token, so the page does it) and shown first.
import {html, nothing} from 'lit-html';
import {t, lang} from '../i18n/index.js';
import {api} from '../api.js';
import {state} from '../state.js';
import {formatDateTime} from '../format.js';
import {cachedInbox, saveInbox, setUnread} from '../notify.js';
import {problemText} from './common.js';

const PAGE = 20;

export default {
  title: 'inbox.title',

  enter(ctx) {
    const cached = cachedInbox(state.me?.account_id);
    ctx.s.items = cached?.items ?? null;
    ctx.s.unread = cached?.unread ?? 0;
    ctx.s.savedAt = cached?.saved_at ?? null;
    ctx.s.fromCache = !!cached;
    ctx.s.next = null;
    ctx.s.open = ctx.query.get('open');
    load(ctx);
  },

  view(ctx) {
    const {items, unread} = ctx.s;
    return html`
      <h1>${t('inbox.title')}</h1>
      <div class="inbox-head">
        <p class="meta" id="inbox-unread">${unread ? t('inbox.unread_count', {n: unread}) : t('inbox.all_read')}</p>
        <a class="button secondary small-link" href="#/notifications">${t('inbox.settings')}</a>
      </div>
      ${ctx.s.fromCache && ctx.s.savedAt
        ? html`<p class="card attention" role="note">${t('inbox.cached', {time: formatDateTime(ctx.s.savedAt, lang())})}</p>` : nothing}
      ${items === null ? html`<p class="loading">${t('app.loading')}</p>`
        : items.length === 0 ? html`<p class="card">${t('inbox.empty')}</p>`
        : html`
          ${unread ? html`<button type="button" class="secondary" ?disabled=${ctx.s.busy || state.offline}
              @click=${() => readAll(ctx)}>${t('inbox.read_all')}</button>` : nothing}
          <ul class="list inbox">${items.map((m) => message(ctx, m))}</ul>
          ${ctx.s.next ? html`<button type="button" class="secondary" ?disabled=${ctx.s.busy}
              @click=${() => more(ctx)}>${t('inbox.more')}</button>` : nothing}`}`;
  },
};

function message(ctx, m) {
  const unread = !m.read_at;
  const who = m.person ? (m.person.relation === 'self' ? t('inbox.about_me', {name: m.person.full_name})
                                                       : t('inbox.about_dependant', {name: m.person.full_name}))
    : t('inbox.about_everyone');
  return html`<li class="card msg ${unread ? 'unread' : ''} ${m.urgent ? 'urgent' : ''}
      ${ctx.s.open === m.id ? 'opened' : ''}" id="msg-${m.id}">
    <h2 class="msg-title">${unread ? html`<span class="dot" aria-hidden="true"></span>
      <span class="visually-hidden">${t('inbox.unread')}: </span>` : nothing}${m.title}</h2>
    <p class="meta"><span class="msg-person">${who}</span> · ${formatDateTime(m.created_at, lang())}
      ${m.urgent ? html` · <strong class="urgent-label">${t('inbox.urgent')}</strong>` : nothing}</p>
    <p class="msg-body">${m.body}</p>
    ${unread ? html`<button type="button" class="link" ?disabled=${ctx.s.busy === m.id || state.offline}
        aria-label=${t('inbox.mark_read_label', {title: m.title})}
        @click=${() => markRead(ctx, m.id)}>${t('inbox.mark_read')}</button>` : nothing}
  </li>`;
}

async function load(ctx) {
  try {
    const page = await api.get(`/inbox?limit=${PAGE}`);
    ctx.s.items = page.items;
    ctx.s.unread = page.unread;
    ctx.s.next = page.next_before;
    ctx.s.fromCache = false;
    saveInbox(state.me?.account_id, page);
  } catch (e) {
    ctx.s.items ??= [];
    if (!e.offline) ctx.announce(problemText(e), {error: true});
  }
  ctx.update();
  if (ctx.s.open && !ctx.s.fromCache) {
    await markRead(ctx, ctx.s.open, {quiet: true});
    requestAnimationFrame(() => document.getElementById(`msg-${ctx.s.open}`)?.scrollIntoView({block: 'center'}));
  }
}

function applyRead(ctx, item) {
  const i = ctx.s.items.findIndex((m) => m.id === item.id);
  if (i >= 0) {
    if (!ctx.s.items[i].read_at) ctx.s.unread = Math.max(0, ctx.s.unread - 1);
    ctx.s.items[i] = item;
  } else {
    ctx.s.items.unshift(item);  // opened from a push about a message older than this page
  }
  saveInbox(state.me?.account_id, {items: ctx.s.items, unread: ctx.s.unread});
}

async function markRead(ctx, id, {quiet = false} = {}) {
  ctx.s.busy = id; ctx.update();
  try {
    const item = await api.post(`/inbox/${encodeURIComponent(id)}/read`, {});
    if (item?.id && item.id !== id) ctx.s.open = item.id;  // the push copy's id found its message
    applyRead(ctx, item);
    if (!quiet) ctx.announce(t('inbox.marked_read'));
  } catch (e) {
    if (!quiet || !e.offline) ctx.announce(problemText(e), {error: true});
  } finally {
    ctx.s.busy = null; ctx.update();
  }
}

async function readAll(ctx) {
  ctx.s.busy = true; ctx.update();
  try {
    await api.post('/inbox/read-all', {});
    const now = new Date().toISOString();
    ctx.s.items = ctx.s.items.map((m) => (m.read_at ? m : {...m, read_at: now}));
    ctx.s.unread = 0;
    saveInbox(state.me?.account_id, {items: ctx.s.items, unread: 0});
    ctx.announce(t('inbox.all_marked'));
  } catch (e) {
    ctx.announce(problemText(e), {error: true});
  } finally {
    ctx.s.busy = false; ctx.update();
  }
}

async function more(ctx) {
  ctx.s.busy = true; ctx.update();
  try {
    const page = await api.get(`/inbox?limit=${PAGE}&before=${encodeURIComponent(ctx.s.next)}`);
    ctx.s.items = [...ctx.s.items, ...page.items];
    ctx.s.next = page.next_before;
    setUnread(page.unread);
    ctx.s.unread = page.unread;
  } catch (e) {
    ctx.announce(problemText(e), {error: true});
  } finally {
    ctx.s.busy = false; ctx.update();
  }
}
