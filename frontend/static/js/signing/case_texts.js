// The case page's "texts to sign": freeze one from a template, see who has signed what, show
// the code of a signer without an e-mail address, sign last, withdraw, download the PDF.
import { api } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { formatDateTime, language, t } from '../common/i18n.js';
import { frozenText, hashLine, refusal, signingForm } from './form.js';

const KINDS = ['agreement_to_mediate', 'mediated_agreement', 'closing_record', 'court_report'];

function freezeForm(kase, refresh) {
  const kind = h('select', { id: 'freeze-kind' }, KINDS.map((k) => h('option', { value: k }, t(`signing.kind.${k}`))));
  const lang = h('select', { id: 'freeze-language' },
    h('option', { value: 'fr', selected: language() === 'fr' }, 'Français'),
    h('option', { value: 'en', selected: language() === 'en' }, 'English'));
  const counsel = kase.participants.filter((p) => p.role === 'counsel');
  const boxes = counsel.map((p) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', class: 'freeze-counsel', value: p.id }), ' ', p.display_name));
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const freeze = h('button', { type: 'button', class: 'primary', id: 'freeze', onclick: async () => {
    error.hidden = true;
    try {
      await api('POST', `/api/cases/${kase.id}/texts`, {
        kind: kind.value, language: lang.value,
        counsel: boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'Europe/Paris',
      });
      refresh();
    } catch (err) {
      error.textContent = err.message || t('error.generic');
      error.hidden = false;
    }
  } }, t('signing.freeze'));
  return h('div', { class: 'freeze-form' },
    h('h3', {}, t('signing.freezeTitle')),
    h('p', { class: 'muted' }, t('signing.freezeHint')),
    h('div', { class: 'field' }, h('label', { for: 'freeze-kind' }, t('signing.kindLabel')), kind),
    h('div', { class: 'field' }, h('label', { for: 'freeze-language' }, t('signing.language')), lang),
    counsel.length ? h('fieldset', {}, h('legend', {}, t('signing.counselSign')), boxes) : null,
    error, h('div', { class: 'actions' }, freeze));
}

function signerRow(kase, text, s, me) {
  const shown = h('strong', { class: 'shown-code', style: 'font-size:1.4em; letter-spacing:.2em' });
  let state;
  if (s.signed_at) state = t('signing.signedOn', { at: formatDateTime(s.signed_at), how: t(`signing.method.${s.method}`) });
  else if (s.locked_until) state = t('signing.locked', { at: formatDateTime(s.locked_until) });
  else state = t('signing.waiting');
  const showCode = !s.signed_at && !s.has_email && s.person_kind === 'participant' && text.state === 'open'
    ? h('button', { type: 'button', class: 'secondary show-code', onclick: async () => {
      try {
        const got = await api('POST', `/api/cases/${kase.id}/texts/${text.id}/signers/${s.id}/code`);
        shown.textContent = got.code;
        shown.title = t('signing.shownUntil', { at: formatDateTime(got.expires_at) });
      } catch (err) {
        shown.textContent = refusal(err);
      }
    } }, t('signing.showCode'))
    : null;
  return h('tr', { dataset: { signer: s.id, signed: s.signed_at ? 'true' : 'false' } },
    h('td', {}, s.name, s.person_id === me ? ` (${t('signing.you')})` : ''),
    h('td', {}, t(`signing.role.${s.role}`)),
    h('td', { class: 'signer-state' }, state),
    h('td', {}, showCode, ' ', shown));
}

function textBlock(kase, text, me, refresh) {
  const mine = text.signers.find((s) => s.person_kind === 'mediator' && s.person_id === me);
  const othersDone = text.signers.every((s) => s.person_kind === 'mediator' || s.signed_at);
  const body = h('div', {});
  const actions = [];
  if (text.sealed) {
    actions.push(h('a', { class: 'button', href: `/api/cases/${kase.id}/texts/${text.id}/pdf`, download: true }, t('signing.download')));
  }
  if (text.state === 'open') {
    actions.push(h('button', { type: 'button', class: 'secondary withdraw-text', onclick: async () => {
      if (!confirm(t('signing.withdrawConfirm'))) return;
      await api('POST', `/api/cases/${kase.id}/texts/${text.id}/withdraw`);
      refresh();
    } }, t('signing.withdraw')));
    actions.push(h('button', { type: 'button', class: 'secondary', onclick: async () => {
      const full = await api('GET', `/api/cases/${kase.id}/texts/${text.id}`);
      const parts = [frozenText(full)];
      if (mine && !mine.signed_at && othersDone) {
        parts.push(signingForm(full, {
          name: mine.name,
          askCode: () => api('POST', `/api/cases/${kase.id}/texts/${text.id}/code`),
          sign: (b) => api('POST', `/api/cases/${kase.id}/texts/${text.id}/sign`, b),
          onSigned: refresh,
        }));
      }
      mount(body, parts);
    } }, mine && !mine.signed_at && othersDone ? t('signing.readAndSign') : t('signing.read')));
  }
  return h('article', { class: 'text-block', id: `text-block-${text.id}`, dataset: { state: text.state } },
    h('h3', {}, `${t(`signing.kind.${text.kind}`)} — ${t(`signing.state.${text.state}`)}`),
    h('p', { class: 'muted' }, t('signing.frozenAt', { at: formatDateTime(text.frozen_at) })),
    hashLine(text),
    h('table', { class: 'signers', style: 'text-align:left' },
      h('thead', {}, h('tr', {}, h('th', {}, t('signing.signer')), h('th', {}, t('signing.roleLabel')),
        h('th', {}, t('signing.stateLabel')), h('th', {}, ''))),
      h('tbody', {}, text.signers.map((s) => signerRow(kase, text, s, me)))),
    mine && !mine.signed_at && !othersDone && text.state === 'open' ? h('p', { class: 'muted' }, t('signing.mediatorLast')) : null,
    h('div', { class: 'actions' }, actions),
    body);
}

export function textsSection(kase) {
  const box = h('section', { class: 'card', id: 'texts' }, h('h2', {}, t('signing.title')));
  const body = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
  box.append(body);
  const refresh = async () => {
    const { texts, mediator_id: me } = await api('GET', `/api/cases/${kase.id}/texts`);
    mount(body,
      texts.length ? texts.map((text) => textBlock(kase, text, me, refresh)) : h('p', { class: 'empty' }, t('signing.none')),
      freezeForm(kase, refresh));
  };
  refresh();
  return box;
}
