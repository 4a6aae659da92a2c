// The organisation's queue of requests from the public: the list (nothing personal in it),
// one request opened (an audited read), taken (a case opens: go there) or declined with a
// message e-mailed to the requester.
import { api } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { formatDate, t } from '../common/i18n.js';
import { errorBox, showError } from './form.js';

const STATES = ['new', 'taken', 'declined', 'expired', 'withdrawn', 'all'];
let shownState = 'new';

function stateFilter(main, navigate) {
  const select = h('select', { id: 'requests-state', onchange: () => {
    shownState = select.value;
    showRequests(main, { navigate });
  } }, STATES.map((s) => h('option', { value: s, selected: s === shownState }, t(`requests.state.${s}`))));
  return h('div', { class: 'field inline' }, h('label', { for: 'requests-state' }, t('requests.filter')), select);
}

export async function showRequests(main, { navigate }) {
  const { requests } = await api('GET', `/api/requests?state=${shownState}`);
  const header = h('div', { class: 'page-head' }, h('h1', {}, t('requests.title')), stateFilter(main, navigate));
  const intro = h('p', { class: 'muted' }, t('requests.intro'));
  if (requests.length === 0) {
    mount(main, header, intro, h('p', { class: 'empty', id: 'requests-empty' }, t('requests.empty')));
    return;
  }
  const rows = requests.map((r) => h('tr', { dataset: { request: r.id, state: r.state } },
    h('td', {}, formatDate(r.created_at)),
    h('td', {}, t(`type.${r.kind}`)),
    h('td', {}, r.language.toUpperCase()),
    h('td', {}, h('span', { class: 'status' }, t(`requests.is.${r.state}`))),
    h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => showRequest(main, r.id, { navigate }) },
      t('requests.open')))));
  mount(main, header, intro, h('table', { class: 'list', id: 'request-list' },
    h('thead', {}, h('tr', {}, ['requests.received', 'requests.kind', 'requests.language', 'requests.status', 'requests.open']
      .map((k) => h('th', {}, t(k))))),
    h('tbody', {}, rows)));
}

function facts(c) {
  const rows = [
    ['requests.requester', c.name], ['requests.email', c.email], ['requests.phone', c.phone],
    ['requests.other', c.other_name], ['requests.otherContact', c.other_contact],
    ['requests.description', c.description],
  ].filter(([, value]) => value);
  return h('dl', { class: 'facts request-detail' }, rows.map(([key, value]) => [h('dt', {}, t(key)), h('dd', {}, value)]));
}

async function showRequest(main, id, { navigate, done = null }) {
  const r = await api('GET', `/api/requests/${id}`);
  const error = errorBox();
  const back = h('button', { type: 'button', class: 'link', onclick: () => showRequests(main, { navigate }) }, t('requests.back'));
  const consents = h('ul', { class: 'people' }, Object.entries(r.agreed).map(([purpose, given]) =>
    h('li', {}, t(`requests.purpose.${purpose}`), ' — ', h('strong', {}, given ? t('requests.given') : t('requests.notGiven')))));
  const actions = h('div', { class: 'actions' });
  if (r.state === 'new' && r.content) {
    const take = h('button', { type: 'button', class: 'primary', id: 'request-take' }, t('requests.take'));
    take.addEventListener('click', async () => {
      take.disabled = true;
      try {
        const { case_id: caseId } = await api('POST', `/api/requests/${id}/take`);
        navigate(`/cases/${caseId}`);
      } catch (err) {
        take.disabled = false;
        showError(error, err);
      }
    });
    const message = h('textarea', { id: 'decline-message', rows: 4, maxlength: 4000 });
    const send = h('button', { type: 'button', class: 'secondary', id: 'decline-send' }, t('requests.declineSend'));
    const declineForm = h('div', { class: 'inline-form', id: 'decline-form', hidden: true },
      h('div', { class: 'field' }, h('label', { for: 'decline-message' }, t('requests.declineMessage')), message), send);
    const decline = h('button', { type: 'button', class: 'secondary', id: 'request-decline', 'aria-expanded': 'false',
      'aria-controls': 'decline-form', onclick: () => {
        declineForm.hidden = false;
        decline.setAttribute('aria-expanded', 'true');
        message.focus();
      } }, t('requests.decline'));
    send.addEventListener('click', async () => {
      send.disabled = true;
      try {
        const answer = await api('POST', `/api/requests/${id}/decline`, { message: message.value });
        await showRequest(main, id, { navigate, done: answer.mail === 'queued' ? 'requests.declined' : 'requests.declinedWaiting' });
      } catch (err) {
        send.disabled = false;
        showError(error, err);
      }
    });
    mount(actions, take, decline, declineForm);
  } else if (r.case_id) {
    mount(actions, h('a', { href: `/cases/${r.case_id}`, 'data-nav': true, class: 'button secondary' }, t('requests.caseLink')));
  }
  mount(main, h('section', { class: 'card', id: 'request-view', dataset: { state: r.state } },
    back,
    h('div', { class: 'page-head' }, h('h1', {}, `${t(`type.${r.kind}`)} — ${formatDate(r.created_at)}`),
      h('span', { class: 'status' }, t(`requests.is.${r.state}`))),
    r.content ? facts(r.content) : h('p', { class: 'notice' }, t('requests.shredded')),
    h('h2', { class: 'spaced' }, t('requests.consents')), consents,
    done ? h('p', { class: 'feedback', role: 'status', id: 'decline-done' }, t(done)) : null,
    error, actions));
}
