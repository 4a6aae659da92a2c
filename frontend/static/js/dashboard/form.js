// Form helpers shared by the views: labelled fields and error display.
import { h } from '../common/dom.js';
import { t } from '../common/i18n.js';

export function field(labelKey, input, hintKey) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, t(labelKey)),
    input,
    hintKey ? h('p', { class: 'hint' }, t(hintKey)) : null,
  );
}

export function errorBox() {
  return h('p', { class: 'error', role: 'alert', hidden: true });
}

export function showError(box, error) {
  const key = `error.${error.code}`;
  const text = t(key);
  box.textContent = text === key ? t('error.generic') : text;
  if (error.code === 'validation_error' && error.message) box.textContent += ` (${error.message})`;
  box.hidden = false;
}

export function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}
