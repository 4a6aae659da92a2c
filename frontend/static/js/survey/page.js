// The questionnaire's own page, opened from the e-mail sent once the session ended: no
// account, no personal link. The questionnaire's link carries its token in the fragment
// (never sent to the server with the page) and the e-mail's language in ``?lang=``.
import { focusHeading, h, mount } from '../common/dom.js';
import { onLanguageChange, setLanguage, t, wireLanguageSwitch } from '../common/i18n.js';
import { surveySection } from './form.js';

const main = document.getElementById('main');

function tokenFromLocation() {
  return decodeURIComponent(location.hash.replace(/^#/, '')).trim();
}

function showSurveyPage(token) {
  mount(main,
    h('section', { class: 'card narrow', id: 'survey-page' },
      h('h1', {}, t('room.survey.pageTitle')),
      h('p', { class: 'lead' }, t('room.survey.pageIntro')),
      surveySection({ survey: token }, { explain: true })));
}

function render() {
  const token = tokenFromLocation();
  showSurveyPage(token || 'missing');
  focusHeading(main);
}

const asked = new URLSearchParams(location.search).get('lang');
if (asked) setLanguage(asked);
wireLanguageSwitch();
onLanguageChange(render);
render();
