// My agenda: the coming sessions of all my cases, day by day, and my calendar feed (a private
// subscription link for a calendar app: created and shown once, replaced, revoked).
import { api } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { formatDate, formatDateTime, language, locale, t } from '../common/i18n.js';
import { errorBox, showError } from './form.js';

const HERE = Intl.DateTimeFormat().resolvedOptions().timeZone;

// The periods one can look at: what is to come (the default), or what was held lately.
const PERIODS = ['upcoming', 'past'];

function isoDay(date) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: HERE }).format(date);
}

function query(period) {
  if (period !== 'past') return '';
  const today = new Date();
  const from = new Date(today.getTime() - 30 * 86400000);
  return `?start=${isoDay(from)}&end=${isoDay(today)}&tz=${encodeURIComponent(HERE)}`;
}

export async function showAgenda(main, period = 'upcoming') {
  const [agenda, feed] = await Promise.all([api('GET', `/api/agenda${query(period)}`), api('GET', '/api/agenda/feed')]);
  const choice = h('select', { id: 'agenda-period', 'aria-label': t('agenda.period'),
    onchange: () => showAgenda(main, choice.value) },
  PERIODS.map((p) => h('option', { value: p, selected: p === period }, t(`agenda.period.${p}`))));
  mount(
    main,
    h('div', { class: 'page-head' },
      h('h1', {}, t('agenda.title')),
      h('span', { class: 'actions' }, choice,
        h('a', { href: '/cases', 'data-nav': true, class: 'button secondary' }, t('agenda.toCases')))),
    h('p', { class: 'hint agenda-window' }, period === 'past'
      ? t('agenda.windowPast')
      : t('agenda.window', { days: windowDays(agenda) })),
    sessionList(agenda, period),
    feedPanel(feed),
  );
}

function windowDays(agenda) {
  return Math.round((new Date(agenda.end) - new Date(agenda.start)) / 86400000);
}

// The session's own day, in its own time zone (what the mediator scheduled).
function dayOf(session) {
  return session.local_start.slice(0, 10);
}

function dayTitle(day) {
  // noon UTC: the same calendar day in every zone of the world
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'full', timeZone: 'UTC' }).format(new Date(`${day}T12:00:00Z`));
}

function timeIn(iso, timeZone) {
  return new Intl.DateTimeFormat(locale(), { timeStyle: 'short', timeZone }).format(new Date(iso));
}

function sessionList(agenda, period) {
  if (agenda.sessions.length === 0) {
    return h('p', { class: 'empty', id: 'agenda-empty' }, t(period === 'past' ? 'agenda.emptyPast' : 'agenda.empty'));
  }
  const days = new Map();
  const sessions = period === 'past' ? [...agenda.sessions].reverse() : agenda.sessions;
  for (const s of sessions) {
    if (!days.has(dayOf(s))) days.set(dayOf(s), []);
    days.get(dayOf(s)).push(s);
  }
  return h('div', { id: 'agenda-days' },
    [...days].map(([day, sessions]) => h('section', { class: 'agenda-day card', dataset: { day } },
      h('h2', {}, dayTitle(day)),
      h('ul', { class: 'agenda-sessions' }, sessions.map(sessionItem)))),
    agenda.truncated ? h('p', { class: 'hint' }, t('agenda.truncated')) : null);
}

function sessionItem(s) {
  const when = `${timeIn(s.starts_at, s.timezone)} – ${timeIn(s.ends_at, s.timezone)}`;
  const elsewhere = s.timezone !== HERE
    ? h('span', { class: 'muted' }, ` (${s.timezone}; ${t('agenda.hereAt', { time: timeIn(s.starts_at, HERE) })})`)
    : null;
  const now = new Date();
  const live = s.status === 'open' || (new Date(s.starts_at) <= now && now < new Date(s.ends_at));
  // the room of a session that starts within the day (or runs) opens from here too
  const soon = s.status !== 'ended' && new Date(s.starts_at) - now < 86400000 && now < new Date(s.ends_at);
  return h('li', { class: 'agenda-session', dataset: { sessionId: s.id, caseId: s.case_id } },
    h('div', { class: 'agenda-time' }, h('strong', {}, when), elsewhere,
      live ? h('span', { class: 'status status-active' }, t('agenda.now')) : null,
      s.status === 'ended' ? h('span', { class: 'status status-ended' }, t('sessions.ended')) : null,
      soon ? h('a', { class: 'button primary open-room',
        href: `/room?session=${encodeURIComponent(s.id)}&case=${encodeURIComponent(s.case_id)}` }, t('sessions.openRoom')) : null),
    h('div', { class: 'agenda-case' },
      h('a', { href: `/cases/${s.case_id}`, 'data-nav': true, class: 'agenda-ref' }, s.case_reference),
      ' — ', s.case_public_title,
      s.role === 'co' ? h('span', { class: 'muted' }, ` · ${t('agenda.coMediator')}`) : null,
      s.case_status === 'closed' ? h('span', { class: 'status status-ended' }, t('agenda.caseClosed')) : null),
    h('div', { class: 'muted agenda-people' },
      t('sessions.minutes', { n: s.duration_minutes }), ' · ',
      t(s.participants === 1 ? 'agenda.participant' : 'agenda.participants', { n: s.participants }), ' · ',
      s.participants > 0 && s.invited >= s.participants
        ? t('agenda.allInvited')
        : t('agenda.invited', { n: s.invited, of: s.participants })));
}

// -- the calendar feed ---------------------------------------------------------------------

function feedPanel(initial) {
  const body = h('div', { id: 'feed-state' });
  const error = errorBox();
  const section = h('section', { class: 'card', id: 'agenda-feed' },
    h('h2', {}, t('agenda.feed.title')),
    h('p', {}, t('agenda.feed.what')),
    h('ul', { class: 'hint feed-facts' },
      h('li', {}, t('agenda.feed.contains')),
      h('li', {}, t('agenda.feed.never')),
      h('li', {}, t('agenda.feed.anyone'))),
    body, error);
  render(initial, null);
  return section;

  function render(state, url) {
    const parts = [];
    if (url) {
      const input = h('input', { class: 'link-url feed-url', id: 'feed-url', readonly: true, value: url, 'aria-label': t('agenda.feed.url') });
      const feedback = h('span', { class: 'feedback', role: 'status' });
      parts.push(
        h('p', { class: 'notice' }, t('agenda.feed.once')),
        h('div', { class: 'actions' }, input,
          h('button', { type: 'button', class: 'secondary', id: 'feed-copy', onclick: async () => {
            try {
              await navigator.clipboard.writeText(url);
            } catch {
              input.select();
              document.execCommand('copy');
            }
            feedback.textContent = t('links.copied');
          } }, t('links.copy')),
          h('a', { class: 'button secondary', href: url.replace(/^https?:/, 'webcal:') }, t('agenda.feed.subscribe')),
          feedback));
    }
    if (state.exists) {
      parts.push(h('p', { id: 'feed-since' }, t('agenda.feed.since', { date: formatDateTime(state.created_at) }), ' ',
        state.last_used_at
          ? t('agenda.feed.lastUsed', { date: formatDate(state.last_used_at) })
          : t('agenda.feed.neverUsed')));
      parts.push(h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', id: 'feed-replace', onclick: () => {
          if (confirm(t('agenda.feed.replaceConfirm'))) create();
        } }, t('agenda.feed.replace')),
        h('button', { type: 'button', class: 'link danger', id: 'feed-revoke', onclick: revoke }, t('agenda.feed.revoke'))));
    } else {
      parts.push(h('p', { class: 'muted', id: 'feed-none' }, t('agenda.feed.none')),
        h('button', { type: 'button', class: 'primary', id: 'feed-create', onclick: create }, t('agenda.feed.create')));
    }
    mount(body, parts);
  }

  async function create() {
    error.hidden = true;
    try {
      const made = await api('POST', '/api/agenda/feed', { language: language() });
      render(await api('GET', '/api/agenda/feed'), made.url);
    } catch (err) {
      showError(error, err);
    }
  }

  async function revoke() {
    if (!confirm(t('agenda.feed.revokeConfirm'))) return;
    error.hidden = true;
    try {
      await api('DELETE', '/api/agenda/feed');
      render(await api('GET', '/api/agenda/feed'), null);
    } catch (err) {
      showError(error, err);
    }
  }
}
