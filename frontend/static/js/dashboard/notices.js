// The organisation's confidentiality undertaking and privacy notice: read them, and (organisation
// administrators only; the server decides) publish new versions.
import { api } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { t } from '../common/i18n.js';
import { errorBox, showError } from './form.js';

function editor(notice) {
  const area = h('textarea', { rows: 14, class: 'notice-editor', 'aria-label': t(`notices.${notice.kind}`) });
  area.value = notice.body;
  const error = errorBox();
  const status = h('p', { class: 'muted', role: 'status' },
    t('notices.current', { version: notice.version, lang: notice.language.toUpperCase() }));
  const publish = h('button', { type: 'button', class: 'primary', onclick: async () => {
    if (area.value === notice.body) return;
    if (!confirm(t('notices.publishConfirm'))) return;
    error.hidden = true;
    try {
      const published = await api('POST', '/api/notices', { kind: notice.kind, language: notice.language, body: area.value });
      Object.assign(notice, published);
      status.textContent = t('notices.published', { version: published.version });
    } catch (err) {
      showError(error, err);
    }
  } }, t('notices.publish'));
  return h('section', { class: 'card', dataset: { kind: notice.kind, lang: notice.language } },
    h('h2', {}, `${t(`notices.${notice.kind}`)} — ${notice.language.toUpperCase()}`), status, area, error, publish);
}

function reader(notice) {
  return h('section', { class: 'card', dataset: { kind: notice.kind, lang: notice.language } },
    h('h2', {}, `${t(`notices.${notice.kind}`)} — ${notice.language.toUpperCase()}`),
    h('p', { class: 'muted' }, t('notices.current', { version: notice.version, lang: notice.language.toUpperCase() })),
    h('div', { class: 'notice-body' }, notice.body));
}

export async function showNotices(main, me) {
  const [fr, en] = await Promise.all([api('GET', '/api/notices?lang=fr'), api('GET', '/api/notices?lang=en')]);
  const show = me && me.is_admin ? editor : reader;
  mount(main,
    h('div', { class: 'page-head' }, h('h1', {}, t('notices.title'))),
    h('p', {}, t('notices.intro')),
    me && me.is_admin ? null : h('p', { class: 'notice', id: 'notices-admin-only' }, t('notices.adminOnly')),
    show(fr.confidentiality), show(en.confidentiality), show(fr.privacy), show(en.privacy));
}
