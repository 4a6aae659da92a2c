// Changing a scheduled session (move it, cancel it: the server tells each participant
// invited by e-mail), the case's reminder before each session, and a new link mailed after
// a revocation in one click.
import { api } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { t } from '../common/i18n.js';
import { errorBox, field, showError } from './form.js';
import { queued } from './outbox.js';

// The session's local date and time as the form's inputs want them.
function localParts(session) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: session.timezone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(session.starts_at)).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

function noticeText(result) {
  return result.notices_queued > 0 ? t('change.noticesQueued', { n: result.notices_queued }) : t('change.noNotice');
}

// Beside a scheduled session: "Move" opens a small form, "Cancel the session" asks first.
export function sessionChanges(session, zones, done) {
  const box = h('div', { class: 'session-change' });
  const status = h('p', { class: 'muted change-status', role: 'status' });
  const openMove = () => {
    const error = errorBox();
    const { date, time } = localParts(session);
    const form = h('form', { class: 'inline-form move-form', onsubmit: async (event) => {
      event.preventDefault();
      error.hidden = true;
      const data = new FormData(form);
      try {
        const result = await api('POST', `/api/sessions/${session.id}/move`, {
          date: data.get('date'), time: data.get('time'), timezone: data.get('timezone'),
          duration_minutes: Number(data.get('duration')),
        });
        done(noticeText(result));
      } catch (err) {
        showError(error, err);
      }
    } },
    h('h4', {}, t('change.moveTitle')),
    h('div', { class: 'row' },
      field('sessions.date', h('input', { name: 'date', type: 'date', required: true, value: date })),
      field('sessions.time', h('input', { name: 'time', type: 'time', required: true, value: time })),
      field('sessions.timezone', h('select', { name: 'timezone' },
        (zones.includes(session.timezone) ? zones : [session.timezone, ...zones])
          .map((z) => h('option', { value: z, selected: z === session.timezone }, z)))),
      field('sessions.duration', h('input', { name: 'duration', type: 'number', min: 15, max: 720, step: 15, value: session.duration_minutes }))),
    h('p', { class: 'hint' }, t('change.moveHint')),
    error,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary move-submit' }, t('change.moveSubmit')),
      h('button', { type: 'button', class: 'secondary', onclick: () => mount(box) }, t('change.back'))));
    mount(box, form);
  };
  // A confirm step of its own (not the browser's dialog): what happens, then the choice.
  const openCancel = () => {
    const error = errorBox();
    const confirmCancel = async () => {
      try {
        const result = await api('POST', `/api/sessions/${session.id}/cancel`);
        done(noticeText(result));
      } catch (err) {
        showError(error, err);
      }
    };
    mount(box, h('div', { class: 'cancel-confirm', role: 'alertdialog', 'aria-label': t('change.cancelTitle') },
      h('h4', {}, t('change.cancelTitle')),
      h('p', {}, t('change.cancelBody')),
      error,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary danger cancel-confirm-yes', onclick: confirmCancel }, t('change.cancelYes')),
        h('button', { type: 'button', class: 'secondary cancel-confirm-no', onclick: () => mount(box) }, t('change.cancelNo')))));
  };
  return h('div', { class: 'session-changes' },
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary move-session', onclick: openMove }, t('change.move')),
      h('button', { type: 'button', class: 'link danger cancel-session', onclick: openCancel }, t('change.cancel'))),
    box, status);
}

// For a person whose link was withdrawn (or is past its time) and who has an address: a new
// link and the e-mail that carries it, in one click (the server says the earlier one no
// longer works when they had been mailed before).
export function newLinkByMail(session, link, participant, feedback, refresh) {
  if (!participant || !participant.email) return [];
  const send = h('button', { type: 'button', class: 'secondary new-link-mail', onclick: async () => {
    send.disabled = true;
    try {
      await api('POST', `/api/sessions/${session.id}/links/${link.participant_id}/email`, {});
      feedback.textContent = t('change.newLinkSent');
      queued();
      refresh();
    } catch (err) {
      feedback.textContent = t('mail.queueFailed');
      send.disabled = false;
    }
  } }, t('change.newLinkMail'));
  return [send];
}

// The case's reminder: how many hours before each session invited participants get one.
export function reminderSetting(kase) {
  const status = h('span', { class: 'muted', id: 'reminder-status', role: 'status' });
  const input = h('input', { name: 'reminder_hours', type: 'number', min: 0, max: 168, step: 1, id: 'reminder-hours', disabled: true });
  api('GET', `/api/cases/${kase.id}/reminder`).then(({ hours }) => {
    input.value = hours;
    input.disabled = false;
  }).catch(() => { status.textContent = t('error.generic'); });
  const form = h('form', { class: 'inline-form', id: 'reminder-form', onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api('PUT', `/api/cases/${kase.id}/reminder`, { hours: Number(input.value) });
      status.textContent = Number(input.value) === 0 ? t('reminder.savedNone') : t('reminder.saved');
    } catch (err) {
      status.textContent = t('reminder.failed');
    }
  } },
  h('p', { class: 'hint' }, t('reminder.hint')),
  h('div', { class: 'row reminder-row' }, field('reminder.hours', input),
    h('button', { type: 'submit', class: 'secondary' }, t('reminder.save')), status));
  return h('div', { class: 'reminder', id: 'reminder' }, h('h3', {}, t('reminder.title')), form);
}
