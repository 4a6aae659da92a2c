// The public request form (/demande): who asks, how to reach them, the other party, the
// dispute, the privacy notice with one checkbox per purpose; then the confirmation page
// (/demande/merci#<token>, from where the token withdraws the request). The server decides
// what is refused; each refusal is shown next to its field (aria-invalid, aria-describedby)
// and listed in a summary that takes the focus.
import { api } from '../common/api.js';
import { focusHeading, h, mount } from '../common/dom.js';
import { language, onLanguageChange, t, wireLanguageSwitch } from '../common/i18n.js';

const main = document.getElementById('main');
const SENT_PATH = '/demande/merci';
const FIELDS = ['name', 'email', 'phone', 'other_name', 'other_contact', 'kind', 'description'];
let kept = {}; // what was typed, kept across a change of language

function input(name, attrs = {}) {
  return h('input', { id: `rq-${name}`, name, ...attrs });
}

// A labelled field with the place where its error goes (empty until the server refuses it).
function field(name, labelKey, control, hintKey) {
  const described = [hintKey ? `rq-${name}-hint` : null, `rq-${name}-error`].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', described);
  if (kept[name] !== undefined) control.value = kept[name];
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: control.id }, t(labelKey)),
    hintKey ? h('p', { class: 'hint', id: `rq-${name}-hint` }, t(hintKey)) : null,
    control,
    h('p', { class: 'field-error', id: `rq-${name}-error`, hidden: true }));
}

function purposeBox(purpose) {
  const box = h('input', { type: 'checkbox', id: `rq-agreed-${purpose.name}`, name: 'agreed', value: purpose.name,
    'aria-describedby': `rq-agreed.${purpose.name}-error` });
  if (purpose.required) box.setAttribute('aria-required', 'true');
  if ((kept.agreed || []).includes(purpose.name)) box.checked = true;
  return h('div', { class: 'field', dataset: { field: `agreed.${purpose.name}` } },
    h('label', { class: 'check', for: box.id }, box, ' ', t(`request.purpose.${purpose.name}`)),
    h('p', { class: 'field-error', id: `rq-agreed.${purpose.name}-error`, hidden: true }));
}

function formValues(form) {
  const data = new FormData(form);
  const out = {};
  for (const name of FIELDS) out[name] = String(data.get(name) || '');
  out.agreed = data.getAll('agreed').map(String);
  out.website = String(data.get('website') || '');
  return out;
}

function clearErrors(form, summary) {
  summary.hidden = true;
  summary.replaceChildren();
  for (const el of form.querySelectorAll('.field-error')) {
    el.hidden = true;
    el.textContent = '';
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

function reasonText(reason) {
  const key = `request.reason.${reason}`;
  const text = t(key);
  return text === key ? t('request.failed') : text;
}

// Each refused field gets its message under it; the summary lists them as links to the fields.
function showFieldErrors(form, summary, problems) {
  const items = [];
  for (const problem of problems) {
    const place = document.getElementById(`rq-${problem.field}-error`);
    const control = problem.field.startsWith('agreed.')
      ? document.getElementById(`rq-agreed-${problem.field.slice('agreed.'.length)}`)
      : document.getElementById(`rq-${problem.field}`);
    const text = reasonText(problem.reason);
    if (place) {
      place.textContent = text;
      place.hidden = false;
    }
    if (control) control.setAttribute('aria-invalid', 'true');
    const label = control ? form.querySelector(`label[for="${control.id}"]`) : null;
    const name = label ? label.textContent.replace(/\s*\*\s*$/, '') : '';
    items.push(h('li', {}, control
      ? h('a', { href: `#${control.id}`, onclick: (event) => { event.preventDefault(); control.focus(); } },
        name.length > 80 ? `${name.slice(0, 80)}…` : name, ' — ', text)
      : text));
  }
  summary.replaceChildren(h('p', {}, h('strong', {}, t('request.errorsTitle'))), h('ul', {}, items));
  summary.hidden = false;
  summary.focus();
}

function showMessage(summary, text) {
  summary.replaceChildren(h('p', {}, text));
  summary.hidden = false;
  summary.focus();
}

async function sendRequest(form, summary, button, notice) {
  clearErrors(form, summary);
  const body = { ...formValues(form), language: language(), notice_version: notice.version };
  button.disabled = true;
  button.textContent = t('request.sending');
  try {
    const { withdrawal } = await api('POST', '/api/requests', body);
    kept = {};
    // the requester's own token, after '#': never sent to a server, theirs to keep
    location.assign(`${SENT_PATH}#${encodeURIComponent(withdrawal)}`);
  } catch (error) {
    if (error.code === 'validation_error' && Array.isArray(error.detail.fields)) {
      showFieldErrors(form, summary, error.detail.fields);
    } else if (error.status === 429) {
      const minutes = Math.max(1, Math.ceil(Number(/(\d+) s/.exec(error.message)?.[1] || 60) / 60));
      showMessage(summary, t('request.throttled', { minutes }));
    } else {
      showMessage(summary, t('request.failed'));
    }
  } finally {
    button.disabled = false;
    button.textContent = t('request.send');
  }
}

async function showForm() {
  const notice = await api('GET', `/api/requests/notice?language=${language()}`);
  const summary = h('div', { class: 'error error-summary', id: 'request-errors', role: 'alert', tabindex: -1, hidden: true });
  const button = h('button', { type: 'submit', class: 'primary', id: 'request-send' }, t('request.send'));
  const kind = h('select', { id: 'rq-kind', name: 'kind', 'aria-required': 'true' },
    h('option', { value: '' }, t('request.kindChoose')),
    notice.kinds.map((k) => h('option', { value: k }, t(`type.${k}`))));
  const form = h('form', { id: 'request-form', novalidate: true },
    summary,
    h('p', { class: 'muted' }, t('request.required')),
    h('fieldset', {},
      h('legend', {}, t('request.you')),
      field('name', 'request.name', input('name', { maxlength: 120, autocomplete: 'name', 'aria-required': 'true' })),
      field('email', 'request.email', input('email', { type: 'email', maxlength: 254, autocomplete: 'email', 'aria-required': 'true' })),
      field('phone', 'request.phone', input('phone', { type: 'tel', maxlength: 30, autocomplete: 'tel' }))),
    h('fieldset', {},
      h('legend', {}, t('request.other')),
      h('p', { class: 'hint' }, t('request.otherHint')),
      field('other_name', 'request.otherName', input('other_name', { maxlength: 120, autocomplete: 'off' })),
      field('other_contact', 'request.otherContact', input('other_contact', { maxlength: 254, autocomplete: 'off' }))),
    h('fieldset', {},
      h('legend', {}, t('request.dispute')),
      field('kind', 'request.kind', kind),
      field('description', 'request.description',
        h('textarea', { id: 'rq-description', name: 'description', rows: 6, maxlength: 4000, 'aria-required': 'true' }),
        'request.descriptionHint')),
    h('section', { class: 'notice-text', id: 'request-notice' },
      h('h2', {}, t('request.privacyTitle')),
      h('p', { class: 'muted' }, t('request.version', { version: notice.version })),
      h('div', { class: 'notice-body', tabindex: 0, role: 'region', 'aria-label': t('request.privacyTitle') }, notice.body),
      notice.purposes.map(purposeBox)),
    // for robots only: hidden from people and from screen readers; filled, the request is dropped
    h('div', { class: 'hp', 'aria-hidden': 'true' },
      h('label', { for: 'rq-website' }, t('request.honeypot')),
      h('input', { id: 'rq-website', name: 'website', tabindex: -1, autocomplete: 'off' })),
    h('div', { class: 'actions' }, button));
  form.addEventListener('input', () => {
    kept = formValues(form);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    sendRequest(form, summary, button, notice);
  });
  mount(main, h('section', { class: 'card request', id: 'request' },
    h('p', { class: 'eyebrow' }, t('request.eyebrow')),
    h('h1', {}, t('request.title')),
    h('p', { class: 'lead' }, t('request.intro')),
    form));
}

async function showSent() {
  const notice = await api('GET', `/api/requests/notice?language=${language()}`);
  const token = decodeURIComponent(location.hash.slice(1));
  mount(main, h('section', { class: 'card narrow', id: 'request-sent' },
    h('h1', {}, t('request.sentTitle')),
    h('p', {}, t('request.sentBody', { days: notice.unanswered_days ?? 90 })),
    token ? withdrawal(token) : null,
    h('p', {}, h('a', { href: '/demande' }, t('request.sentAgain')))));
  focusHeading(main);
}

// Withdrawing the request, from the confirmation page whose address holds the token.
function withdrawal(token) {
  const result = h('p', { class: 'feedback', id: 'withdraw-result', role: 'status', tabindex: -1, hidden: true });
  const confirm = h('button', { type: 'button', class: 'secondary danger', id: 'withdraw-confirm', hidden: true },
    t('request.withdrawConfirm'));
  const start = h('button', { type: 'button', class: 'secondary', id: 'withdraw', 'aria-expanded': 'false',
    'aria-controls': 'withdraw-confirm' }, t('request.withdraw'));
  start.addEventListener('click', () => {
    confirm.hidden = false;
    start.setAttribute('aria-expanded', 'true');
    confirm.focus();
  });
  const say = (key) => {
    result.textContent = t(key);
    result.hidden = false;
    result.focus();
  };
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    try {
      const { state } = await api('POST', '/api/requests/withdraw', { token });
      start.hidden = confirm.hidden = true;
      say({ withdrawn: 'request.withdrawn', declined: 'request.withdrawDeclined' }[state] || 'request.withdrawExpired');
    } catch (error) {
      confirm.disabled = false;
      if (error.status === 409) {
        start.hidden = confirm.hidden = true;
        say('request.withdrawTaken');
      } else {
        say(error.code === 'link_invalid' || error.code === 'link_expired' ? 'request.withdrawInvalid' : 'request.withdrawFailed');
      }
    }
  });
  return h('section', { class: 'withdrawal', id: 'request-withdrawal' },
    h('h2', {}, t('request.withdrawTitle')),
    h('p', {}, t('request.withdrawBody')),
    h('div', { class: 'field' },
      h('label', { for: 'withdraw-link' }, t('request.withdrawLink')),
      h('input', { id: 'withdraw-link', readonly: true, value: location.href })),
    h('div', { class: 'actions' }, start, confirm),
    result);
}

function render() {
  if (location.pathname === SENT_PATH) return showSent();
  return showForm();
}

wireLanguageSwitch();
onLanguageChange(render);
render();
