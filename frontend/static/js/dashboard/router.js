// Mediator dashboard: the router picks the view for the address. Nothing imports it back:
// views that move on get navigate (and signedIn) as arguments.
import { api } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { onLanguageChange, t, wireLanguageSwitch } from '../common/i18n.js';
import { showAgenda } from './agenda.js';
import { showCase } from './case.js';
import { showCaseList, showNewCase } from './cases.js';
import { showStats } from './stats.js';
import { showLogin, showSetup } from './auth.js';
import { showNotices } from './notices.js';
import { showTemplates } from './templates.js';
import { showRequests } from './requests.js';

const main = document.getElementById('main');
const userBox = document.getElementById('user');
let me = null;

function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState({}, '', path);
  else history.pushState({}, '', path);
  route();
}

function linkHandler(event) {
  const a = event.target.closest('a[data-nav]');
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
  event.preventDefault();
  navigate(a.getAttribute('href'));
}

function renderUser() {
  if (!me) {
    mount(userBox);
    return;
  }
  mount(
    userBox,
    h('a', { href: '/agenda', 'data-nav': true, class: 'top-link', id: 'agenda-link' }, t('agenda.link')),
    h('a', { href: '/requests', 'data-nav': true, class: 'top-link', id: 'requests-link' }, t('requests.title')),
    h('a', { href: '/notices', 'data-nav': true, class: 'top-link', id: 'notices-link' }, t('notices.title')),
    h('a', { href: '/templates', 'data-nav': true, class: 'top-link', id: 'templates-link' }, t('templates.link')),
    h('span', { class: 'user-name' }, me.display_name),
    h('button', { type: 'button', class: 'link', id: 'logout', onclick: signOut }, t('auth.signOut')),
  );
}

async function signOut() {
  await api('POST', '/api/logout');
  me = null;
  renderUser();
  navigate('/login', { replace: true });
}

function signedIn(mediator) {
  me = mediator;
  renderUser();
}

async function loadMe() {
  try {
    me = await api('GET', '/api/me');
  } catch (error) {
    if (error.status !== 401) throw error;
    me = null;
  }
  renderUser();
}

async function route() {
  const path = location.pathname;
  if (me === null) await loadMe();
  if (path === '/setup') return showSetup(main, { navigate, signedIn });
  if (path === '/login') return showLogin(main, { navigate, signedIn });
  if (!me) {
    const setup = await api('GET', '/api/setup');
    return navigate(setup.needed ? '/setup' : '/login', { replace: true });
  }
  if (path === '/' || path === '/cases') return showCaseList(main);
  if (path === '/cases/new') return showNewCase(main, { navigate });
  if (path === '/notices') return showNotices(main, me);
  if (path === '/templates') return showTemplates(main, me);
  if (path === '/statistics') return showStats(main);
  if (path === '/agenda') return showAgenda(main);
  if (path === '/requests') return showRequests(main, { navigate });
  const match = path.match(/^\/cases\/([0-9a-f]+)$/);
  if (match) return showCase(main, match[1]);
  mount(main, h('p', { class: 'notice' }, t('common.notFound')));
}

document.addEventListener('click', linkHandler);
window.addEventListener('popstate', route);
wireLanguageSwitch();
onLanguageChange(() => {
  renderUser();
  route();
});
route();
