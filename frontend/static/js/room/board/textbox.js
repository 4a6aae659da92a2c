// Typing a text or a sticky note: a textarea laid over the board where the person clicked
// (or over the text being edited, holding its words). Enter places it (Shift+Enter: new
// line), Escape gives up, leaving the field places it.
import { h } from '../../common/dom.js';
import { t } from '../../common/i18n.js';
import { STICKY_FONT, STICKY_WIDTH } from './shapes.js';

const LIMITS = { text: 2000, sticky: 500 };

// Returns a function that closes the box (placing its text) if it is still open.
export function openTextBox(host, { kind, screen, scale, color, size, text = '', onDone }) {
  const fontSize = (kind === 'sticky' ? STICKY_FONT : size) * scale;
  const box = h('textarea', {
    class: `board-textbox ${kind}`, id: 'board-textbox', rows: kind === 'sticky' ? 4 : 1,
    maxlength: LIMITS[kind], 'aria-label': t(kind === 'sticky' ? 'board.stickyPrompt' : 'board.textPrompt'),
    placeholder: t(kind === 'sticky' ? 'board.stickyPrompt' : 'board.textPrompt'),
  });
  box.value = text;
  const fit = () => {
    box.rows = Math.min(12, Math.max(kind === 'sticky' ? 4 : 1, box.value.split('\n').length));
  };
  fit();
  box.style.left = `${screen[0]}px`;
  box.style.top = `${screen[1]}px`;
  box.style.fontSize = `${Math.max(10, fontSize)}px`;
  if (kind === 'sticky') {
    box.style.width = `${STICKY_WIDTH * scale}px`;
    box.style.background = color;
  } else box.style.color = color;
  let closed = false;
  const close = (keep) => {
    if (closed) return;
    closed = true;
    const text = box.value.replace(/\s+$/, '');
    box.remove();
    onDone(keep && text.trim() ? text : null);
  };
  box.addEventListener('keydown', (e) => {
    e.stopPropagation(); // the board's shortcuts do not apply while typing
    if (e.key === 'Escape') close(false);
    else if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      close(true);
    }
  });
  box.addEventListener('input', fit);
  box.addEventListener('blur', () => close(true));
  host.appendChild(box);
  setTimeout(() => {
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }, 0);
  return () => close(true);
}
