// Sign-in and first-run setup.
import { api } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { t } from '../common/i18n.js';
import { errorBox, field, formValues, showError } from './form.js';

// nav: { navigate(path, options), signedIn(mediator) }, given by the router.
export function showLogin(main, { navigate, signedIn }) {
  const error = errorBox();
  const form = h(
    'form',
    { class: 'card narrow', id: 'login-form', onsubmit: submit },
    h('h1', {}, t('auth.signInTitle')),
    field('auth.email', h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true })),
    field(
      'auth.password',
      h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    ),
    error,
    h('button', { type: 'submit', class: 'primary' }, t('auth.signIn')),
  );
  mount(main, form);

  async function submit(event) {
    event.preventDefault();
    error.hidden = true;
    try {
      signedIn(await api('POST', '/api/login', formValues(form)));
      navigate('/cases', { replace: true });
    } catch (err) {
      showError(error, err);
    }
  }
}

export async function showSetup(main, { navigate, signedIn }) {
  const state = await api('GET', '/api/setup');
  if (!state.needed) return navigate('/login', { replace: true });
  const error = errorBox();
  const form = h(
    'form',
    { class: 'card narrow', id: 'setup-form', onsubmit: submit },
    h('h1', {}, t('setup.title')),
    h('p', {}, t('setup.intro')),
    field('setup.code', h('input', { name: 'code', required: true, autocomplete: 'off' }), 'setup.codeHint'),
    field('auth.name', h('input', { name: 'display_name', required: true, maxlength: 120 })),
    field('auth.email', h('input', { name: 'email', type: 'email', required: true })),
    field(
      'auth.password',
      h('input', { name: 'password', type: 'password', minlength: 10, required: true, autocomplete: 'new-password' }),
      'setup.passwordHint',
    ),
    error,
    h('button', { type: 'submit', class: 'primary' }, t('setup.submit')),
  );
  mount(main, form);

  async function submit(event) {
    event.preventDefault();
    error.hidden = true;
    try {
      signedIn(await api('POST', '/api/setup', formValues(form)));
      navigate('/cases', { replace: true });
    } catch (err) {
      showError(error, err);
    }
  }
}
