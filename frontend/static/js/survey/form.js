// The satisfaction survey's form, on a party's end page (room/room.js) and on the page the
// questionnaire's e-mail opens (survey/page.js): on the process, not the outcome.
// The page draws one ballot with the party's credential (their personal link, or the
// questionnaire's own link from the e-mail: once per personal link either way), then
// answers with the ballot alone: the answer carries nothing that says whose it is. A
// language change re-renders the section from what this module keeps (ballot, choices,
// whether answered).
import { api } from '../common/api.js';
import { h } from '../common/dom.js';
import { t } from '../common/i18n.js';

const SCALES = ['heard', 'understood', 'tool_worked'];
const RECOMMEND = ['yes', 'partly', 'no'];
const MAX_COMMENT = 1000;

// ``error``: a catalogue key, so that a language change says it again in the new language;
// ``why``: why no form is offered (a catalogue key), said only where ``explain`` asks it
const survey = {
  credential: null, ballot: null, phase: 'idle', values: {}, error: null, why: null,
  explain: false, slot: null,
};

// Why the server gave no ballot, as a catalogue key.
function refusal(error) {
  if (error.status === 409) {
    return /already/.test(error.message || '') ? 'room.survey.spent' : 'room.survey.notEnded';
  }
  if (error.code === 'link_expired' || error.code === 'link_revoked' || error.code === 'session_closed') {
    return 'room.survey.closed';
  }
  if (error.code === 'forbidden') return 'room.survey.notParty';
  if (error.code === 'link_invalid' || error.status === 400) return 'room.survey.invalid';
  return 'room.survey.unreachable';
}

// Ask for this credential's ballot, once; ``slot`` is re-rendered when it comes. The server
// stores a session's end before telling anyone it ended, so a party told "session:ended"
// gets its ballot at the first try: a refusal is final (answered before, or not offered).
async function drawBallot(credential) {
  survey.credential = credential;
  survey.phase = 'drawing';
  try {
    survey.ballot = (await api('POST', '/api/survey/ballot', credential)).ballot;
    survey.phase = 'open';
  } catch (error) {
    survey.phase = 'unavailable';
    survey.why = refusal(error);
  }
  render();
}

function scale(name) {
  const options = [1, 2, 3, 4, 5].map((n) => h('label', { class: 'choice-inline' },
    h('input', { type: 'radio', name, value: String(n), checked: survey.values[name] === n,
      onchange: () => { survey.values[name] = n; } }), ` ${n}`));
  return h('fieldset', { class: 'choices', id: `survey-${name}` },
    h('legend', {}, t(`room.survey.${name}`)),
    h('p', { class: 'hint' }, t('room.survey.scale')), options);
}

function recommend() {
  const options = RECOMMEND.map((value) => h('label', { class: 'choice-inline' },
    h('input', { type: 'radio', name: 'recommend', value, checked: survey.values.recommend === value,
      onchange: () => { survey.values.recommend = value; } }), ` ${t(`room.survey.${value}`)}`));
  return h('fieldset', { class: 'choices', id: 'survey-recommend' },
    h('legend', {}, t('room.survey.recommend')), options);
}

async function submitAnswer(event) {
  event.preventDefault();
  const values = survey.values;
  if ([...SCALES, 'recommend'].some((name) => values[name] === undefined)) {
    survey.error = 'room.survey.incomplete';
    return render();
  }
  try {
    await api('POST', '/api/survey/answers', {
      ballot: survey.ballot, heard: values.heard, understood: values.understood,
      tool_worked: values.tool_worked, recommend: values.recommend,
      comment: (values.comment || '').trim(),
    });
    survey.phase = 'thanked';
    survey.error = null;
  } catch (error) {
    survey.error = error.status === 409 ? 'room.survey.spent' : 'room.survey.failed';
    if (error.status === 409) survey.phase = 'unavailable';
  }
  render();
}

function form() {
  const comment = h('textarea', { id: 'survey-comment', rows: 3, maxlength: MAX_COMMENT,
    oninput: (e) => { survey.values.comment = e.target.value; } });
  comment.value = survey.values.comment || '';
  return h('form', { id: 'survey-form', onsubmit: submitAnswer, novalidate: true },
    SCALES.map(scale), recommend(),
    h('label', { for: 'survey-comment' }, t('room.survey.comment')), comment,
    survey.error ? h('p', { class: 'error', role: 'alert' }, t(survey.error)) : null,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'survey-send' }, t('room.survey.send'))));
}

function render() {
  const slot = survey.slot;
  if (!slot) return;
  slot.replaceChildren();
  slot.dataset.phase = survey.phase; // read by the browser tests
  const explained = survey.explain && survey.phase === 'unavailable' && survey.why;
  slot.hidden = !['open', 'thanked'].includes(survey.phase) && !survey.error && !explained;
  if (survey.phase === 'thanked') {
    slot.append(h('p', { id: 'survey-thanks', role: 'status' }, t('room.survey.thanks')));
  } else if (survey.phase === 'open') {
    if (!survey.explain) slot.append(h('h2', {}, t('room.survey.title')));
    slot.append(h('p', { class: 'hint' }, t('room.survey.intro')), form());
  } else if (survey.phase === 'unavailable' && survey.error) {
    slot.append(h('p', { class: 'hint' }, t(survey.error)));
  } else if (explained) {
    slot.dataset.why = survey.why.split('.').pop();
    slot.append(h('p', { id: 'survey-unavailable', role: 'status' }, t(survey.why)));
  }
}

// The survey's section for a page: ``credential`` is ``{ token }`` (the party's personal
// link, on the room's end page) or ``{ survey }`` (the questionnaire's link, from the
// e-mail); ``explain``: the section is the page's own (its heading is the page's) and says
// why when no form is offered (the room's end page says nothing then). Drawn once per page; later calls (a language change) render what is
// already known.
export function surveySection(credential, { explain = false } = {}) {
  survey.slot = h('section', { id: 'survey', class: 'survey', 'aria-live': 'polite' });
  survey.explain = explain;
  if (survey.phase === 'idle') drawBallot(credential);
  render();
  return survey.slot;
}
