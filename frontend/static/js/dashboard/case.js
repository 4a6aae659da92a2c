// One case: its participants, its sessions, and each participant's personal link.
import { api } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { formatDateTime, language, t } from '../common/i18n.js';
import { actionKey, viaKey } from './audit_labels.js';
import { closingSection } from './closing.js';
import { encryptionSection } from './encryption.js';
import { errorBox, field, showError } from './form.js';
import { mailButton, outboxSection } from './outbox.js';
import { newLinkByMail, reminderSetting, sessionChanges } from './schedule_changes.js';
import { textsSection } from '../signing/case_texts.js';

const ZONES = ['Europe/Paris', 'Europe/Brussels', 'Europe/Luxembourg', 'Europe/Zurich',
  'Europe/London', 'America/Montreal', 'America/Guadeloupe', 'America/Martinique',
  'America/Cayenne', 'Indian/Reunion', 'Indian/Mayotte', 'Pacific/Noumea', 'Pacific/Tahiti', 'UTC'];

// ``flash``: what the last change of a session did (notices queued), shown above the sessions.
export async function showCase(main, caseId, flash = '') {
  const [kase, { sessions }] = await Promise.all([
    api('GET', `/api/cases/${caseId}`),
    api('GET', `/api/cases/${caseId}/sessions`),
  ]);
  const sessionsBox = h('div', { id: 'sessions' });
  mount(
    main,
    h('p', {}, h('a', { href: '/cases', 'data-nav': true }, `← ${t('cases.title')}`)),
    h('div', { class: 'page-head' }, h('h1', {}, `${kase.reference} — ${kase.title}`)),
    h('section', { class: 'card' },
      h('dl', { class: 'facts' },
        h('dt', {}, t('cases.type')), h('dd', {}, t(`type.${kase.mediation_type}`)),
        h('dt', {}, t('cases.publicTitle')), h('dd', {}, kase.public_title),
        h('dt', {}, t('cases.mediators')),
        h('dd', {}, kase.mediators.map((m) => `${m.display_name}${m.role === 'co' ? ` (${t('cases.co')})` : ''}`).join(', ')),
        h('dt', {}, t('cases.description')), h('dd', { class: 'confidential' }, kase.description || '—'),
      ),
    ),
    h('section', { class: 'card' },
      h('h2', {}, t('cases.participants')),
      h('ul', { class: 'people', id: 'people' }, kase.participants.map((p) => participantItem(kase, p, () => showCase(main, caseId)))),
    ),
    h('section', { class: 'card' },
      h('h2', {}, t('sessions.title')),
      flash ? h('p', { class: 'notice session-flash', role: 'status' }, flash) : null,
      sessionsBox,
      scheduleForm(caseId, () => showCase(main, caseId)),
      reminderSetting(kase),
    ),
    outboxSection(kase),
    textsSection(kase),
    closingSection(kase),
    encryptionSection(kase),
  );
  if (sessions.length === 0) mount(sessionsBox, h('p', { class: 'empty' }, t('sessions.empty')));
  else mount(sessionsBox, sessions.map((s) => sessionBlock(s, kase, (message) => showCase(main, caseId, message))));
  main.append(filesSection(caseId, sessions), notesSection(caseId), auditSection(kase));
}

function participantItem(kase, p, refresh) {
  const base = `/api/cases/${kase.id}/participants/${p.id}`;
  const report = h('div', { class: 'erasure-report', role: 'status' });
  const erase = async () => {
    if (!confirm(t('rights.eraseConfirm', { name: p.display_name }))) return;
    try {
      const result = await api('POST', `${base}/erase`);
      mount(report,
        h('p', {}, t('rights.erased')), h('ul', {}, result.erased.map((e) => h('li', {}, e))),
        h('p', {}, t('rights.kept')), h('ul', {}, result.kept.map((k) => h('li', {}, `${k.what} — ${k.why}`))),
        h('button', { type: 'button', class: 'secondary', onclick: refresh }, t('rights.done')));
    } catch (err) {
      mount(report, h('p', { class: 'error' }, t('error.generic')));
    }
  };
  // A person's data rights (access, erasure) are a step of their own, not a button beside the name.
  return h('li', { dataset: { participantId: p.id } },
    h('strong', {}, p.display_name), ` — ${t(`role.${p.role}`)}`, p.email ? ` — ${p.email}` : '',
    h('details', { class: 'rights' },
      h('summary', {}, t('rights.open')),
      h('p', { class: 'hint' }, t('rights.hint')),
      h('div', { class: 'actions' },
        h('a', { class: 'button secondary export-json', href: `${base}/export?format=json`, download: '' }, t('rights.exportJson')),
        h('a', { class: 'button secondary export-html', href: `${base}/export?format=html`, download: '' }, t('rights.exportHtml'))),
      h('p', { class: 'hint' }, t('rights.eraseHint')),
      h('button', { type: 'button', class: 'secondary danger erase-subject', onclick: erase }, t('rights.erase'))),
    report);
}

// What was shared and drawn in the sessions, kept in the case file: listed without being
// read (no name until downloaded), each download audited by the server.
function filesSection(caseId, sessions) {
  const list = h('ul', { class: 'files', id: 'case-files' });
  const when = new Map(sessions.map((s) => [s.id, formatDateTime(s.starts_at, s.timezone)]));
  api('GET', `/api/cases/${caseId}/files`).then(({ files }) => {
    if (files.length === 0) {
      mount(list, h('li', { class: 'empty' }, t('files.empty')));
      return;
    }
    mount(list, files.map((f) => h('li', { class: 'file', dataset: { fileId: f.id, kind: f.kind } },
      h('strong', {}, t(`files.kind.${f.kind}`)), ' ',
      h('span', { class: 'muted' }, [
        when.has(f.session_id) ? t('files.session', { date: when.get(f.session_id) }) : formatDateTime(f.created_at),
        t('files.size', { n: Math.max(1, Math.round(f.size / 1024)) }),
      ].join(' · ')), ' ',
      h('a', { href: `/api/cases/${caseId}/files/${f.id}`, download: '', class: 'file-download' }, t('files.download')))));
  }).catch(() => mount(list, h('li', { class: 'error' }, t('error.generic'))));
  return h('section', { class: 'card', id: 'case-files-section' },
    h('h2', {}, t('files.title')), h('p', { class: 'hint' }, t('files.hint')), list);
}

function notesSection(caseId) {
  const list = h('div', { id: 'notes' });
  const error = errorBox();
  const textarea = h('textarea', { name: 'body', rows: 4, maxlength: 20000, required: true });
  const refresh = async () => {
    const { notes } = await api('GET', `/api/cases/${caseId}/notes`);
    if (notes.length === 0) mount(list, h('p', { class: 'empty' }, t('notes.empty')));
    else mount(list, notes.map((n) => h('article', { class: 'note', dataset: { noteId: n.id } },
      h('p', { class: 'confidential note-body' }, n.body),
      h('p', { class: 'muted' }, `${formatDateTime(n.updated_at)} · v${n.version} `,
        h('button', { type: 'button', class: 'link danger', onclick: async () => {
          if (!confirm(t('notes.deleteConfirm'))) return;
          await api('DELETE', `/api/cases/${caseId}/notes/${n.id}`);
          refresh();
        } }, t('common.remove'))))));
  };
  const form = h('form', { class: 'inline-form', id: 'note-form', onsubmit: async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      await api('POST', `/api/cases/${caseId}/notes`, { body: textarea.value });
      textarea.value = '';
      refresh();
    } catch (err) {
      showError(error, err);
    }
  } },
  field('notes.new', textarea, 'notes.hint'), error,
  h('button', { type: 'submit', class: 'primary' }, t('notes.add')));
  refresh();
  return h('section', { class: 'card', id: 'private-notes' }, h('h2', {}, t('notes.title')), list, form);
}

function actorName(kase, actor) {
  const [kind, id] = actor.split(':');
  if (kind === 'mediator') {
    const m = kase.mediators.find((x) => x.id === id);
    return m ? m.display_name : t('audit.mediator');
  }
  if (kind === 'participant') {
    const p = kase.participants.find((x) => x.id === id);
    return p ? p.display_name : t('audit.participant');
  }
  return t('audit.system');
}

// An action added since this page was written still reads as words, its code in brackets.
function actionLabel(action) {
  const key = actionKey(action);
  return t(key) === key ? t('audit.action.unknown', { code: action }) : t(key);
}

function auditSection(kase) {
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('audit.more'));
  let before = null;
  const load = async () => {
    const query = before ? `?limit=50&before=${before}` : '?limit=50';
    const page = await api('GET', `/api/cases/${kase.id}/audit${query}`);
    body.append(...page.entries.map((e) => h('tr', {},
      h('td', {}, formatDateTime(e.at)), h('td', {}, actorName(kase, e.actor)),
      h('td', { title: e.action }, actionLabel(e.action)),
      h('td', { class: 'muted', title: e.via }, t(viaKey(e.via))))));
    before = page.next_before;
    more.hidden = !before;
  };
  more.addEventListener('click', load);
  load();
  return h('section', { class: 'card', id: 'audit-trail' },
    h('h2', {}, t('audit.title')), h('p', { class: 'hint' }, t('audit.hint')),
    h('table', { class: 'list audit' },
      h('thead', {}, h('tr', {}, ['audit.when', 'audit.who', 'audit.what', 'audit.via'].map((k) => h('th', {}, t(k))))),
      body),
    more);
}

function scheduleForm(caseId, done) {
  const error = errorBox();
  const zones = ZONES.includes(Intl.DateTimeFormat().resolvedOptions().timeZone)
    ? ZONES
    : [Intl.DateTimeFormat().resolvedOptions().timeZone, ...ZONES];
  const form = h(
    'form',
    { class: 'inline-form', id: 'schedule-form', onsubmit: submit },
    h('h3', {}, t('sessions.schedule')),
    h('div', { class: 'row' },
      field('sessions.date', h('input', { name: 'date', type: 'date', required: true })),
      field('sessions.time', h('input', { name: 'time', type: 'time', required: true })),
      field('sessions.timezone', h('select', { name: 'timezone' },
        zones.map((z) => h('option', { value: z, selected: z === 'Europe/Paris' }, z)))),
      field('sessions.duration', h('input', { name: 'duration', type: 'number', min: 15, max: 720, step: 15, value: 120 })),
    ),
    error,
    h('button', { type: 'submit', class: 'primary' }, t('sessions.scheduleSubmit')),
  );
  async function submit(event) {
    event.preventDefault();
    error.hidden = true;
    const data = new FormData(form);
    try {
      await api('POST', `/api/cases/${caseId}/sessions`, {
        date: data.get('date'),
        time: data.get('time'),
        timezone: data.get('timezone'),
        duration_minutes: Number(data.get('duration')),
      });
      done();
    } catch (err) {
      showError(error, err);
    }
  }
  return form;
}

// The session's badge once it is over or cancelled; else the button that opens its room.
function sessionState(session) {
  if (session.status === 'ended') return h('span', { class: 'status status-ended session-ended' }, t('sessions.ended'));
  if (session.status === 'cancelled') return h('span', { class: 'status status-cancelled session-cancelled' }, t('sessions.cancelled'));
  return h('a', { class: 'button primary open-room', href: `/room?session=${encodeURIComponent(session.id)}&case=${encodeURIComponent(session.case_id)}` }, t('sessions.openRoom'));
}

function sessionBlock(session, kase, changed) {
  const table = h('tbody');
  const over = session.status === 'ended' || session.status === 'cancelled';
  const block = h(
    'div',
    { class: 'session', dataset: { sessionId: session.id } },
    h('h3', {}, formatDateTime(session.starts_at, session.timezone),
      h('span', { class: 'muted' }, ` · ${session.timezone} · ${t('sessions.minutes', { n: session.duration_minutes })}`),
      ' ',
      sessionState(session)),
    over ? null : sessionChanges(session, ZONES, changed),
    h('table', { class: 'list links' },
      h('thead', {}, h('tr', {}, ['participant.name', 'participant.role', 'links.status', 'links.actions'].map((k) => h('th', {}, t(k))))),
      table),
    session.status === 'ended' ? h('p', { class: 'hint' }, t('sessions.endedHint')) : null,
    session.status === 'cancelled' ? h('p', { class: 'hint' }, t('sessions.cancelledHint')) : null,
  );
  const refresh = async () => {
    const { links } = await api('GET', `/api/sessions/${session.id}/links`);
    const people = new Map(kase.participants.map((p) => [p.id, p]));
    mount(table, links.map((link) => linkRow(session, link, refresh, people.get(link.participant_id))));
  };
  refresh();
  return block;
}

function linkRow(session, link, refresh, participant) {
  // Once the session is over or cancelled a link opens nothing: no copying, no new link.
  const ended = session.status === 'ended' || session.status === 'cancelled';
  const status = ended
    ? h('span', { class: 'status status-ended' }, t(session.status === 'ended' ? 'links.ended' : 'links.cancelled'))
    : h('span', { class: `status status-${link.status}` }, t(`links.${link.status}`));
  const actions = h('td', { class: 'actions' });
  const feedback = h('span', { class: 'feedback', role: 'status' });
  const issue = async () => {
    await api('POST', `/api/sessions/${session.id}/links/${link.participant_id}`);
    refresh();
  };
  if (ended) {
    actions.append(h('span', { class: 'muted' }, '—'));
  } else if (link.status === 'active') {
    const url = h('input', { class: 'link-url', readonly: true, value: link.url, 'aria-label': t('links.url') });
    actions.append(
      url,
      h('button', { type: 'button', class: 'secondary copy-link', onclick: async () => {
        try {
          await navigator.clipboard.writeText(link.url);
        } catch {
          url.select();
          document.execCommand('copy');
        }
        feedback.textContent = t('links.copied');
      } }, t('links.copy')),
      h('a', { class: 'button secondary', download: 'mediation.ics',
        href: `/api/sessions/${session.id}/links/${link.participant_id}/invitation.ics?lang=${language()}` }, t('links.ics')),
      h('button', { type: 'button', class: 'link danger', onclick: async () => {
        if (!confirm(t('links.revokeConfirm', { name: link.participant_name }))) return;
        await api('POST', `/api/links/${link.jti}/revoke`);
        refresh();
      } }, t('links.revoke')),
      ...mailButton(session, link, participant, feedback),
      feedback,
    );
  } else {
    actions.append(h('button', { type: 'button', class: 'secondary issue-link', onclick: issue },
      t(link.status === 'none' ? 'links.issue' : 'links.reissue')),
    ...(link.status === 'none' ? [] : newLinkByMail(session, link, participant, feedback, refresh)),
    feedback);
  }
  return h('tr', { dataset: { participantId: link.participant_id } },
    h('td', {}, link.participant_name), h('td', {}, t(`role.${link.role}`)), h('td', {}, status), actions);
}
