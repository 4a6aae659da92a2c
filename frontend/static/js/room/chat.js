// The room's chat: plain text only (every message is a text node), scoped to the room I am in.
// Not kept after the session unless the mediator proposes it and everyone agrees, each
// agreement being written to the consent log by the server.
import { h, mount } from '../common/dom.js';
import { language, locale, onLanguageChange, t } from '../common/i18n.js';

const MAX_LENGTH = 2000;

// A refused message: a short, translated reason (over budget, too fast...), else a generic one.
function chatError(code) {
  const known = { forbidden: 'chat.notNow', rate_limited: 'chat.tooFast', over_budget: 'chat.overBudget', chat_full: 'chat.full' };
  return t(known[code] || 'chat.failed');
}

export class ChatPanel {
  constructor(container, ctx) {
    this.el = container;
    this.ctx = ctx;
    this.roomId = null;
    this.kind = 'plenary';
    this.onHold = false; // alone in the plenary while the mediator holds a private meeting
    this.messages = [];
    this.keepEnabled = false;
    this.agreed = false;
    this.agreements = new Map(); // mediators: participant key -> agreed
    this.notice = null;
    this.visible = false;
    this.list = h('ol', { class: 'chat-messages', 'aria-live': 'polite' });
    this.input = h('textarea', {
      id: 'chat-input', rows: 2, maxlength: MAX_LENGTH, 'aria-label': t('chat.placeholder'),
      placeholder: t('chat.placeholder'), onkeydown: (e) => this.onKey(e),
    });
    this.keepBox = h('div', { class: 'chat-keep' });
    this.handlers = {
      'chat:message': (m) => this.received(m),
      'chat:keep': ({ enabled }) => this.keepChanged(enabled),
      'chat:keep_agreement': ({ participant_id: key, agreed }) => {
        this.agreements.set(key, agreed);
        this.renderKeep();
      },
      connect: () => this.roomId && this.load(),
    };
    for (const [event, fn] of Object.entries(this.handlers)) ctx.socket.on(event, fn);
    onLanguageChange(() => this.render());
    this.render();
  }

  roomChanged(view) {
    // a draft typed for one room is never sent to another
    if (this.roomId !== view.room_id) this.input.value = '';
    this.roomId = view.room_id;
    this.kind = view.kind;
    this.messages = [];
    this.render();
    this.load();
  }

  // While on hold nobody reads the plenary's chat (the server refuses it): say so and
  // let nothing be typed, until the mediator comes back or allows the plenary to talk.
  holdChanged(onHold) {
    if (onHold === this.onHold) return;
    this.onHold = onHold;
    this.render();
  }

  shown(visible) {
    this.visible = visible;
    if (visible) {
      this.scrollDown();
      this.input.focus();
    }
  }

  destroy() {
    for (const [event, fn] of Object.entries(this.handlers)) this.ctx.socket.off(event, fn);
  }

  async load() {
    const roomId = this.roomId;
    const ack = await this.ctx.request('chat:history', {});
    if (!ack.ok || roomId !== this.roomId) return;
    this.messages = ack.messages;
    this.keepEnabled = ack.keep_enabled;
    this.agreed = ack.agreed;
    if (this.keepEnabled) await this.loadNotice();
    this.render();
  }

  async loadNotice() {
    const ack = await this.ctx.request('chat:notice', { language: language() });
    this.notice = ack.ok ? ack.body : null;
  }

  received(message) {
    if (message.room_id !== this.roomId || this.messages.some((m) => m.seq === message.seq)) return;
    this.messages.push(message);
    this.list.append(this.item(message));
    this.scrollDown();
    if (!this.visible && message.author !== this.ctx.self.key) this.ctx.onUnread();
  }

  async keepChanged(enabled) {
    this.keepEnabled = enabled;
    if (!enabled) this.agreements.clear();
    if (enabled) await this.loadNotice();
    this.renderKeep();
    if (enabled && !this.ctx.isMediator()) {
      this.ctx.notify(t('chat.keepProposed'));
      this.ctx.reveal('chat');
    }
  }

  onKey(event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.send();
    }
  }

  async send() {
    const text = this.input.value.trim();
    if (!text) return;
    const roomId = this.roomId;
    const ack = await this.ctx.request('chat:send', { text, room_id: roomId });
    if (!ack.ok) {
      if (ack.error.code === 'not_in_room') {
        if (this.roomId !== roomId) return; // moved meanwhile: the draft was cleared, nothing sent
        this.ctx.notify(t('chat.movedAway'));
        return;
      }
      this.ctx.notify(chatError(ack.error.code));
      return;
    }
    this.input.value = '';
    this.received(ack.message);
  }

  async setKeep(enabled) {
    const ack = await this.ctx.request('chat:keep', { enabled });
    if (!ack.ok) this.ctx.notify(t('chat.failed'));
  }

  async agree(agreed) {
    const ack = await this.ctx.request('chat:agree', { agreed, language: language() });
    if (ack.ok) this.agreed = agreed;
    else this.ctx.notify(t('chat.failed'));
    this.renderKeep();
  }

  item(m) {
    const mine = m.author === this.ctx.self.key;
    const at = new Date(m.at).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
    return h('li', { class: `chat-message${mine ? ' mine' : ''}`, dataset: { seq: m.seq } },
      h('span', { class: 'chat-author' }, mine ? t('chat.me') : this.ctx.nameOf(m.author)),
      h('time', { datetime: m.at }, at),
      h('p', { class: 'chat-text' }, m.text));
  }

  scrollDown() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  renderKeep() {
    const parts = [];
    if (!this.keepEnabled) {
      parts.push(h('p', { class: 'muted' }, t('chat.notKept')));
    } else {
      parts.push(h('p', { class: 'chat-keep-title' }, t('chat.keepTitle')));
      if (this.notice) parts.push(h('p', { class: 'chat-notice' }, this.notice));
      if (!this.ctx.isMediator()) {
        parts.push(h('label', { class: 'check' },
          h('input', { type: 'checkbox', id: 'chat-agree', checked: this.agreed, onchange: (e) => this.agree(e.target.checked) }),
          t('chat.agree')));
      } else {
        const yes = [...this.agreements.values()].filter(Boolean).length;
        parts.push(h('p', { class: 'muted', id: 'chat-agreements' }, t('chat.agreements', { count: yes })));
      }
    }
    if (this.ctx.isMediator() && this.ctx.self.role === 'mediator') {
      parts.push(h('label', { class: 'check' },
        h('input', { type: 'checkbox', id: 'chat-keep', checked: this.keepEnabled, onchange: (e) => this.setKeep(e.target.checked) }),
        t('chat.keepToggle')));
    }
    mount(this.keepBox, ...parts);
  }

  render() {
    this.input.placeholder = t('chat.placeholder');
    this.input.disabled = this.onHold;
    mount(this.list, ...this.messages.map((m) => this.item(m)));
    this.renderKeep();
    mount(this.el,
      h('header', { class: 'chat-head' },
        h('h2', {}, t('workspace.chat')),
        h('span', { class: `chat-room ${this.kind}` }, t(this.kind === 'private' ? 'chat.private' : 'chat.plenary'))),
      this.keepBox,
      this.list,
      this.onHold ? h('p', { class: 'chat-hold', id: 'chat-hold', role: 'status' }, t('chat.onHold')) : null,
      h('form', { class: 'chat-form', onsubmit: (e) => { e.preventDefault(); this.send(); } },
        this.input,
        h('button', { type: 'submit', id: 'chat-send', disabled: this.onHold }, t('chat.send'))));
    this.scrollDown();
  }
}
