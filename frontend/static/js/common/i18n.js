// Translation catalogue (fr, en): every visible string goes through t().
import en from '../i18n/en.js';
import fr from '../i18n/fr.js';

const catalogues = { fr, en };
const STORAGE_KEY = 'palabre.lang';
const listeners = new Set();
let current = initialLanguage();

function initialLanguage() {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored && catalogues[stored]) return stored;
  for (const lang of navigator.languages || [navigator.language || 'fr']) {
    const base = String(lang).slice(0, 2).toLowerCase();
    if (catalogues[base]) return base;
  }
  return 'fr';
}

export function language() {
  return current;
}

export function locale() {
  return current === 'fr' ? 'fr-FR' : 'en-GB';
}

export function t(key, params = {}) {
  const text = catalogues[current][key] ?? catalogues.fr[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

export function setLanguage(lang) {
  if (!catalogues[lang] || lang === current) return;
  current = lang;
  localStorage.setItem(STORAGE_KEY, lang);
  applyStatic();
  for (const fn of listeners) fn(lang);
}

export function onLanguageChange(fn) {
  listeners.add(fn);
}

export function offLanguageChange(fn) {
  listeners.delete(fn);
}

// Static markup carries data-i18n="key" (text) and data-i18n-title/-label attributes.
export function applyStatic(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAria));
  }
  for (const button of root.querySelectorAll('[data-lang]')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === current));
  }
}

export function wireLanguageSwitch(root = document) {
  for (const button of root.querySelectorAll('[data-lang]')) {
    button.addEventListener('click', () => setLanguage(button.dataset.lang));
  }
  applyStatic(root);
}

export function formatDateTime(iso, timeZone) {
  return new Intl.DateTimeFormat(locale(), {
    dateStyle: 'full',
    timeStyle: 'short',
    timeZone,
  }).format(new Date(iso));
}

export function formatDate(iso) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(new Date(iso));
}
