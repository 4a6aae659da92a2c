// The mediator's panel: lobby, people and rooms, private meetings, lock and end.
import { chime } from './beep.js';
import { h, mount } from './dom.js';
import { t } from './i18n.js';

export class MediatorPanel {
  constructor(container, { call, nameOf, roleOf, notify }) {
    this.el = container;
    this.call = call;
    this.nameOf = nameOf;
    this.roleOf = roleOf;
    this.notify = notify;
    this.waiting = [];
    this.rooms = [];
    this.locked = false;
    this.plenaryTalk = false;
    this.selected = new Set();
    this.el.hidden = false;
  }

  setWaiting(waiting) {
    const before = new Set(this.waiting.map((w) => w.participant_id));
    this.waiting = waiting;
    if (waiting.some((w) => !before.has(w.participant_id))) {
      chime();
      this.notify(t('panel.someoneWaiting'));
    }
    this.render();
  }

  setRooms(rooms) {
    this.rooms = rooms;
    this.render();
  }

  async act(event, payload, confirmKey, params) {
    if (confirmKey && !confirm(t(confirmKey, params))) return;
    const ack = await this.call(event, payload);
    if (!ack.ok) this.notify(t(`room.error.${ack.error.code}`) || ack.error.message);
    return ack;
  }

  personRow(key, roomId) {
    const name = this.nameOf(key);
    const isMediator = ['mediator', 'co_mediator'].includes(this.roleOf(key));
    const pick = h('input', { type: 'checkbox', 'aria-label': t('panel.select', { name }), checked: this.selected.has(key),
      onchange: (e) => (e.target.checked ? this.selected.add(key) : this.selected.delete(key)) });
    return h('li', { class: 'person', dataset: { key } },
      roomId === 'plenary' && !isMediator ? pick : null,
      h('span', { class: 'person-name' }, name),
      h('span', { class: 'muted' }, ` ${t(`role.${this.roleOf(key)}`)}`),
      isMediator ? null : h('span', { class: 'person-actions' },
        h('button', { type: 'button', class: 'link', onclick: () => this.act('participant:mute', { key }) }, t('panel.mute')),
        h('button', { type: 'button', class: 'link', onclick: () => this.act('participant:stop_camera', { key }) }, t('panel.stopCamera')),
        h('button', { type: 'button', class: 'link danger', onclick: () => this.act('participant:remove', { key }, 'panel.removeConfirm', { name }) }, t('panel.remove'))));
  }

  render() {
    const lobby = this.waiting.length
      ? h('ul', { class: 'waiting', id: 'waiting' }, this.waiting.map((w) =>
        h('li', { dataset: { key: w.participant_id, again: w.again ? 'true' : 'false' } },
          h('span', { class: 'person-name' }, this.nameOf(w.participant_id),
            w.again ? h('small', { class: 'again' }, t('panel.knocksAgain')) : null),
          h('button', { type: 'button', class: 'primary admit', onclick: () => this.act('lobby:admit', { key: w.participant_id }) }, t('panel.admit')),
          h('button', { type: 'button', class: 'link decline', onclick: () => this.act('lobby:decline', { key: w.participant_id }, 'panel.declineConfirm', { name: this.nameOf(w.participant_id) }) }, t('panel.decline')))))
      : h('p', { class: 'muted' }, t('panel.nobodyWaiting'));
    const rooms = this.rooms.map((room) => h('section', { class: `room-block ${room.kind}`, dataset: { room: room.room_id } },
      h('h3', {}, room.kind === 'plenary' ? t('panel.plenary') : `${t('panel.private')}${room.label ? ` — ${room.label}` : ''}`),
      h('ul', { class: 'people' }, room.members.map((key) => this.personRow(key, room.room_id))),
      room.kind === 'plenary' ? null : h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => this.act('caucus:move', { key: this.selfKey, room_id: room.room_id }) }, t('panel.goThere')),
        h('button', { type: 'button', class: 'secondary close-caucus', onclick: () => this.act('caucus:close', { room_id: room.room_id }) }, t('panel.closePrivate')))));
    const hasPrivate = this.rooms.some((r) => r.kind !== 'plenary');
    mount(this.el,
      h('h2', {}, t('panel.lobby'), this.waiting.length ? h('span', { class: 'count', id: 'waiting-count' }, String(this.waiting.length)) : null),
      lobby,
      h('h2', {}, t('panel.people')),
      rooms,
      h('div', { class: 'actions column' },
        h('button', { type: 'button', class: 'secondary', id: 'open-caucus', onclick: async () => {
          const members = [...this.selected];
          if (!members.length) return this.notify(t('panel.selectFirst'));
          const ack = await this.act('caucus:open', { members, label: members.map((k) => this.nameOf(k)).join(', ').slice(0, 60) });
          if (ack && ack.ok) this.selected.clear();
        } }, t('panel.openPrivate')),
        hasPrivate ? h('button', { type: 'button', class: 'secondary', id: 'return-all', onclick: () => this.act('caucus:return_all', {}) }, t('panel.returnAll')) : null,
        h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'plenary-talk', checked: this.plenaryTalk, onchange: async (e) => {
          this.plenaryTalk = e.target.checked;
          await this.act('room:plenary_talk', { allowed: this.plenaryTalk });
        } }), ' ', t('panel.plenaryTalk')),
        h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'lock-room', checked: this.locked, onchange: async (e) => {
          this.locked = e.target.checked;
          await this.act('room:lock', { locked: this.locked });
        } }), ' ', t('panel.lock')),
        h('button', { type: 'button', class: 'danger-button', id: 'end-session', onclick: () => this.act('session:end', {}, 'panel.endConfirm') }, t('panel.end'))));
  }
}
