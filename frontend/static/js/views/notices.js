// The organisation's confidentiality undertaking and privacy notice: read, and publish new versions.
import { api } from '../api.js';
import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
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

export async function showNotices(main) {
  const [fr, en] = await Promise.all([api('GET', '/api/notices?lang=fr'), api('GET', '/api/notices?lang=en')]);
  mount(main,
    h('div', { class: 'page-head' }, h('h1', {}, t('notices.title'))),
    h('p', {}, t('notices.intro')),
    editor(fr.confidentiality), editor(en.confidentiality), editor(fr.privacy), editor(en.privacy));
}
