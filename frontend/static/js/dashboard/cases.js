// The list of my cases, and the form that opens a new one.
import { api } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { formatDate, t } from '../common/i18n.js';
import { errorBox, field, showError } from './form.js';

export const MEDIATION_TYPES = [
  'family', 'neighbourhood', 'workplace', 'commercial', 'consumer',
  'judicial', 'territorial', 'collective', 'other',
];
export const PARTICIPANT_ROLES = ['party', 'counsel', 'observer'];

export async function showCaseList(main) {
  const { cases } = await api('GET', '/api/cases');
  const header = h(
    'div',
    { class: 'page-head' },
    h('h1', {}, t('cases.title')),
    h('span', {},
      h('a', { href: '/statistics', 'data-nav': true, class: 'button secondary', id: 'statistics' }, t('stats.title')),
      ' ',
      h('a', { href: '/cases/new', 'data-nav': true, class: 'button primary', id: 'new-case' }, t('cases.new'))),
  );
  if (cases.length === 0) {
    mount(main, header, h('p', { class: 'empty' }, t('cases.empty')));
    return;
  }
  const rows = cases.map((c) =>
    h(
      'tr',
      {},
      h('td', {}, h('a', { href: `/cases/${c.id}`, 'data-nav': true }, c.reference)),
      h('td', {}, c.title),
      h('td', {}, t(`type.${c.mediation_type}`)),
      h('td', {}, formatDate(c.created_at)),
    ),
  );
  mount(
    main,
    header,
    h(
      'table',
      { class: 'list', id: 'case-list' },
      h('thead', {}, h('tr', {}, ['cases.reference', 'cases.caseTitle', 'cases.type', 'cases.opened'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, rows),
    ),
  );
}

function participantRow(onRemove) {
  const row = h(
    'div',
    { class: 'participant-row' },
    h('input', { name: 'p_name', required: true, maxlength: 120, 'aria-label': t('participant.name'), placeholder: t('participant.name') }),
    h(
      'select',
      { name: 'p_role', 'aria-label': t('participant.role') },
      PARTICIPANT_ROLES.map((r) => h('option', { value: r }, t(`role.${r}`))),
    ),
    h('input', { name: 'p_email', type: 'email', 'aria-label': t('participant.email'), placeholder: t('participant.emailOptional') }),
    h('button', { type: 'button', class: 'link', onclick: () => onRemove(row) }, t('common.remove')),
  );
  return row;
}

// navigate(path): given by the router, to open the case once created.
export function showNewCase(main, { navigate }) {
  const error = errorBox();
  const list = h('div', { class: 'participants', id: 'participants' });
  const remove = (row) => row.remove();
  const addRow = () => list.appendChild(participantRow(remove));
  addRow();
  addRow();
  const form = h(
    'form',
    { class: 'card', id: 'case-form', onsubmit: submit },
    h('h1', {}, t('cases.new')),
    field('cases.reference', h('input', { name: 'reference', required: true, maxlength: 64 })),
    field('cases.caseTitle', h('input', { name: 'title', required: true, maxlength: 200 }), 'cases.titleHint'),
    field('cases.publicTitle', h('input', { name: 'public_title', maxlength: 200 }), 'cases.publicTitleHint'),
    field(
      'cases.type',
      h('select', { name: 'mediation_type' }, MEDIATION_TYPES.map((v) => h('option', { value: v }, t(`type.${v}`)))),
    ),
    field('cases.description', h('textarea', { name: 'description', rows: 4, maxlength: 4000 }), 'cases.descriptionHint'),
    h('fieldset', {}, h('legend', {}, t('cases.participants')), list,
      h('button', { type: 'button', class: 'secondary', id: 'add-participant', onclick: addRow }, t('cases.addParticipant'))),
    field('cases.coMediators', h('input', { name: 'co_mediators' }), 'cases.coMediatorsHint'),
    error,
    h('div', { class: 'actions' },
      h('a', { href: '/cases', 'data-nav': true, class: 'button secondary' }, t('common.cancel')),
      h('button', { type: 'submit', class: 'primary' }, t('cases.create'))),
  );
  mount(main, form);

  async function submit(event) {
    event.preventDefault();
    error.hidden = true;
    const data = new FormData(form);
    const names = data.getAll('p_name');
    const roles = data.getAll('p_role');
    const emails = data.getAll('p_email');
    const body = {
      reference: data.get('reference'),
      title: data.get('title'),
      public_title: data.get('public_title') || null,
      mediation_type: data.get('mediation_type'),
      description: data.get('description'),
      participants: names.map((name, i) => ({
        display_name: name,
        role: roles[i],
        email: emails[i] || null,
      })),
      co_mediator_emails: String(data.get('co_mediators') || '')
        .split(/[,;\s]+/)
        .filter(Boolean),
    };
    try {
      const created = await api('POST', '/api/cases', body);
      navigate(`/cases/${created.id}`);
    } catch (err) {
      showError(error, err);
    }
  }
}
