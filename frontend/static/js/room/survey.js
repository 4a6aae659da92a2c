// The satisfaction survey on a party's end page: on the process, not the outcome.
// The page draws one ballot with the party's link (once per link), then answers with the
// ballot alone: the answer carries nothing that says whose it is. A language change
// re-renders the section from what this module keeps (ballot, choices, whether answered).
import { api } from '../common/api.js';
import { h } from '../common/dom.js';
import { t } from '../common/i18n.js';

const SCALES = ['heard', 'understood', 'tool_worked'];
const RECOMMEND = ['yes', 'partly', 'no'];
const MAX_COMMENT = 1000;

// ``error``: a catalogue key, so that a language change says it again in the new language
const survey = { token: null, ballot: null, phase: 'idle', values: {}, error: null, slot: null };

const DRAW_TRIES = 8;
const DRAW_PAUSE_MS = 500;

// Ask for this link's ballot; ``slot`` is re-rendered when it comes. "session:ended" may
// reach the page a moment before the end is stored, when the server still answers 409: ask
// again a few times (a link that already drew its ballot gets 409 each time, and no form).
async function drawBallot(token) {
  survey.token = token;
  survey.phase = 'drawing';
  for (let attempt = 1; attempt <= DRAW_TRIES; attempt += 1) {
    try {
      survey.ballot = (await api('POST', '/api/survey/ballot', { token })).ballot;
      survey.phase = 'open';
      break;
    } catch (error) {
      if (error.status !== 409 || attempt === DRAW_TRIES) {
        survey.phase = 'unavailable'; // answered before, or not offered: say nothing
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, DRAW_PAUSE_MS));
    }
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
  slot.hidden = !['open', 'thanked'].includes(survey.phase) && !survey.error;
  if (survey.phase === 'thanked') {
    slot.append(h('p', { id: 'survey-thanks', role: 'status' }, t('room.survey.thanks')));
  } else if (survey.phase === 'open') {
    slot.append(h('h2', {}, t('room.survey.title')), h('p', { class: 'hint' }, t('room.survey.intro')), form());
  } else if (survey.phase === 'unavailable' && survey.error) {
    slot.append(h('p', { class: 'hint' }, t(survey.error)));
  }
}

// The survey's section for an end page (a party's: ``token`` is their link). Drawn once per
// page; later calls (a language change) render what is already known.
export function surveySection(token) {
  survey.slot = h('section', { id: 'survey', class: 'survey', 'aria-live': 'polite' });
  if (survey.phase === 'idle') drawBallot(token);
  render();
  return survey.slot;
}
