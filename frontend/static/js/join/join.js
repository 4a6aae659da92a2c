// A party's join page: who and what the session is about, or why the link cannot be used.
import { api } from '../common/api.js';
import { focusHeading, h, mount } from '../common/dom.js';
import { showConsent, showDeclined } from './consent.js';
import { formatDateTime, onLanguageChange, t, wireLanguageSwitch } from '../common/i18n.js';
import { frameTransformSupport } from '../common/frames.js';
import { textsToSign } from '../signing/join_texts.js';

const main = document.getElementById('main');
let state = null;

function tokenFromLocation() {
  return decodeURIComponent(location.hash.replace(/^#/, '')).trim();
}

async function loadJoinInfo() {
  const token = tokenFromLocation();
  if (!token) return { error: { code: 'link_invalid' } };
  try {
    return { info: await api('POST', '/api/join', { token }) };
  } catch (error) {
    return { error: { code: error.code, contact: error.detail.contact_email || '' } };
  }
}

// Whether this browser can encrypt sound and picture end to end, and what the case says if it
// cannot: told before the consent step, not after it (a refused browser goes no further).
function encryptionNotice(info) {
  if (frameTransformSupport()) return { text: t('join.e2ee'), blocked: false };
  if (info.media_encryption === 'required') return { text: t('join.e2eeRequired'), blocked: true };
  return { text: t('join.e2eeAllowed'), blocked: false };
}

function showJoinInfo(info) {
  const when = formatDateTime(info.local_start, info.timezone);
  const encryption = encryptionNotice(info);
  mount(
    main,
    h('section', { class: 'card narrow', id: 'join-info' },
      h('p', { class: 'eyebrow' }, t('join.eyebrow')),
      h('h1', {}, t('join.hello', { name: info.participant_name })),
      h('p', { class: 'lead' }, t('join.invited')),
      h('dl', { class: 'facts' },
        h('dt', {}, t('join.case')), h('dd', { id: 'case-title' }, info.case_title),
        h('dt', {}, t('join.mediators')), h('dd', {}, info.mediator_names.join(', ')),
        h('dt', {}, t('join.when')), h('dd', { id: 'when' }, when),
        h('dt', {}, t('join.duration')), h('dd', {}, t('sessions.minutes', { n: info.duration_minutes })),
        h('dt', {}, t('join.yourRole')), h('dd', {}, t(`role.${info.role}`)),
      ),
      h('div', { class: 'notice' },
        h('p', {}, h('strong', {}, t('join.noRecordingTitle'))),
        h('p', {}, t('join.noRecording')),
        encryption.blocked ? null : h('p', { id: 'join-e2ee', dataset: { blocked: 'false' } }, encryption.text)),
      encryption.blocked
        ? h('div', { class: 'notice blocked', id: 'join-e2ee', role: 'alert', dataset: { blocked: 'true' } },
          h('p', {}, h('strong', {}, t('join.e2eeRequiredTitle'))), h('p', {}, encryption.text))
        : null,
      encryption.blocked ? null : h('p', {}, t('join.nextSteps')),
      encryption.blocked ? null : h('p', {}, h('button', { type: 'button', class: 'primary', id: 'continue', onclick: () => {
        state.step = 'consent';
        render();
      } }, t('join.continue'))),
      h('p', { class: 'muted' }, t('join.contact', { email: info.contact_email })),
    ),
    textsToSign(tokenFromLocation(), info.participant_name),
  );
}

// Why a link cannot be used (the server's codes, the same on every route and the socket).
const LINK_REFUSALS = ['link_invalid', 'link_expired', 'link_revoked', 'session_closed', 'session_cancelled'];
// no new link is needed for a session that is over or cancelled: the next one has its own
const NO_NEW_LINK = ['session_closed', 'session_cancelled'];

function showLinkError({ code, contact }) {
  const kind = LINK_REFUSALS.includes(code) ? code : 'generic';
  mount(
    main,
    h('section', { class: 'card narrow error-page', id: 'link-error', dataset: { code: kind } },
      h('h1', {}, t(`joinError.${kind}.title`)),
      h('p', {}, t(`joinError.${kind}.body`)),
      // after the session, no new link is needed for it: the next session has its own
      contact
        ? h('p', {}, t(NO_NEW_LINK.includes(kind) ? 'joinError.contactAfter' : 'joinError.contactKnown'), ' ',
          h('a', { href: `mailto:${contact}` }, contact))
        : h('p', {}, t(NO_NEW_LINK.includes(kind) ? 'joinError.contactAfterUnknown' : 'joinError.contactUnknown')),
    ),
    // a link whose session is over still signs its texts and downloads them
    ['session_closed', 'link_expired', 'session_cancelled'].includes(kind) ? textsToSign(tokenFromLocation(), '') : null,
  );
  focusHeading(main);
}

function render() {
  if (!state.info) return showLinkError(state.error);
  if (state.step === 'consent') {
    return showConsent(main, tokenFromLocation(), state.info, {
      onDone: (consented) => {
        if (consented) location.assign(`/room${location.hash}`);
        else {
          state.step = 'declined';
          render();
        }
      },
      // withdrawn, expired or the session ended while reading: the page opening it would show
      onRefused: (code) => {
        if (!LINK_REFUSALS.includes(code)) return false;
        state = { error: { code, contact: state.info.contact_email } };
        render();
        return true;
      },
    });
  }
  if (state.step === 'declined') return showDeclined(main);
  return showJoinInfo(state.info);
}

wireLanguageSwitch();
onLanguageChange(render);
state = await loadJoinInfo();
render();
