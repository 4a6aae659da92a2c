// The shared text's editor: ProseMirror bound to the room's Yjs document by y-prosemirror,
// with its own undo (my changes only) and a small toolbar. Loaded only once the text is
// first opened (panel.js), so that the room never waits for these packages.
import { EditorState, Plugin } from 'prosemirror-state';
import { EditorView } from 'prosemirror-view';
import { baseKeymap, setBlockType, toggleMark } from 'prosemirror-commands';
import { keymap } from 'prosemirror-keymap';
import { liftListItem, sinkListItem, splitListItem, wrapInList } from 'prosemirror-schema-list';
import { initProseMirrorDoc, redo, undo, ySyncPlugin, ySyncPluginKey, yUndoPlugin } from 'y-prosemirror';
import * as Y from 'yjs';
import { fromBase64 } from 'lib0/buffer';
import { schema } from './schema.js';
import { TextSync } from './sync.js';

export const FRAGMENT = 'prosemirror'; // the shared type the server checks (y-prosemirror's default)

// What the toolbar offers: [key of its label, what it shows, command].
export const ACTIONS = [
  ['text.bold', 'B', toggleMark(schema.marks.strong)],
  ['text.italic', 'I', toggleMark(schema.marks.em)],
  ['text.paragraph', '¶', setBlockType(schema.nodes.paragraph)],
  ['text.heading', 'H', setBlockType(schema.nodes.heading, { level: 2 })],
  ['text.bulletList', '•', wrapInList(schema.nodes.bullet_list)],
  ['text.orderedList', '1.', wrapInList(schema.nodes.ordered_list)],
  ['text.undo', '↶', undo],
  ['text.redo', '↷', redo],
];

// The paragraph (top-level block) at the caret locked, or unlocked (mediators).
export function toggleLock(state, dispatch) {
  const { $from } = state.selection;
  if ($from.depth < 1) return false;
  const pos = $from.before(1);
  const node = state.doc.nodeAt(pos);
  if (!node || !('locked' in node.attrs)) return false;
  if (dispatch) dispatch(state.tr.setNodeMarkup(pos, null, { ...node.attrs, locked: node.attrs.locked ? null : true }));
  return true;
}

// Whoever may not change locked paragraphs: their own edits that would are not made (the
// server refuses them anyway); what comes from the others always is.
function keepLocked(mayLock) {
  return new Plugin({
    filterTransaction(tr, state) {
      if (mayLock() || !tr.docChanged || tr.getMeta(ySyncPluginKey)?.isChangeOrigin) return true;
      let kept = true;
      state.doc.forEach((node, offset) => {
        if (!kept || (!node.attrs.locked && !tr.doc.nodeAt(tr.mapping.map(offset))?.attrs.locked)) return;
        const from = tr.mapping.mapResult(offset, 1);
        const after = from.deleted ? null : tr.doc.nodeAt(from.pos);
        if (!after || !after.eq(node)) kept = false;
      });
      return kept;
    },
  });
}

function keys() {
  return keymap({
    'Mod-z': undo,
    'Mod-y': redo,
    'Mod-Shift-z': redo,
    'Mod-b': toggleMark(schema.marks.strong),
    'Mod-i': toggleMark(schema.marks.em),
    Enter: splitListItem(schema.nodes.list_item),
    Tab: sinkListItem(schema.nodes.list_item),
    'Shift-Tab': liftListItem(schema.nodes.list_item),
    'Shift-Enter': (state, dispatch) => {
      if (dispatch) dispatch(state.tr.replaceSelectionWith(schema.nodes.hard_break.create()).scrollIntoView());
      return true;
    },
  });
}

// A past version of the text (the whole text as one update, base64), shown read-only in host.
export function showVersion(host, update, label) {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, fromBase64(update));
  const { doc: pmDoc } = initProseMirrorDoc(doc.getXmlFragment(FRAGMENT), schema);
  doc.destroy();
  return new EditorView(host, {
    state: EditorState.create({ schema, doc: pmDoc }),
    editable: () => false,
    attributes: { 'aria-label': label, class: 'text-version-view' },
  });
}

export class TextEditor {
  // host: where the editor goes; label: its accessible name; onState(): may_edit or saving.
  // plugins(): more of the editor's plugins (the comments' highlights).
  constructor(host, ctx, { label, onState, onError, plugins = () => [] }) {
    this.host = host;
    this.label = label;
    this.plugins = plugins;
    this.view = null;
    this.sync = new TextSync(ctx, {
      onDoc: (doc) => this.bind(doc),
      onState: () => {
        this.view?.setProps({ editable: () => this.sync.mayEdit });
        onState();
      },
      onError,
    });
  }

  enter(roomId) {
    return this.sync.enter(roomId);
  }

  bind(doc) {
    this.view?.destroy();
    const state = EditorState.create({
      schema,
      plugins: [
        ySyncPlugin(doc.getXmlFragment(FRAGMENT)), yUndoPlugin(), keepLocked(() => this.sync.mayLock),
        keys(), keymap(baseKeymap), ...this.plugins(),
      ],
    });
    this.view = new EditorView(this.host, {
      state,
      editable: () => this.sync.mayEdit,
      attributes: { 'aria-label': this.label(), 'aria-multiline': 'true', role: 'textbox', class: 'text-editor' },
    });
  }

  // The top-level block (paragraph, heading, list) the caret is in, or null.
  currentBlock() {
    if (!this.view) return null;
    const { $from } = this.view.state.selection;
    return $from.depth > 0 || this.view.state.doc.childCount ? $from.index(0) : null;
  }

  get locked() {
    if (!this.view) return false;
    const { $from } = this.view.state.selection;
    return $from.depth >= 1 && Boolean(this.view.state.doc.nodeAt($from.before(1))?.attrs.locked);
  }

  run(command) {
    if (!this.view || !this.sync.mayEdit) return;
    command(this.view.state, this.view.dispatch, this.view);
    this.view.focus();
  }

  destroy() {
    this.view?.destroy();
    this.view = null;
    this.sync.destroy();
  }
}
