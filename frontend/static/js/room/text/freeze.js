// Signing from the room: a mediator starts the text from one of the organisation's templates
// (filled from the case by the server) and freezes the plenary's text; everyone in the room
// then sees the frozen version's fingerprint, each signer signs it here (the same form as on
// the join page), the mediators see who signed, the others how many, and once every signer
// has signed everyone can download the sealed PDF.
import { api } from '../../common/api.js';
import { h, mount } from '../../common/dom.js';
import { language, offLanguageChange, onLanguageChange, t } from '../../common/i18n.js';
import { frozenText, hashLine, refusal, signingForm } from '../../signing/form.js';
import { call as linkCall, download as linkDownload } from '../../signing/join_texts.js';

const KINDS = ['mediated_agreement', 'agreement_to_mediate', 'closing_record', 'court_report'];
const ZONE = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'Europe/Paris';

function errorText(ack) {
  const code = ack.error?.code;
  const key = `textsign.error.${code}`;
  const text = t(key);
  return text === key ? (ack.error?.message || t('error.generic')) : text;
}

export class RoomSigning {
  constructor(ctx, { onChange } = {}) {
    this.ctx = ctx;
    this.onChange = onChange;
    this.room = null;
    this.texts = [];
    this.shown = {}; // signer id -> the code shown to them
    this.el = h('div', { class: 'room-signing', id: 'room-signing' });
    this.dialog = h('dialog', { class: 'sign-dialog', id: 'sign-dialog', 'aria-labelledby': 'sign-dialog-title' });
    document.body.append(this.dialog);
    this.handlers = {
      'text:frozen': () => {
        this.ctx.notify(t('textsign.frozenNotice'));
        this.ctx.reveal?.('text'); // everyone in the room sees the frozen version
        this.refresh();
      },
      'text:signed': (m) => {
        this.ctx.notify(m.sealed ? t('textsign.sealedNotice') : t('textsign.signedNotice', { name: m.name }));
        this.refresh();
      },
      'text:signing': (m) => {
        if (m.sealed) this.ctx.notify(t('textsign.sealedNotice'));
        this.refresh();
      },
    };
    for (const [event, fn] of Object.entries(this.handlers)) ctx.socket.on(event, fn);
    this.onLanguage = () => this.render();
    onLanguageChange(this.onLanguage);
    this.refresh();
  }

  roomChanged(view) {
    this.room = view;
    this.refresh(); // back from a private meeting: what was frozen meanwhile
  }

  async refresh() {
    const ack = await this.ctx.request('text:to_sign', {});
    if (ack.ok) this.texts = ack.texts;
    this.render();
  }

  latest() {
    return this.texts.length ? this.texts[this.texts.length - 1] : null;
  }

  render() {
    const mediator = this.ctx.isMediator();
    const text = this.latest();
    mount(this.el, mediator ? this.tools() : null, text ? this.banner(text, mediator) : null);
    this.onChange?.();
  }

  // -- a mediator's tools: a template into the text, the text frozen ----------------------

  tools() {
    const inPrivate = this.room?.kind === 'private';
    // what the mediator chose stays chosen across renders
    this.kind = this.kind || KINDS[0];
    this.lang = this.lang || language();
    const kind = h('select', { id: 'textsign-kind', 'aria-label': t('textsign.kind'), onchange: () => { this.kind = kind.value; } },
      KINDS.map((k) => h('option', { value: k, selected: k === this.kind }, t(`signing.kind.${k}`))));
    const lang = h('select', { id: 'textsign-language', 'aria-label': t('signing.language'), onchange: () => { this.lang = lang.value; } },
      h('option', { value: 'fr', selected: this.lang === 'fr' }, 'Français'),
      h('option', { value: 'en', selected: this.lang === 'en' }, 'English'));
    const insert = h('button', { type: 'button', class: 'secondary', id: 'text-template', title: t('textsign.templateHint'),
      onclick: async () => {
        insert.disabled = true;
        const ack = await this.ctx.request('text:template', { kind: kind.value, language: lang.value, timezone: ZONE() });
        insert.disabled = false;
        this.ctx.notify(ack.ok ? t('textsign.inserted') : errorText(ack));
      } }, t('textsign.template'));
    const freeze = h('button', { type: 'button', class: 'secondary', id: 'text-freeze', disabled: inPrivate,
      title: inPrivate ? t('textsign.freezePrivate') : t('textsign.freezeHint'),
      onclick: async () => {
        freeze.disabled = true;
        const ack = await this.ctx.request('text:freeze', { kind: kind.value, language: lang.value });
        freeze.disabled = false;
        if (!ack.ok) this.ctx.notify(errorText(ack));
      } }, t('textsign.freeze'));
    return h('div', { class: 'textsign-tools' }, kind, lang, insert, freeze);
  }

  // -- the frozen version: its fingerprint, who signed, sign, download --------------------

  banner(text, mediator) {
    const parts = [
      h('strong', { class: 'textsign-title' }, `${t('textsign.frozen')} — ${t(`signing.kind.${text.kind}`)}`),
      ' ', h('span', { class: 'textsign-count', id: 'textsign-count' }, t('signing.whoSigned', { done: text.signed, all: text.total })),
      h('p', { class: 'textsign-hash' }, `${t('textsign.hash')} `, h('code', { class: 'sha256' }, text.sha256)),
      h('p', { class: 'textsign-note' }, t('textsign.liveGoesOn')),
    ];
    const actions = [];
    if (text.sealed) {
      parts.push(h('p', { class: 'textsign-ready', id: 'textsign-ready', role: 'status' }, t('textsign.pdfReady')));
      actions.push(h('button', { type: 'button', class: 'primary', id: 'text-pdf', onclick: () => this.download(text) }, t('signing.download')));
    } else if (text.my_signer_id && !text.signed_by_me) {
      const othersDone = !mediator || text.signers.every((s) => s.person_kind === 'mediator' || s.signed);
      if (othersDone) {
        actions.push(h('button', { type: 'button', class: 'primary', id: 'text-sign', onclick: () => this.openSign(text) }, t('textsign.sign')));
      } else parts.push(h('p', { class: 'textsign-note' }, t('signing.mediatorLast')));
    } else if (text.signed_by_me) {
      parts.push(h('p', { class: 'textsign-note signed-by-me' }, t('textsign.youSigned')));
    }
    if (mediator && text.signers) parts.push(this.signers(text));
    return h('section', { class: 'textsign-banner', id: 'text-frozen-banner', dataset: { state: text.state, text: text.text_id } },
      ...parts, actions.length ? h('div', { class: 'actions' }, actions) : null);
  }

  signers(text) {
    const rows = text.signers.map((s) => {
      const code = h('strong', { class: 'shown-code' }, s.signed ? '' : (this.shown[s.signer_id] ?? ''));
      const show = !s.signed && !s.has_email && s.person_kind === 'participant' && text.state === 'open'
        ? h('button', { type: 'button', class: 'link show-code', onclick: async () => {
          try {
            const got = await api('POST', `/api/cases/${text.case_id}/texts/${text.text_id}/signers/${s.signer_id}/code`);
            this.shown[s.signer_id] = got.code;
            code.textContent = got.code;
          } catch (err) {
            code.textContent = refusal(err);
          }
        } }, t('signing.showCode'))
        : null;
      return h('li', { dataset: { signer: s.signer_id, signed: String(s.signed) } },
        h('span', { class: 'textsign-who' }, s.name), ` (${t(`signing.role.${s.role}`)}) — `,
        h('span', { class: 'signer-state' }, s.signed ? t('textsign.hasSigned') : t('signing.waiting')),
        show ? ' ' : null, show, ' ', code);
    });
    return h('ul', { class: 'textsign-signers', id: 'textsign-signers' }, rows);
  }

  async openSign(text) {
    const token = this.ctx.credentials?.token;
    let detail;
    let askCode;
    let sign;
    try {
      if (this.ctx.isMediator()) {
        const base = `/api/cases/${text.case_id}/texts/${text.text_id}`;
        detail = await api('GET', base);
        askCode = () => api('POST', `${base}/code`);
        sign = (body) => api('POST', `${base}/sign`, body);
      } else {
        const { texts } = await linkCall(token, 'GET', '/api/join/texts');
        detail = texts.find((x) => x.id === text.text_id);
        askCode = () => linkCall(token, 'POST', `/api/join/texts/${text.text_id}/code`);
        sign = (body) => linkCall(token, 'POST', `/api/join/texts/${text.text_id}/sign`, body);
      }
    } catch {
      detail = null;
    }
    if (!detail) {
      this.ctx.notify(t('error.generic'));
      return;
    }
    const close = () => {
      this.dialog.close();
      this.dialog.replaceChildren();
    };
    mount(this.dialog,
      h('h2', { id: 'sign-dialog-title' }, t(`signing.kind.${detail.kind}`)),
      hashLine(detail),
      frozenText(detail),
      signingForm(detail, {
        name: this.ctx.self?.display_name || '',
        askCode, sign,
        onSigned: () => {
          close();
          this.refresh();
        },
      }),
      h('p', {}, h('button', { type: 'button', class: 'secondary', id: 'sign-dialog-close', onclick: close }, t('textsign.close'))));
    this.dialog.showModal();
  }

  async download(text) {
    if (this.ctx.isMediator()) {
      const a = h('a', { href: `/api/cases/${text.case_id}/texts/${text.text_id}/pdf`, download: `${text.kind}.pdf`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      return;
    }
    try {
      await linkDownload(this.ctx.credentials?.token, { id: text.text_id, kind: text.kind });
    } catch (err) {
      this.ctx.notify(refusal(err));
    }
  }

  destroy() {
    for (const [event, fn] of Object.entries(this.handlers)) this.ctx.socket.off(event, fn);
    offLanguageChange(this.onLanguage);
    this.dialog.remove();
  }
}
