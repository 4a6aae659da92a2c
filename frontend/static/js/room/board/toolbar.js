// The board's toolbar: tools, colours, widths, undo/redo, zoom, and the mediator's actions.
// Every button has an aria-label; tools and choices carry aria-pressed; shortcuts are in
// the tooltips. Rebuilt on render (language change, room change), state kept by the owner.
import { h } from '../../common/dom.js';
import { t } from '../../common/i18n.js';

export const COLORS = [
  ['ink', '#1f2937'], ['red', '#c62828'], ['blue', '#1565c0'], ['green', '#2e7d32'],
  ['orange', '#ef6c00'], ['purple', '#6a1b9a'],
];
export const STICKY_COLORS = {
  '#1f2937': '#fff59d', '#c62828': '#ffcdd2', '#1565c0': '#bbdefb', '#2e7d32': '#c8e6c9',
  '#ef6c00': '#ffe0b2', '#6a1b9a': '#e1bee7',
};
export const WIDTHS = [2, 4, 8, 16];
export const KEYS = {
  select: 'V', hand: 'H', pen: 'P', line: 'L', arrow: 'A', rect: 'R', ellipse: 'O', text: 'T', sticky: 'N', eraser: 'E',
};
const DRAWING = ['pen', 'line', 'arrow', 'rect', 'ellipse', 'text', 'sticky', 'eraser'];

const ICONS = {
  select: 'M5 3l13 8-6 1.5L9 19z',
  hand: 'M8 12V5.5a1.5 1.5 0 013 0V11m0-6.5a1.5 1.5 0 013 0V11m0-5a1.5 1.5 0 013 0v8a6 6 0 01-6 6h-1a6 6 0 01-5-2.7L4 13.5a1.5 1.5 0 012.5-1.7L8 14',
  pen: 'M4 20l4-1L19 8l-3-3L5 16zM14 7l3 3',
  line: 'M5 19L19 5',
  arrow: 'M5 19L19 5M10 5h9v9',
  rect: 'M4 6h16v12H4z',
  ellipse: 'M12 6c4.4 0 8 2.7 8 6s-3.6 6-8 6-8-2.7-8-6 3.6-6 8-6z',
  text: 'M5 6V4h14v2M12 4v16M9 20h6',
  sticky: 'M5 4h14v10l-5 6H5zM14 20v-6h5',
  eraser: 'M9 20h10M4.5 14.5l9-9a2 2 0 013 0l3 3a2 2 0 010 3L13 18H8z',
  undo: 'M9 14L4 9l5-5M4 9h10a6 6 0 010 12h-3',
  redo: 'M15 14l5-5-5-5M20 9H10a6 6 0 000 12h3',
  zoomIn: 'M11 4a7 7 0 100 14 7 7 0 000-14zM21 21l-5-5M11 8v6M8 11h6',
  zoomOut: 'M11 4a7 7 0 100 14 7 7 0 000-14zM21 21l-5-5M8 11h6',
  fit: 'M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5',
  clear: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  copy: 'M8 8h11v11H8zM5 16V5h11',
  export: 'M12 4v11M7 10l5 5 5-5M5 20h14',
};

function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'board-icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.appendChild(path);
  return svg;
}

function button(id, name, label, onclick, extra = {}) {
  return h('button', { type: 'button', id, class: 'board-btn', 'aria-label': label, title: label, onclick, ...extra }, icon(name));
}

// state: { tool, color, width, scale, readOnly, mediator, privateRoom, exportOpen, exports,
//          history: { undo, redo } }
// on: { tool, color, width, undo, redo, zoomIn, zoomOut, fit, clear, copy, toggleExport,
//       exportNow, download, show }
export function renderToolbar(state, on) {
  const tools = ['select', 'hand', ...(state.readOnly ? [] : DRAWING)].map((name) => {
    const label = `${t(`board.tool.${name}`)} (${KEYS[name]})`;
    return button(`board-tool-${name}`, name, label, () => on.tool(name),
      { 'aria-pressed': String(state.tool === name), class: `board-btn${state.tool === name ? ' active' : ''}` });
  });
  const groups = [h('div', { class: 'board-group', role: 'group', 'aria-label': t('board.tools') }, tools)];
  if (!state.readOnly) {
    groups.push(h('div', { class: 'board-group', role: 'group', 'aria-label': t('board.colors') },
      COLORS.map(([name, value]) => {
        const swatch = h('span', { class: 'board-swatch' });
        swatch.style.background = value;
        return h('button', {
          type: 'button', class: `board-btn board-color${state.color === value ? ' active' : ''}`, id: `board-color-${name}`,
          'aria-label': t(`board.color.${name}`), title: t(`board.color.${name}`), 'aria-pressed': String(state.color === value),
          onclick: () => on.color(value),
        }, swatch);
      })));
    groups.push(h('div', { class: 'board-group', role: 'group', 'aria-label': t('board.widths') },
      WIDTHS.map((width) => {
        const dot = h('span', { class: 'board-dot' });
        dot.style.width = dot.style.height = `${Math.min(18, width + 2)}px`;
        return h('button', {
          type: 'button', class: `board-btn board-width${state.width === width ? ' active' : ''}`, id: `board-width-${width}`,
          'aria-label': t('board.width', { n: width }), title: t('board.width', { n: width }), 'aria-pressed': String(state.width === width),
          onclick: () => on.width(width),
        }, dot);
      })));
    groups.push(h('div', { class: 'board-group', role: 'group', 'aria-label': t('board.history') },
      button('board-undo', 'undo', `${t('board.undo')} (Ctrl+Z)`, on.undo, { disabled: !state.history?.undo }),
      button('board-redo', 'redo', `${t('board.redo')} (${t('board.redoKeys')})`, on.redo, { disabled: !state.history?.redo })));
  }
  groups.push(h('div', { class: 'board-group', role: 'group', 'aria-label': t('board.view') },
    button('board-zoom-out', 'zoomOut', `${t('board.zoomOut')} (-)`, on.zoomOut),
    h('span', { class: 'board-zoom', id: 'board-zoom', 'aria-live': 'polite' }, `${Math.round(state.scale * 100)} %`),
    button('board-zoom-in', 'zoomIn', `${t('board.zoomIn')} (+)`, on.zoomIn),
    button('board-fit', 'fit', `${t('board.fit')} (0)`, on.fit)));
  if (state.mediator) {
    groups.push(h('div', { class: 'board-group board-mediator', role: 'group', 'aria-label': t('board.mediatorActions') },
      h('button', { type: 'button', id: 'board-show', class: 'board-show', title: t('board.showAllHint'), onclick: on.show }, t('board.showAll')),
      state.privateRoom ? button('board-copy', 'copy', t('board.copy'), on.copy) : null,
      exportMenu(state, on),
      button('board-clear', 'clear', t('board.clear'), on.clear, { class: 'board-btn danger' })));
  }
  return groups;
}

function exportMenu(state, on) {
  const toggle = button('board-export', 'export', t('board.export'), on.toggleExport,
    { 'aria-expanded': String(state.exportOpen), 'aria-haspopup': 'true' });
  if (!state.exportOpen) return h('div', { class: 'board-export' }, toggle);
  const files = state.exports?.files || [];
  return h('div', { class: 'board-export' }, toggle,
    h('div', { class: 'board-menu', id: 'board-export-menu', role: 'menu' },
      h('p', { class: 'muted' }, t('board.exportHint')),
      h('button', { type: 'button', id: 'board-export-now', role: 'menuitem', onclick: on.exportNow }, t('board.exportNow')),
      files.map((file) => h('button', {
        type: 'button', role: 'menuitem', class: 'link board-download', dataset: { format: file.format },
        onclick: () => on.download(file),
      }, t('board.download', { format: file.format.toUpperCase(), size: Math.max(1, Math.round(file.size / 1024)) })))));
}
