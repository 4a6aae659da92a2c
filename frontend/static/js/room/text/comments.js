// Comments on the room's shared text: a comment is anchored to a range of the text by two Yjs
// relative positions (they name characters, not offsets, so the range follows the text as it
// is edited); the editor highlights each open comment's range, and a side list shows the
// room's comments (open, then resolved) with their replies. A comment whose text was deleted
// shows "text removed". Loaded with the editor (panel.js). Every user string is set as text.
import { Plugin, PluginKey, TextSelection } from 'prosemirror-state';
import { Decoration, DecorationSet } from 'prosemirror-view';
import { absolutePositionToRelativePosition, relativePositionToAbsolutePosition, ySyncPluginKey } from 'y-prosemirror';
import * as Y from 'yjs';
import { fromBase64, toBase64 } from 'lib0/buffer';
import { h, mount } from '../../common/dom.js';
import { locale, t } from '../../common/i18n.js';

const KEY = new PluginKey('palabre-comments');
const MAX_BODY = 2000;

// The range of the text a comment is on, now: {from, to}, or null (its text was deleted).
function rangeOf(state, comment) {
  const binding = ySyncPluginKey.getState(state)?.binding;
  if (!binding || !binding.mapping?.size) return null;
  try {
    const at = (anchor) => relativePositionToAbsolutePosition(
      binding.doc, binding.type, Y.decodeRelativePosition(fromBase64(anchor)), binding.mapping,
    );
    const from = at(comment.anchor.start);
    const to = at(comment.anchor.end);
    if (from === null || to === null || to <= from || to > state.doc.content.size) return null;
    return { from, to };
  } catch {
    return null;
  }
}

// The selection's anchors ({start, end}, base64), or null for an empty selection.
export function anchorsOf(state) {
  const { from, to, empty } = state.selection;
  const binding = ySyncPluginKey.getState(state)?.binding;
  if (empty || !binding) return null;
  const rel = (pos) => toBase64(Y.encodeRelativePosition(absolutePositionToRelativePosition(pos, binding.type, binding.mapping)));
  return { start: rel(from), end: rel(to) };
}

// The editor's highlights: each open comment's range (the chosen one stands out).
export function commentsPlugin(comments) {
  return new Plugin({
    key: KEY,
    // a comment whose words were deleted (or typed again) shows it in the list
    view: () => ({ update: (view, before) => { if (!before.doc.eq(view.state.doc)) comments.textChanged(); } }),
    props: {
      decorations(state) {
        const marks = [];
        for (const c of comments.threads.values()) {
          if (c.resolved) continue;
          const range = rangeOf(state, c);
          if (!range) continue;
          const active = c.id === comments.active ? ' active' : '';
          marks.push(Decoration.inline(range.from, range.to, { class: `text-comment-mark${active}`, 'data-comment': c.id }));
        }
        return marks.length ? DecorationSet.create(state.doc, marks) : null;
      },
      // Ctrl+Alt+M (⌘⌥M): comment on the selection
      handleKeyDown(view, event) {
        if (event.altKey && (event.ctrlKey || event.metaKey) && event.code === 'KeyM') {
          event.preventDefault();
          comments.start();
          return true;
        }
        return false;
      },
      handleClick(view, pos) {
        for (const c of comments.threads.values()) {
          const range = !c.resolved && rangeOf(view.state, c);
          if (range && range.from <= pos && pos <= range.to) {
            comments.choose(c.id, false);
            return false;
          }
        }
        return false;
      },
    },
  });
}

export class TextComments {
  // ctx: the room; view(): the editor's view (or null); mayEdit(): may comment; onOpen():
  // the list was shown (to write a comment).
  constructor(ctx, host, { view, mayEdit, onOpen = () => {} }) {
    this.ctx = ctx;
    this.host = host;
    this.onOpen = onOpen;
    this.view = view;
    this.mayEdit = mayEdit;
    this.roomId = null;
    this.threads = new Map();
    this.active = null;
    this.draft = null; // {start, end, quote, body} while a new comment is written
    this.replies = new Map(); // comment id -> the reply being written (kept across renders)
    this.removed = '';
    this.showResolved = false;
    this.handler = (data) => {
      if (data?.room_id !== this.roomId || !data.comment) return;
      this.threads.set(data.comment.id, data.comment);
      this.changed();
    };
    // after a lost connection, the comments are taken again once back in the room
    this.stale = false;
    this.onDisconnect = () => { this.stale = true; };
    this.onView = (view) => {
      if (this.stale && this.roomId && view?.room_id === this.roomId) {
        this.stale = false;
        this.enter(this.roomId);
      }
    };
    ctx.socket.on('text:comment', this.handler);
    ctx.socket.on('disconnect', this.onDisconnect);
    ctx.socket.on('room:view', this.onView);
  }

  async enter(roomId) {
    this.roomId = roomId;
    this.threads = new Map();
    this.draft = null;
    this.active = null;
    const ack = await this.ctx.request('text:comments', {});
    if (roomId !== this.roomId) return;
    if (ack.ok && ack.room_id === roomId) for (const c of ack.comments) this.threads.set(c.id, c);
    this.changed();
  }

  // The text changed: the list is drawn again if a comment's words went (or came back).
  textChanged() {
    const state = this.view()?.state;
    if (!state) return;
    const removed = [...this.threads.values()].filter((c) => !c.resolved && !rangeOf(state, c)).map((c) => c.id).join();
    if (removed !== this.removed) this.render();
  }

  // The list and the highlights drawn again.
  changed() {
    const view = this.view();
    if (view) view.dispatch(view.state.tr.setMeta(KEY, true));
    this.render();
  }

  name(key) {
    return key === this.ctx.self.key ? t('text.me') : this.ctx.nameOf(key);
  }

  time(seconds) {
    return new Date(seconds * 1000).toLocaleString(locale(), { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  }

  // A new comment on the editor's selection (the list opens on its form).
  start() {
    const view = this.view();
    const anchors = view && anchorsOf(view.state);
    if (!anchors) {
      this.ctx.notify(t('comments.selectFirst'));
      return false;
    }
    const { from, to } = view.state.selection;
    this.draft = { ...anchors, quote: view.state.doc.textBetween(from, to, ' ').slice(0, 120) };
    this.host.hidden = false;
    this.render();
    this.onOpen();
    this.host.querySelector('#comment-new-body')?.focus();
    return true;
  }

  async send(event, payload) {
    const ack = await this.ctx.request(event, { room_id: this.roomId, ...payload });
    if (!ack.ok) {
      const key = `comments.error.${ack.error?.code}`;
      const text = t(key);
      this.ctx.notify(text === key ? t('comments.error.generic') : text);
      return false;
    }
    this.threads.set(ack.comment.id, ack.comment);
    this.active = ack.comment.id;
    this.changed();
    return true;
  }

  async submitDraft(body) {
    if (!this.draft || !body.trim()) return;
    const { start, end } = this.draft;
    if (await this.send('text:comment', { start, end, body })) {
      this.draft = null;
      this.render();
    }
  }

  // The comment's range selected in the editor (and the comment in the list).
  choose(id, select = true) {
    this.active = id;
    const view = this.view();
    const c = this.threads.get(id);
    if (select && view && c) {
      const range = rangeOf(view.state, c);
      if (range) {
        view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, range.from, range.to)).scrollIntoView());
      }
    }
    this.changed();
  }

  render() {
    const view = this.view();
    const state = view?.state;
    const focused = document.activeElement && this.host.contains(document.activeElement) ? document.activeElement.id : null;
    if (state) {
      this.removed = [...this.threads.values()].filter((c) => !c.resolved && !rangeOf(state, c)).map((c) => c.id).join();
    }
    const all = [...this.threads.values()].sort((a, b) => a.at - b.at);
    const open = all.filter((c) => !c.resolved);
    const resolved = all.filter((c) => c.resolved);
    const form = this.draft ? this.newForm() : null;
    mount(this.host,
      h('h2', {}, t('comments.title')),
      h('p', { class: 'text-comments-note' }, t('comments.note')),
      form,
      h('h3', {}, t('comments.open', { count: open.length })),
      open.length ? h('ol', { class: 'text-comment-list' }, open.map((c) => this.item(c, state))) : h('p', { class: 'text-comments-none' }, t('comments.none')),
      resolved.length ? h('details', {
        class: 'text-comments-resolved', open: this.showResolved,
        ontoggle: (e) => { this.showResolved = e.target.open; },
      },
        h('summary', {}, t('comments.resolvedList', { count: resolved.length })),
        h('ol', { class: 'text-comment-list' }, resolved.map((c) => this.item(c, state)))) : null);
    if (focused) document.getElementById(focused)?.focus();
  }

  newForm() {
    const body = h('textarea', { id: 'comment-new-body', maxlength: MAX_BODY, rows: 3, 'aria-label': t('comments.bodyLabel') });
    body.value = this.draft.body ?? '';
    body.addEventListener('input', () => { if (this.draft) this.draft.body = body.value; });
    const submit = () => this.submitDraft(body.value);
    body.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
      if (e.key === 'Escape') { e.preventDefault(); this.draft = null; this.render(); this.view()?.focus(); }
    });
    return h('form', { class: 'text-comment-new', onsubmit: (e) => { e.preventDefault(); submit(); } },
      h('blockquote', {}, this.draft.quote),
      body,
      h('div', { class: 'text-comment-actions' },
        h('button', { type: 'submit', class: 'primary', id: 'comment-new-send' }, t('comments.send')),
        h('button', { type: 'button', class: 'secondary', onclick: () => { this.draft = null; this.render(); } }, t('comments.cancel'))));
  }

  item(c, state) {
    const removed = state && !c.resolved && !rangeOf(state, c);
    const mayResolve = this.mayEdit() && !c.resolved && (c.by === this.ctx.self.key || this.ctx.isMediator());
    const replies = c.replies.map((r) => h('li', { class: 'text-comment-reply' },
      h('p', { class: 'text-comment-meta' }, h('strong', {}, this.name(r.by)), ' · ', h('time', {}, this.time(r.at))),
      h('p', { class: 'text-comment-body' }, r.body)));
    let reply = null;
    if (this.mayEdit() && !c.resolved) {
      const field = h('textarea', {
        id: `comment-reply-${c.id}`, rows: 2, maxlength: MAX_BODY, 'aria-label': t('comments.replyLabel', { name: this.name(c.by) }),
      });
      field.value = this.replies.get(c.id) ?? '';
      field.addEventListener('input', () => this.replies.set(c.id, field.value));
      reply = h('form', { class: 'text-comment-reply-form', onsubmit: async (e) => {
        e.preventDefault();
        if (field.value.trim() && await this.send('text:reply', { comment: c.id, body: field.value })) {
          this.replies.delete(c.id);
          this.render();
        }
      } }, field, h('button', { type: 'submit', class: 'secondary' }, t('comments.reply')));
    }
    return h('li', {
      class: `text-comment${c.id === this.active ? ' active' : ''}${c.resolved ? ' resolved' : ''}`, 'data-comment': c.id,
    },
    h('p', { class: 'text-comment-meta' }, h('strong', {}, this.name(c.by)), ' · ', h('time', {}, this.time(c.at)),
      removed ? h('span', { class: 'text-comment-removed' }, t('comments.removed')) : null),
    h('p', { class: 'text-comment-body' }, c.body),
    c.resolved ? h('p', { class: 'text-comment-state' }, t('comments.resolvedBy', { name: this.name(c.resolved.by), when: this.time(c.resolved.at) })) : null,
    replies.length ? h('ol', { class: 'text-comment-replies' }, replies) : null,
    h('div', { class: 'text-comment-actions' },
      !removed && !c.resolved ? h('button', { type: 'button', class: 'link', onclick: () => this.choose(c.id) }, t('comments.show')) : null,
      mayResolve ? h('button', { type: 'button', class: 'link text-comment-resolve', onclick: () => this.send('text:resolve', { comment: c.id }) }, t('comments.resolve')) : null),
    reply);
  }

  destroy() {
    this.ctx.socket.off('text:comment', this.handler);
    this.ctx.socket.off('disconnect', this.onDisconnect);
    this.ctx.socket.off('room:view', this.onView);
  }
}
