// The shared whiteboard of the room I am in: a toolbar above a canvas. The pieces live in
// board/: model (the mirror of the server's log), sync (socket traffic), canvas (view and
// drawing), tools (pointers), toolbar, textbox and export; this module assembles them.
import { h, mount } from '../../common/dom.js';
import { onLanguageChange, t } from '../../common/i18n.js';
import { BoardCanvas } from './canvas.js';
import { downloadExport, exportBoard } from './export.js';
import { coord } from './shapes.js';
import { BoardSync } from './sync.js';
import { openTextBox } from './textbox.js';
import { COLORS, KEYS, renderToolbar, STICKY_COLORS, WIDTHS } from './toolbar.js';
import { randomId, ToolHandler } from './tools.js';

const FONT_SIZES = { 2: 18, 4: 24, 8: 36, 16: 56 };

// The state the last exposed board mirrors ({ ...model.state(), tool, scale }), for diagnostics
// and browser tests, which import this module (a live binding): nothing is put on window.
export let mirrored = null;

function errorText(code) {
  const key = `board.error.${code}`;
  const text = t(key);
  return text === key ? t('board.error.generic') : text;
}

export class Whiteboard {
  constructor(container, ctx) {
    this.el = container;
    this.ctx = ctx;
    this.room = null; // { room_id, kind }
    this.tool = this.readOnly() ? 'hand' : 'pen';
    this.color = COLORS[0][1];
    this.width = WIDTHS[1];
    this.selectedId = null;
    this.exportOpen = false;
    this.exports = null;
    this.visible = false;
    this.sync = new BoardSync(ctx, {
      onChange: () => this.changed(),
      onError: (code) => ctx.notify(errorText(code)),
    });
    this.build();
    this.onKey = (e) => this.key(e);
    this.onKeyUp = (e) => {
      if (e.key === ' ') this.tools.space = false;
    };
    document.addEventListener('keydown', this.onKey);
    document.addEventListener('keyup', this.onKeyUp);
    onLanguageChange(() => this.renderToolbar());
    this.expose();
  }

  get model() {
    return this.sync.model;
  }

  readOnly() {
    return this.ctx.self.role === 'observer';
  }

  build() {
    this.toolbar = h('div', { class: 'board-toolbar', id: 'board-toolbar', role: 'toolbar', 'aria-label': t('board.toolbar') });
    this.canvasEl = h('canvas', { id: 'board-canvas', class: 'board-canvas', tabindex: '0', 'aria-label': t('board.canvas'), role: 'img' });
    this.stage = h('div', { class: 'board-stage' }, this.canvasEl);
    this.root = h('section', { class: 'board', id: 'board-root' }, this.toolbar, this.stage);
    mount(this.el, this.root);
    this.canvas = new BoardCanvas(this.canvasEl, {
      // the text being edited is shown by its text box only
      objects: () => this.tools.transform(this.model.visible()).filter((o) => o.id !== this.editingId),
      overlay: (g, scale) => this.tools.overlay(g, scale),
      selected: () => this.selectedId,
      onView: () => {
        this.renderZoom();
        this.expose();
      },
    });
    this.tools = new ToolHandler(this.canvasEl, {
      canvas: this.canvas,
      tool: () => this.tool,
      style: () => ({ color: this.color, width: this.width }),
      visible: () => this.model.visible(),
      mayEdit: (obj) => obj.author === this.ctx.self.key || this.ctx.isMediator(),
      send: (op) => this.send(op),
      select: (id) => {
        this.selectedId = id;
        this.showColorOf(id);
      },
      editText: (kind, p, existing) => this.editText(kind, p, existing),
      readOnly: () => this.readOnly(),
    });
    this.renderToolbar();
  }

  // -- the workspace's interface ------------------------------------------------------------

  async roomChanged(view) {
    if (this.room?.room_id === view.room_id) return;
    this.room = { room_id: view.room_id, kind: view.kind };
    this.selectedId = null;
    this.exports = null;
    this.exportOpen = false;
    this.tools.cancel();
    if (this.closeText) this.closeText();
    this.renderToolbar();
    await this.sync.enter(view.room_id);
  }

  shown(visible) {
    this.visible = visible;
    if (visible) this.canvas.resize();
    else if (this.closeText) this.closeText();
  }

  destroy() {
    this.destroyed = true;
    document.removeEventListener('keydown', this.onKey);
    document.removeEventListener('keyup', this.onKeyUp);
    this.sync.destroy();
    this.tools.destroy();
    this.canvas.destroy();
    mount(this.el);
  }

  // -- actions ------------------------------------------------------------------------------

  send(op) {
    if (this.readOnly()) return null;
    return this.sync.send(op);
  }

  // Undo or redo, when there is a step to take (the buttons are greyed out otherwise).
  step(kind) {
    if (this.model.history[kind] > 0) this.send({ type: kind });
  }

  // The toolbar shows the selected drawing's colour (a note's pastel as its pen colour),
  // so that picking another one visibly repaints it.
  showColorOf(id) {
    const obj = id ? this.model.get(id) : null;
    if (!obj) return;
    const color = obj.shape.color.toLowerCase();
    const pen = obj.shape.type === 'sticky'
      ? Object.keys(STICKY_COLORS).find((c) => STICKY_COLORS[c].toLowerCase() === color)
      : COLORS.map(([, c]) => c).find((c) => c.toLowerCase() === color);
    if (pen && pen !== this.color) {
      this.color = pen;
      this.renderToolbar();
    }
  }

  // A colour picked while a drawing of mine (or, for a mediator, anyone's) is selected
  // paints it: a sticky note takes the matching pastel, like a new one would.
  recolorSelected() {
    if (this.tool !== 'select' || !this.selectedId) return;
    const obj = this.model.get(this.selectedId);
    if (!obj || !(obj.author === this.ctx.self.key || this.ctx.isMediator())) return;
    const color = obj.shape.type === 'sticky' ? STICKY_COLORS[this.color] : this.color;
    if (color && color.toLowerCase() !== obj.shape.color.toLowerCase()) {
      this.send({ type: 'recolor', target: obj.id, color });
    }
  }

  changed() {
    if (this.selectedId && !this.model.get(this.selectedId)) this.selectedId = null;
    for (const kind of ['undo', 'redo']) {
      const btn = this.toolbar?.querySelector(`#board-${kind}`);
      if (btn) btn.disabled = !this.model.history[kind];
    }
    this.canvas.invalidate();
    this.expose();
  }

  setTool(name) {
    this.tool = name;
    if (name !== 'select') this.selectedId = null;
    this.canvasEl.dataset.tool = name;
    this.renderToolbar();
    this.canvas.invalidate();
  }

  // A new text or sticky note at p, or new words for an existing one.
  editText(kind, p, existing = null) {
    if (this.closeText) this.closeText();
    const shape = existing ? existing.shape : null;
    const color = shape ? shape.color : kind === 'sticky' ? STICKY_COLORS[this.color] : this.color;
    const size = shape ? shape.size : FONT_SIZES[this.width] || 24;
    const at = shape ? [shape.x + existing.dx, shape.y + existing.dy] : p;
    this.editingId = existing ? existing.id : null;
    this.canvas.invalidate();
    this.closeText = openTextBox(this.stage, {
      kind, color, size, screen: this.canvas.toScreen(at), scale: this.canvas.scale, text: shape ? shape.text : '',
      onDone: (text) => {
        this.closeText = null;
        this.editingId = null;
        this.canvas.invalidate();
        if (!text) return;
        if (existing) {
          if (text !== shape.text) this.send({ type: 'edit_text', target: existing.id, text });
          return;
        }
        const [x, y] = [coord(p[0]), coord(p[1])];
        const id = randomId();
        if (kind === 'sticky') this.send({ type: 'sticky', id, x, y, text, color });
        else this.send({ type: 'text', id, x, y, text, color, size });
      },
    });
  }

  eraseSelected() {
    const obj = this.selectedId && this.model.get(this.selectedId);
    if (!obj || obj.pending || !(obj.author === this.ctx.self.key || this.ctx.isMediator())) return;
    this.selectedId = null;
    this.send({ type: 'erase', targets: [obj.id] });
  }

  clear() {
    if (!confirm(t('board.clearConfirm'))) return;
    this.send({ type: 'clear' });
  }

  async copy() {
    const ack = await this.sync.copyToPlenary();
    if (ack.ok) this.ctx.notify(t('board.copied'));
  }

  async exportNow() {
    const result = await exportBoard(this.ctx, this.room?.room_id);
    if (!result.ok) {
      this.ctx.notify(t('board.exportFailed', { code: result.code }));
      return;
    }
    this.exports = result;
    this.exportOpen = true;
    this.ctx.notify(t('board.exported'));
    this.renderToolbar();
  }

  async download(file) {
    const result = await downloadExport(this.ctx, file);
    if (!result.ok) this.ctx.notify(t('board.exportFailed', { code: result.code }));
  }

  key(e) {
    if (!this.visible || this.destroyed) return;
    const target = e.target;
    if (target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
    const k = e.key.toLowerCase();
    const mod = e.ctrlKey || e.metaKey;
    if (mod && k === 'z' && !e.shiftKey) this.step('undo');
    else if (mod && (k === 'y' || (k === 'z' && e.shiftKey))) this.step('redo');
    else if (mod || e.altKey) return;
    else if (e.key === ' ') {
      if (target instanceof HTMLButtonElement) return;
      this.tools.space = true;
    } else if (e.key === 'Delete' || e.key === 'Backspace') this.eraseSelected();
    else if (e.key === '+' || e.key === '=') this.canvas.zoomAt(1.25);
    else if (e.key === '-') this.canvas.zoomAt(0.8);
    else if (e.key === '0') this.canvas.fit();
    else if (e.key === 'Escape') {
      this.selectedId = null;
      this.tools.cancel();
    } else {
      const tool = Object.keys(KEYS).find((name) => KEYS[name].toLowerCase() === k);
      if (!tool || (this.readOnly() && !['select', 'hand'].includes(tool))) return;
      this.setTool(tool);
    }
    e.preventDefault();
  }

  // Everyone in the room sees the board open, as with a presented document.
  async showToAll() {
    const ack = await this.ctx.request('wb:show', {});
    this.ctx.notify(t(ack.ok ? 'board.shownToAll' : 'board.failed'));
  }

  // -- DOM ------------------------------------------------------------------------------------

  renderToolbar() {
    if (this.destroyed) return;
    const state = {
      tool: this.tool, color: this.color, width: this.width, scale: this.canvas.scale,
      readOnly: this.readOnly(), mediator: this.ctx.isMediator(), privateRoom: this.room?.kind === 'private',
      exportOpen: this.exportOpen, exports: this.exports, history: this.model.history,
    };
    mount(this.toolbar, renderToolbar(state, {
      tool: (name) => this.setTool(name),
      color: (value) => {
        this.color = value;
        this.recolorSelected();
        this.renderToolbar();
      },
      width: (value) => {
        this.width = value;
        this.renderToolbar();
      },
      undo: () => this.step('undo'),
      redo: () => this.step('redo'),
      zoomIn: () => this.canvas.zoomAt(1.25),
      zoomOut: () => this.canvas.zoomAt(0.8),
      fit: () => this.canvas.fit(),
      clear: () => this.clear(),
      copy: () => this.copy(),
      toggleExport: () => {
        this.exportOpen = !this.exportOpen;
        this.renderToolbar();
      },
      exportNow: () => this.exportNow(),
      download: (file) => this.download(file),
      show: () => this.showToAll(),
    }));
    this.canvasEl.dataset.tool = this.tool;
    this.canvasEl.setAttribute('aria-label', t('board.canvas'));
    this.canvasEl.title = t('board.canvasHelp');
    this.toolbar.setAttribute('aria-label', t('board.toolbar'));
  }

  renderZoom() {
    const zoom = this.toolbar.querySelector('#board-zoom');
    if (zoom) zoom.textContent = `${Math.round(this.canvas.scale * 100)} %`;
  }

  // The server's state as this screen mirrors it, read by importing this module (diagnostics).
  expose() {
    mirrored = { ...this.model.state(), tool: this.tool, scale: this.canvas?.scale };
  }
}
