// The organisation's templates of the agreement texts: every mediator reads them; an
// organisation administrator edits them (the server decides). Fields such as {{parties}}
// fill themselves from the case; a field the server does not know is refused on saving.
import { api } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { locale, t } from '../common/i18n.js';
import { errorBox, showError } from './form.js';

function path(template) {
  return `/api/templates/${template.kind}/${template.language}`;
}

function statusText(template) {
  if (template.version === 0) return t('templates.builtIn');
  const at = new Date(template.edited_at).toLocaleString(locale(), { dateStyle: 'long', timeStyle: 'short' });
  return template.built_in
    ? t('templates.resetAt', { version: template.version, at })
    : t('templates.editedAt', { version: template.version, at });
}

function fieldList(fields, area) {
  return h('div', { class: 'template-fields' },
    h('p', { class: 'hint' }, t('templates.fields')),
    h('ul', { class: 'chips' }, fields.map((name) => h('li', {},
      h('button', {
        type: 'button', class: 'chip', title: t(`templates.field.${name}`),
        disabled: area ? undefined : true,
        onclick: () => {
          if (!area) return;
          area.setRangeText(`{{${name}}}`, area.selectionStart, area.selectionEnd, 'end');
          area.focus();
        },
      }, `{{${name}}}`), ' ', h('span', { class: 'muted' }, t(`templates.field.${name}`))))));
}

// A refusal that names unknown fields says so in the page's language; others as usual.
function refuse(box, err) {
  const unknown = err.code === 'validation_error' && /^unknown fields: (.+)$/.exec(err.message || '');
  if (!unknown) return showError(box, err);
  box.textContent = t('templates.unknown', { fields: unknown[1] });
  box.hidden = false;
}

function editor(template, fields) {
  const area = h('textarea', { rows: 18, class: 'notice-editor template-editor', spellcheck: 'true',
    'aria-label': `${t(`templates.kind.${template.kind}`)} (${template.language.toUpperCase()})` });
  area.value = template.body;
  const error = errorBox();
  const status = h('p', { class: 'muted', role: 'status' }, statusText(template));
  const show = (saved) => {
    Object.assign(template, saved);
    area.value = saved.body;
    status.textContent = statusText(saved);
  };
  const save = h('button', { type: 'button', class: 'primary', onclick: async () => {
    error.hidden = true;
    try {
      show(await api('PUT', path(template), { body: area.value }));
    } catch (err) {
      refuse(error, err);
    }
  } }, t('templates.save'));
  const reset = h('button', { type: 'button', onclick: async () => {
    if (!confirm(t('templates.resetConfirm'))) return;
    error.hidden = true;
    try {
      show(await api('POST', `${path(template)}/reset`));
    } catch (err) {
      showError(error, err);
    }
  } }, t('templates.reset'));
  return h('section', { class: 'card', dataset: { kind: template.kind, lang: template.language } },
    h('h2', {}, `${t(`templates.kind.${template.kind}`)} — ${template.language.toUpperCase()}`),
    status, h('p', { class: 'hint' }, t('templates.syntax')), area, fieldList(fields, area), error,
    h('div', { class: 'actions' }, save, ' ', reset));
}

function reader(template, fields) {
  return h('section', { class: 'card', dataset: { kind: template.kind, lang: template.language } },
    h('h2', {}, `${t(`templates.kind.${template.kind}`)} — ${template.language.toUpperCase()}`),
    h('p', { class: 'muted' }, statusText(template)),
    h('div', { class: 'notice-body' }, template.body), fieldList(fields, null));
}

export async function showTemplates(main, me) {
  const { templates, fields } = await api('GET', '/api/templates');
  const admin = Boolean(me && me.is_admin);
  mount(main,
    h('div', { class: 'page-head' }, h('h1', {}, t('templates.title'))),
    h('p', {}, t('templates.intro')),
    admin ? null : h('p', { class: 'notice', id: 'templates-admin-only' }, t('templates.adminOnly')),
    templates.map((template) => (admin ? editor : reader)(template, fields)));
}
