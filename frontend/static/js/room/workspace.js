// The room's shared work: the whiteboard, the documents and the shared text take the stage (the
// video tiles shrink to a strip), the chat opens as a side drawer. Each tool lives in its own module and
// implements roomChanged(view), shown(visible) and destroy(); this module only arranges them.
import { ChatPanel } from './chat.js';
import { controlBadge, controlButton } from './controls.js';
import { DocumentsPanel } from './documents/documents.js';
import { h } from '../common/dom.js';
import { t } from '../common/i18n.js';
import { Whiteboard } from './board/whiteboard.js';
import { SharedTextPanel } from './text/panel.js';

const TIMEOUT_MS = 8000;

// What every tool gets: the socket, acks that never reject, who I am, and the toast.
export function toolContext(socket, { self, sessionId, credentials, nameOf, isMediator, notify }) {
  return {
    socket,
    self,
    sessionId,
    credentials,
    nameOf,
    isMediator,
    notify,
    request(event, payload = {}) {
      return socket.timeout(TIMEOUT_MS).emitWithAck(event, payload)
        .catch(() => ({ ok: false, error: { code: 'timeout', message: 'timeout' } }));
    },
  };
}

export class Workspace {
  // room: the <main> element; area: where board and documents go; drawer: the chat's <aside>.
  constructor({ room, area, drawer, ctx, onChange }) {
    this.room = room;
    this.area = area;
    this.drawer = drawer;
    this.onChange = onChange;
    this.active = null; // 'board' | 'documents' | 'text' | null
    this.chatOpen = false;
    this.unread = 0;
    this.roomId = null;
    const full = { ...ctx, reveal: (name) => this.open(name) };
    this.boardEl = h('section', { id: 'board', class: 'tool', hidden: true, 'aria-label': t('workspace.board') });
    this.docsEl = h('section', { id: 'documents', class: 'tool', hidden: true, 'aria-label': t('workspace.documents') });
    this.textEl = h('section', { id: 'text', class: 'tool', hidden: true, 'aria-label': t('workspace.text') });
    this.area.replaceChildren(this.boardEl, this.docsEl, this.textEl);
    this.els = { board: this.boardEl, documents: this.docsEl, text: this.textEl };
    this.tools = {
      board: new Whiteboard(this.boardEl, full),
      documents: new DocumentsPanel(this.docsEl, full),
      text: new SharedTextPanel(this.textEl, full),
    };
    this.chat = new ChatPanel(this.drawer, { ...full, onUnread: () => this.countUnread() });
    // someone brings the room to its board (as "Présenter" does for a document)
    this.onShown = ({ room_id: roomId, by }) => {
      if (roomId !== this.roomId) return;
      this.open('board');
      ctx.notify(t('workspace.boardShown', { name: ctx.nameOf(by) }));
    };
    this.socket = ctx.socket;
    ctx.socket.on('wb:shown', this.onShown);
  }

  roomChanged(view) {
    this.chat.holdChanged(Boolean(view.on_hold)); // on hold in the plenary: nobody reads its chat
    if (view.room_id === this.roomId) return;
    this.roomId = view.room_id;
    for (const tool of [...Object.values(this.tools), this.chat]) tool.roomChanged(view);
  }

  countUnread() {
    if (this.chatOpen) return;
    this.unread += 1;
    this.onChange();
  }

  open(name) {
    if (name === 'chat') {
      this.chatOpen = true;
      this.unread = 0;
    } else this.active = name;
    this.layout();
  }

  toggle(name) {
    if (name === 'chat') {
      this.chatOpen = !this.chatOpen;
      if (this.chatOpen) this.unread = 0;
    } else this.active = this.active === name ? null : name;
    this.layout();
  }

  layout() {
    this.room.classList.toggle('with-work', Boolean(this.active));
    this.area.hidden = !this.active;
    for (const [name, tool] of Object.entries(this.tools)) {
      const el = this.els[name];
      const visible = this.active === name;
      if (el.hidden === visible) {
        el.hidden = !visible;
        tool.shown(visible);
      }
    }
    if (this.drawer.hidden === this.chatOpen) {
      this.drawer.hidden = !this.chatOpen;
      this.chat.shown(this.chatOpen);
    }
    this.onChange();
  }

  // The control-bar buttons, rebuilt by the room with the other controls.
  buttons() {
    const button = (name, key, on, extra = null) => controlButton({
      id: `open-${name}`, label: t(key), short: t(`${key}Short`), onclick: () => this.toggle(name),
      pressed: on, cls: `tool-toggle${on ? ' active' : ''}`, extra,
    });
    const badge = this.unread > 0
      ? controlBadge(this.unread, t('workspace.unread', { count: this.unread }))
      : null;
    return [
      button('board', 'workspace.board', this.active === 'board'),
      button('documents', 'workspace.documents', this.active === 'documents'),
      button('text', 'workspace.text', this.active === 'text'),
      button('chat', 'workspace.chat', this.chatOpen, badge),
    ];
  }

  // Back in the waiting room: every tool closes (each can be opened again once let in).
  park() {
    this.active = null;
    this.chatOpen = false;
    this.layout();
  }

  // The session is over for me: every tool stops listening and disappears.
  close() {
    this.socket.off('wb:shown', this.onShown);
    for (const tool of [...Object.values(this.tools), this.chat]) tool.destroy();
    this.active = null;
    this.chatOpen = false;
    this.room.classList.remove('with-work');
    this.area.hidden = true;
    this.drawer.hidden = true;
  }
}
