// The buttons of the room's control bar. Each carries its full label and a short one: on a
// phone the bar shows the short labels, four buttons to a row, so the board and the tiles
// keep the screen. The full label stays in the page, only visually hidden, so it is always
// the button's accessible name (and its tooltip when the short one differs); the short one
// is what the eye reads and is hidden from assistive technology.
import { h } from '../common/dom.js';

export function controlButton({ id, label, short, onclick, pressed = null, cls = '', extra = null }) {
  return h('button', {
    type: 'button', id, class: `control${cls ? ` ${cls}` : ''}`, onclick,
    'aria-pressed': pressed === null ? null : String(pressed),
    title: short && short !== label ? label : null,
  },
  h('span', { class: 'label-long' }, label),
  h('span', { class: 'label-short', 'aria-hidden': 'true' }, short || label),
  extra);
}

// A count shown on a control (unread messages): the number for the eye, a sentence for
// screen readers, both part of the button's name.
export function controlBadge(count, spoken) {
  return h('span', { class: 'unread' },
    h('span', { 'aria-hidden': 'true' }, String(count)),
    h('span', { class: 'visually-hidden' }, ` ${spoken}`));
}
