// The signing form shared by a party's join page and a mediator's case page: read the frozen
// text and its hash, type one's name, draw or type a signature, ask a code, enter it, sign.
import { h, mount } from '../common/dom.js';
import { t } from '../common/i18n.js';
import { signaturePad } from './pad.js';

// The frozen text as blocks: text nodes only, never markup.
export function frozenText(text) {
  return h('div', { class: 'frozen-text notice-body', tabindex: 0, id: `text-${text.id}` },
    text.blocks.map((b) => h(b.kind === 'title' ? 'h4' : b.kind === 'heading' ? 'h5' : 'p',
      { style: 'white-space: pre-line' }, b.text)));
}

export function hashLine(text) {
  return h('p', { class: 'muted hash' }, `${t('signing.hash')} `,
    h('code', { class: 'sha256', style: 'word-break: break-all' }, text.sha256));
}

export function refusal(err) {
  const d = err.detail || {};
  if (err.code === 'code_wrong') return t('signing.error.code_wrong', { n: d.tries_left ?? 0 });
  if (err.code === 'signer_locked' || err.code === 'throttled') {
    return t(`signing.error.${err.code}`, { minutes: Math.max(1, Math.ceil((d.retry_after || 60) / 60)) });
  }
  const known = ['text_changed', 'code_expired', 'already_signed', 'mediator_signs_last', 'text_withdrawn'];
  return known.includes(err.code) ? t(`signing.error.${err.code}`) : t('error.generic');
}

// askCode() → {channel, to}; sign(body) → the text's new state. Both throw ApiError-like errors.
export function signingForm(text, { name = '', askCode, sign, onSigned }) {
  const id = text.id;
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const status = h('p', { class: 'notice code-status', role: 'status', hidden: true });
  const typedName = h('input', { id: `sign-name-${id}`, class: 'sign-name', maxlength: 120, autocomplete: 'name', value: name });
  const canvas = h('canvas', { width: 500, height: 160, class: 'signature-pad', id: `pad-${id}`,
    'aria-label': t('signing.drawLabel'), style: 'border:1px solid #99a; border-radius:6px; max-width:100%; background:#fff' });
  const pad = signaturePad(canvas);
  const typedSignature = h('input', { id: `sign-typed-${id}`, class: 'sign-typed', maxlength: 120 });
  const drawBox = h('div', { class: 'draw-box' }, canvas,
    h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: () => pad.clear() }, t('signing.clear'))));
  const typeBox = h('div', { class: 'field type-box', hidden: true },
    h('label', { for: `sign-typed-${id}` }, t('signing.typedSignature')), typedSignature);
  const mode = () => document.querySelector(`input[name=sigmode-${id}]:checked`)?.value || 'draw';
  const switchMode = () => {
    drawBox.hidden = mode() !== 'draw';
    typeBox.hidden = mode() !== 'type';
  };
  const code = h('input', { id: `sign-code-${id}`, class: 'sign-code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, pattern: '[0-9]{6}' });
  const show = (el, message) => {
    el.textContent = message;
    el.hidden = !message;
  };
  const ask = h('button', { type: 'button', class: 'secondary ask-code', onclick: async () => {
    show(error, '');
    try {
      const sent = await askCode();
      show(status, sent.channel === 'email' ? t('signing.codeSent', { to: sent.to }) : t('signing.codeFromMediator'));
    } catch (err) {
      show(error, refusal(err));
    }
  } }, t('signing.askCode'));
  const submit = h('button', { type: 'button', class: 'primary sign-submit', onclick: async () => {
    show(error, '');
    if (typedName.value.trim().length < 2) return show(error, t('signing.missingName'));
    const drawn = mode() === 'draw';
    if (drawn && pad.isEmpty()) return show(error, t('signing.missingDrawing'));
    if (!drawn && typedSignature.value.trim().length < 2) return show(error, t('signing.missingTyped'));
    if (!/^\d{6}$/.test(code.value.trim())) return show(error, t('signing.missingCode'));
    const body = {
      sha256: text.sha256, typed_name: typedName.value.trim(), code: code.value.trim(),
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'Europe/Paris',
      ...(drawn ? { signature_png: pad.png() } : { typed_signature: typedSignature.value.trim() }),
    };
    submit.disabled = true;
    try {
      onSigned(await sign(body));
    } catch (err) {
      show(error, refusal(err));
    } finally {
      submit.disabled = false;
    }
  } }, t('signing.sign'));
  const form = h('div', { class: 'signing-form', id: `sign-${id}` },
    h('div', { class: 'field' }, h('label', { for: `sign-name-${id}` }, t('signing.typedName')), typedName),
    h('fieldset', { class: 'sig-mode' }, h('legend', {}, t('signing.signature')),
      h('label', { class: 'check' }, h('input', { type: 'radio', name: `sigmode-${id}`, value: 'draw', checked: true, onchange: switchMode }), ' ', t('signing.draw')),
      h('label', { class: 'check' }, h('input', { type: 'radio', name: `sigmode-${id}`, value: 'type', id: `sigmode-type-${id}`, onchange: switchMode }), ' ', t('signing.type')),
      drawBox, typeBox),
    h('p', {}, ask), status,
    h('div', { class: 'field' }, h('label', { for: `sign-code-${id}` }, t('signing.code')), code),
    error,
    h('div', { class: 'actions' }, submit));
  return form;
}

export function mountLater(box, build) {
  mount(box, h('p', { class: 'muted' }, t('common.loading')));
  build().catch(() => mount(box, h('p', { class: 'error' }, t('error.generic'))));
}
