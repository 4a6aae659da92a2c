// The room's shared text (Texte): one per room, like the board; a private meeting's text is
// its members' only. The editor and its packages load the first time the text is opened;
// until then nothing of the text is fetched.
import { h, mount } from '../../common/dom.js';
import { locale, onLanguageChange, t } from '../../common/i18n.js';
import { RoomSigning } from './freeze.js';

function errorText(code) {
  const key = `text.error.${code}`;
  const text = t(key);
  return text === key ? t('text.error.generic') : text;
}

export class SharedTextPanel {
  constructor(container, ctx) {
    this.el = container;
    this.ctx = ctx;
    this.room = null;
    this.editor = null;
    this.loading = null;
    this.el.classList.add('text-tool');
    this.toolbar = h('div', { class: 'text-toolbar', role: 'toolbar' });
    this.note = h('p', { class: 'text-note' });
    this.status = h('span', { class: 'text-status', role: 'status', 'aria-live': 'polite' });
    this.host = h('div', { class: 'text-page' });
    this.mediatorActions = h('div', { class: 'text-mediator' });
    this.historyButton = h('button', {
      type: 'button', class: 'link text-history-toggle', id: 'text-history-toggle', 'aria-expanded': 'false',
      onclick: () => this.toggleHistory(),
    });
    this.history = h('aside', { class: 'text-history', id: 'text-history', hidden: true });
    // comments on the text (room/text/comments.js): a button to comment on the selection,
    // and their list beside the text
    this.commentButton = h('button', {
      type: 'button', class: 'secondary text-comment-add', id: 'text-comment-add',
      onmousedown: (e) => e.preventDefault(), onclick: () => this.startComment(),
    });
    this.commentsToggle = h('button', {
      type: 'button', class: 'link text-comments-toggle', id: 'text-comments-toggle', 'aria-expanded': 'false',
      'aria-controls': 'text-comments', onclick: () => { this.commentsBox.hidden = !this.commentsBox.hidden; this.render(); },
    });
    this.commentsBox = h('aside', { class: 'text-comments', id: 'text-comments', hidden: true });
    this.comments = null;
    this.preview = h('div', { class: 'text-page text-version', hidden: true });
    this.previewView = null;
    this.signing = new RoomSigning(ctx); // templates, the frozen version, signing (freeze.js)
    mount(
      this.el,
      h('div', { class: 'text-head' }, this.toolbar, this.commentButton, this.mediatorActions, this.commentsToggle,
        this.historyButton, this.status),
      this.signing.el,
      this.note,
      h('div', { class: 'text-body' }, h('div', { class: 'text-sheet' }, this.preview, this.host), this.commentsBox,
        this.history),
    );
    onLanguageChange(() => this.render());
    this.render();
  }

  roomChanged(view) {
    this.room = view;
    this.closeVersion();
    this.history.hidden = true;
    this.signing.roomChanged(view);
    this.render();
    if (this.editor) this.editor.enter(view.room_id).then(() => this.comments?.enter(view.room_id));
  }

  startComment() {
    this.comments?.start();
  }

  shown(visible) {
    if (visible && !this.editor && !this.loading) this.load();
  }

  async load() {
    this.status.textContent = t('text.loading');
    this.loading = Promise.all([import('./editor.js'), import('./comments.js')]).then(([
      { TextEditor, ACTIONS, toggleLock }, { TextComments, commentsPlugin }]) => {
      this.actions = ACTIONS;
      this.toggleLock = toggleLock;
      this.comments = new TextComments(this.ctx, this.commentsBox, {
        view: () => this.editor?.view ?? null,
        mayEdit: () => Boolean(this.editor?.sync.mayEdit),
        onOpen: () => this.commentsToggle.setAttribute('aria-expanded', 'true'),
      });
      const onRender = this.comments.render.bind(this.comments);
      this.comments.render = () => { onRender(); this.renderCount(); };
      this.editor = new TextEditor(this.host, this.ctx, {
        label: () => t('text.editor'),
        onState: () => this.renderState(),
        onError: (code) => this.ctx.notify(errorText(code)),
        plugins: () => [commentsPlugin(this.comments)],
      });
      this.render();
      if (this.room) {
        const roomId = this.room.room_id;
        return this.editor.enter(roomId).then(() => this.comments.enter(roomId));
      }
      return null;
    }).catch(() => {
      this.status.textContent = t('text.unavailable');
    });
    await this.loading;
  }

  render() {
    const inPrivate = this.room?.kind === 'private';
    this.note.textContent = inPrivate ? t('text.privateNote') : t('text.plenaryNote');
    this.note.classList.toggle('private', inPrivate);
    const buttons = (this.actions ?? []).map(([key, glyph, command]) => h('button', {
      type: 'button', class: `text-btn ${key.replace('text.', '')}`, title: t(key), 'aria-label': t(key),
      disabled: !this.editor?.sync.mayEdit,
      // keep the editor's selection: act on mousedown, not after the focus moved
      onmousedown: (e) => { e.preventDefault(); this.editor?.run(command); },
      onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.editor?.run(command); } },
    }, glyph));
    this.toolbar.setAttribute('aria-label', t('text.toolbar'));
    mount(this.toolbar, ...buttons);
    // in a private meeting, a mediator brings the paragraph at the caret into the plenary
    const bring = inPrivate && this.editor && this.ctx.isMediator()
      ? h('button', {
        type: 'button', class: 'secondary text-bring', id: 'text-bring',
        title: t('text.bringHint'), onmousedown: (e) => e.preventDefault(), onclick: () => this.bring(),
      }, t('text.bring'))
      : null;
    const lock = this.editor?.sync.mayLock
      ? h('button', {
        type: 'button', class: 'secondary text-lock', id: 'text-lock', title: t('text.lockHint'),
        onmousedown: (e) => { e.preventDefault(); this.editor?.run(this.toggleLock); this.render(); },
      }, t('text.lock'))
      : null;
    mount(this.mediatorActions, lock, bring);
    this.commentButton.textContent = t('comments.add');
    this.commentButton.title = t('comments.addHint');
    this.commentButton.hidden = !this.editor?.sync.mayEdit;
    this.commentsToggle.hidden = !this.comments;
    this.commentsToggle.setAttribute('aria-expanded', String(!this.commentsBox.hidden));
    this.comments?.render();
    this.renderCount();
    this.historyButton.textContent = t('text.history');
    this.historyButton.hidden = !this.editor;
    this.historyButton.setAttribute('aria-expanded', String(!this.history.hidden));
    this.renderState();
  }

  // Who changed the text, run by run; choosing one shows the text as it stood after it.
  async toggleHistory() {
    if (!this.history.hidden) {
      this.history.hidden = true;
      this.closeVersion();
      this.render();
      return;
    }
    const ack = await this.ctx.request('text:history', {});
    if (!ack.ok) {
      this.ctx.notify(errorText(ack.error?.code));
      return;
    }
    const time = (s) => new Date(s * 1000).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
    const items = [...ack.versions].reverse().map((v) => h('li', {},
      h('button', { type: 'button', class: 'link', onclick: () => this.openVersion(v.last, v) },
        h('span', { class: 'text-version-who' }, v.by === this.ctx.self.key ? t('text.me') : this.ctx.nameOf(v.by)),
        ' ',
        h('span', { class: 'text-version-when' }, time(v.started) === time(v.ended) ? time(v.ended) : `${time(v.started)}–${time(v.ended)}`),
        ' ',
        h('span', { class: 'text-version-count' }, t('text.changes', { count: v.last - v.first + 1 })))));
    mount(this.history,
      h('h2', {}, t('text.historyTitle')),
      items.length ? h('ol', { class: 'text-versions' }, items) : h('p', {}, t('text.noHistory')));
    this.history.hidden = false;
    this.render();
  }

  async openVersion(seq, version) {
    const ack = await this.ctx.request('text:version', { seq });
    if (!ack.ok) {
      this.ctx.notify(errorText(ack.error?.code));
      return;
    }
    const { showVersion } = await import('./editor.js');
    this.closeVersion();
    const title = version.by === this.ctx.self.key
      ? t('text.versionMine') : t('text.versionOf', { name: this.ctx.nameOf(version.by) });
    const back = h('button', { type: 'button', class: 'secondary', onclick: () => this.closeVersion() }, t('text.backToCurrent'));
    const banner = h('p', { class: 'text-version-banner' }, title, ' ', back);
    const body = h('div', {});
    mount(this.preview, banner, body);
    this.previewView = showVersion(body, ack.update, title);
    this.preview.hidden = false;
    this.host.hidden = true;
  }

  closeVersion() {
    this.previewView?.destroy();
    this.previewView = null;
    this.preview.hidden = true;
    this.host.hidden = false;
  }

  async bring() {
    const index = this.editor?.currentBlock();
    if (index === null || index === undefined) {
      this.ctx.notify(t('text.bringWhich'));
      return;
    }
    const ack = await this.ctx.request('text:copy', { index });
    this.ctx.notify(ack.ok ? t('text.brought') : errorText(ack.error?.code));
  }

  renderCount() {
    const open = this.comments ? [...this.comments.threads.values()].filter((c) => !c.resolved).length : 0;
    this.commentsToggle.textContent = t('comments.toggle', { count: open });
  }

  renderState() {
    if (!this.editor) return;
    if (Boolean(this.editor.sync.mayLock) !== Boolean(this.mediatorActions.querySelector('#text-lock'))) {
      this.render();
      return;
    }
    const sync = this.editor.sync;
    for (const button of this.toolbar.querySelectorAll('button')) button.disabled = !sync.mayEdit;
    this.commentButton.hidden = !sync.mayEdit;
    this.status.textContent = !sync.mayEdit ? t('text.readOnly') : sync.saving ? t('text.saving') : t('text.saved');
  }

  destroy() {
    this.signing.destroy();
    this.closeVersion();
    this.comments?.destroy();
    this.editor?.destroy();
    this.editor = null;
  }
}
