// The shared text's ProseMirror schema: exactly the nodes and marks the server accepts
// (sessions/shared_text.py: CHILDREN, ATTRIBUTES, MARKS). Nothing here renders raw HTML:
// every node is drawn from its type, text stays text.
import { Schema } from 'prosemirror-model';

// A top-level block a mediator locked (attribute `locked`, as the server checks it): shaded,
// and nobody else's editor changes it.
const LOCKED = { locked: { default: null } };
const lockedDOM = (node) => (node.attrs.locked ? { class: 'text-locked', 'data-locked': 'true' } : {});

export const schema = new Schema({
  nodes: {
    doc: { content: '(paragraph | heading | bullet_list | ordered_list)+' },
    paragraph: {
      attrs: LOCKED, content: 'inline*', group: 'block',
      parseDOM: [{ tag: 'p' }], toDOM: (node) => ['p', lockedDOM(node), 0],
    },
    heading: {
      attrs: { level: { default: 2 }, ...LOCKED }, content: 'inline*', group: 'block', defining: true,
      parseDOM: [1, 2, 3].map((level) => ({ tag: `h${level}`, attrs: { level } })),
      toDOM: (node) => [`h${Math.min(3, Math.max(1, Number(node.attrs.level) || 2))}`, lockedDOM(node), 0],
    },
    bullet_list: {
      attrs: LOCKED, content: 'list_item+', group: 'block',
      parseDOM: [{ tag: 'ul' }], toDOM: (node) => ['ul', lockedDOM(node), 0],
    },
    ordered_list: {
      attrs: { order: { default: 1 }, ...LOCKED }, content: 'list_item+', group: 'block',
      parseDOM: [{ tag: 'ol', getAttrs: (dom) => ({ order: Number(dom.getAttribute('start')) || 1 }) }],
      toDOM: (node) => ['ol', { ...(node.attrs.order === 1 ? {} : { start: String(node.attrs.order) }), ...lockedDOM(node) }, 0],
    },
    list_item: {
      content: 'paragraph (paragraph | bullet_list | ordered_list)*', defining: true,
      parseDOM: [{ tag: 'li' }], toDOM: () => ['li', 0],
    },
    text: { group: 'inline' },
    hard_break: {
      inline: true, group: 'inline', selectable: false,
      parseDOM: [{ tag: 'br' }], toDOM: () => ['br'],
    },
  },
  marks: {
    strong: {
      parseDOM: [{ tag: 'strong' }, { tag: 'b' }],
      toDOM: () => ['strong', 0],
    },
    em: {
      parseDOM: [{ tag: 'em' }, { tag: 'i' }],
      toDOM: () => ['em', 0],
    },
  },
});
