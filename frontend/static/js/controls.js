// The buttons of the room's control bar. Each carries its full label and a short one: on a
// phone the bar shows the short labels, four buttons to a row, so the board and the tiles
// keep the screen; the full label stays the button's accessible name and tooltip.
import { h } from './dom.js';

export function controlButton({ id, label, short, onclick, pressed = null, cls = '', extra = null }) {
  return h('button', {
    type: 'button', id, class: `control${cls ? ` ${cls}` : ''}`, onclick,
    'aria-pressed': pressed === null ? null : String(pressed),
    'aria-label': short && short !== label ? label : null,
    title: short && short !== label ? label : null,
  },
  h('span', { class: 'label-long' }, label),
  h('span', { class: 'label-short', 'aria-hidden': 'true' }, short || label),
  extra);
}
