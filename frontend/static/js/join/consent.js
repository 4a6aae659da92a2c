// The consent step of the join page: both texts, one explicit choice per purpose, typed name.
import { api } from '../common/api.js';
import { focusHeading, h, mount } from '../common/dom.js';
import { language, t } from '../common/i18n.js';

function noticeBlock(id, titleKey, notice, checkboxKey, onChange) {
  const box = h('input', { type: 'checkbox', id: `${id}-ok`, name: id, onchange: onChange });
  return h('section', { class: 'notice-text', id },
    h('h2', {}, t(titleKey)),
    h('p', { class: 'muted' }, t('consent.version', { version: notice.version })),
    h('div', { class: 'notice-body', tabindex: 0 }, notice.body),
    h('label', { class: 'check', for: `${id}-ok` }, box, ' ', t(checkboxKey)));
}

// onRefused(code): the link stopped working meanwhile; true when the page said so.
export async function showConsent(main, token, info, { onDone, onRefused = () => false }) {
  const notices = await api('GET', `/api/notices?lang=${language()}`);
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const name = h('input', { id: 'typed-name', name: 'typed_name', maxlength: 120, autocomplete: 'name' });
  const accept = h('button', { type: 'button', class: 'primary', id: 'consent-accept', disabled: true }, t('consent.accept'));
  const decline = h('button', { type: 'button', class: 'secondary', id: 'consent-decline' }, t('consent.decline'));
  const asksObserver = info.role === 'party' && info.observers.length > 0;
  const observerChoice = () => document.querySelector('input[name=observer]:checked')?.value;
  // While "I accept" cannot be pressed, the line under it says what is still missing.
  const missingHint = h('p', { class: 'hint missing', id: 'consent-missing', 'aria-live': 'polite' });
  accept.setAttribute('aria-describedby', 'consent-missing');
  const missing = () => [
    !document.getElementById('confidentiality-ok')?.checked && 'consent.missingConfidentiality',
    !document.getElementById('privacy-ok')?.checked && 'consent.missingPrivacy',
    name.value.trim().length < 2 && 'consent.missingName',
    asksObserver && !observerChoice() && 'consent.missingObserver',
  ].filter(Boolean);
  const refresh = () => {
    const keys = missing();
    accept.disabled = keys.length > 0;
    missingHint.hidden = keys.length === 0;
    missingHint.textContent = keys.length ? t('consent.missing', { items: keys.map((k) => t(k)).join(t('consent.missingJoin')) }) : '';
  };
  const observerBlock = asksObserver
    ? h('fieldset', { class: 'notice-text', id: 'observer' },
      h('legend', {}, t('consent.observerTitle')),
      h('p', {}, t('consent.observerBody', { names: info.observers.join(', ') })),
      h('label', { class: 'check' }, h('input', { type: 'radio', name: 'observer', value: 'given', id: 'observer-yes', onchange: refresh }), ' ', t('consent.observerYes')),
      h('label', { class: 'check' }, h('input', { type: 'radio', name: 'observer', value: 'declined', id: 'observer-no', onchange: refresh }), ' ', t('consent.observerNo')))
    : null;
  name.addEventListener('input', refresh);
  mount(main, h('div', { class: 'card consent', id: 'consent-step' },
    h('p', { class: 'eyebrow' }, t('consent.step')),
    h('h1', {}, t('consent.title')),
    h('p', {}, t('consent.intro')),
    noticeBlock('confidentiality', 'consent.confidentialityTitle', notices.confidentiality, 'consent.confidentialityCheck', refresh),
    noticeBlock('privacy', 'consent.privacyTitle', notices.privacy, 'consent.privacyCheck', refresh),
    observerBlock,
    h('div', { class: 'field' }, h('label', { for: 'typed-name' }, t('consent.typeName', { name: info.participant_name })), name),
    error,
    h('div', { class: 'actions' }, accept, decline),
    missingHint,
    h('p', { class: 'muted' }, t('consent.withdrawHint'))));

  const send = async (given) => {
    error.hidden = true;
    const decision = given ? 'given' : 'declined';
    try {
      const result = await api('POST', '/api/join/consent', {
        token,
        language: language(),
        shown: { confidentiality: notices.confidentiality.version, privacy: notices.privacy.version },
        decisions: { mediation: decision, privacy: decision, ...(asksObserver && given ? { observer: observerChoice() } : {}) },
        typed_name: name.value.trim(),
      });
      onDone(result.consented);
    } catch (err) {
      if (onRefused(err.code)) return;
      error.textContent = err.code === 'conflict' ? t('consent.changed') : t('error.generic');
      error.hidden = false;
    }
  };
  refresh();
  accept.addEventListener('click', () => send(true));
  decline.addEventListener('click', () => {
    if (confirm(t('consent.declineConfirm'))) send(false);
  });
}

export function showDeclined(main) {
  mount(main, h('section', { class: 'card narrow', id: 'declined' },
    h('h1', {}, t('consent.declinedTitle')), h('p', {}, t('consent.declinedBody'))));
  focusHeading(main);
}
