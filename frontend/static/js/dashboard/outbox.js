// E-mail of a case: "send by e-mail" beside a participant's link, and the case's outbox
// (each message's state: waiting, sent, failed with the server's reason). Without an SMTP
// server the messages wait; the mediator opens one to copy it into their own mail program.
import { api } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { formatDateTime, language, t } from '../common/i18n.js';

const listeners = new Set();

// Tell the outbox section that something was queued.
export function queued() {
  for (const fn of listeners) fn();
}

// Beside an active link, for a participant who has an address (else nothing): the language
// of the message (the recipient's; the page's by default) and the button that sends it.
export function mailButton(session, link, participant, feedback) {
  if (!participant || !participant.email) return [];
  const lang = h('select', { class: 'mail-language', 'aria-label': t('mail.language') },
    ['fr', 'en'].map((code) => h('option', { value: code, selected: code === language() }, t(`mail.lang.${code}`))));
  const send = h('button', { type: 'button', class: 'secondary send-mail', onclick: async () => {
    send.disabled = true;
    try {
      await api('POST', `/api/sessions/${session.id}/links/${link.participant_id}/email`, { language: lang.value });
      feedback.textContent = t('mail.queued');
      queued();
    } catch {
      feedback.textContent = t('mail.queueFailed');
    } finally {
      send.disabled = false;
    }
  } }, t('mail.send'));
  return [h('span', { class: 'mail-send' }, send, ' ', lang)];
}

function stateLabel(message) {
  const label = h('span', { class: `status mail-${message.state}` }, t(`mail.state.${message.state}`));
  // Before any attempt there is no server reply to show (without SMTP, the hint says why).
  if (message.attempts > 0 && message.last_reply) {
    const reason = message.last_code ? `${message.last_code} ${message.last_reply}` : message.last_reply;
    return [label, ' ', h('span', { class: 'muted mail-reason' }, t('mail.reason', { reason }))];
  }
  return [label];
}

// Opens one message (recipient, subject, text) to copy it: the server audits the reading.
function copyBox(caseId, message, into) {
  return h('button', { type: 'button', class: 'link open-mail', onclick: async () => {
    try {
      const mail = await api('GET', `/api/cases/${caseId}/outbox/${message.id}`);
      const text = h('textarea', { class: 'mail-text', readonly: true, rows: 8, 'aria-label': t('mail.text') });
      text.value = mail.text;
      mount(into,
        h('p', {}, h('strong', {}, t('mail.to')), ` ${mail.to}`),
        h('p', {}, h('strong', {}, t('mail.subject')), ` ${mail.subject}`),
        text);
    } catch {
      mount(into, h('p', { class: 'error' }, t('error.generic')));
    }
  } }, t('mail.open'));
}

function messageRow(caseId, smtp, message) {
  const copy = h('div', { class: 'mail-copy' });
  const when = message.sent_at || message.created_at;
  return h('li', { class: 'mail', dataset: { mailId: message.id, state: message.state } },
    h('strong', {}, t(`mail.kind.${message.kind}`)), ' — ',
    message.recipient_name || t('mail.erased'), ' ',
    ...stateLabel(message), ' ',
    h('span', { class: 'muted' }, [formatDateTime(when), t('mail.attempts', { n: message.attempts })].join(' · ')),
    !smtp && message.state === 'waiting' && message.recipient_name ? [' ', copyBox(caseId, message, copy)] : null,
    copy);
}

export function outboxSection(kase) {
  const list = h('ul', { class: 'outbox', id: 'outbox' });
  const note = h('p', { class: 'hint' });
  const refresh = async () => {
    try {
      const { smtp_configured: smtp, messages } = await api('GET', `/api/cases/${kase.id}/outbox`);
      note.textContent = smtp ? t('mail.hint') : t('mail.noSmtp');
      if (messages.length === 0) mount(list, h('li', { class: 'empty' }, t('mail.empty')));
      else mount(list, messages.map((m) => messageRow(kase.id, smtp, m)));
    } catch {
      mount(list, h('li', { class: 'error' }, t('error.generic')));
    }
  };
  listeners.clear();
  listeners.add(() => setTimeout(refresh, 1000));
  refresh();
  return h('section', { class: 'card', id: 'outbox-section' },
    h('h2', {}, t('mail.title')), note, list,
    h('button', { type: 'button', class: 'secondary refresh-outbox', onclick: refresh }, t('mail.refresh')));
}
