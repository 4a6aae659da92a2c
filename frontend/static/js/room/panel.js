// The mediator's panel: lobby, people and rooms, who has not arrived yet (with their links),
// private meetings, lock and end.
import { api } from '../common/api.js';
import { chime } from './beep.js';
import { h, mount } from '../common/dom.js';
import { t } from '../common/i18n.js';

export class MediatorPanel {
  constructor(container, { call, nameOf, roleOf, notify, dismiss, sessionId }) {
    this.el = container;
    this.dismiss = dismiss;
    this.sessionId = sessionId;
    this.invited = []; // the case's participants and their links for this session
    this.calls = new Map(); // participant key -> on hold when they called the mediator
    this.call = call;
    this.nameOf = nameOf;
    this.roleOf = roleOf;
    this.notify = notify;
    this.waiting = [];
    this.rooms = [];
    this.locked = false;
    this.plenaryTalk = false;
    this.selected = new Set();
    this.encryption = {}; // participant key -> what their browser can do (e2ee:status)
    this.el.hidden = false;
    this.loadLinks();
  }

  // The participants' links, from the case's REST API (the mediator's own session cookie).
  async loadLinks() {
    try {
      const { links } = await api('GET', `/api/sessions/${encodeURIComponent(this.sessionId)}/links`);
      this.invited = links;
    } catch {
      this.invited = []; // not this mediator's case (or offline): the section stays empty
    }
    this.render();
  }

  async issueLink(link) {
    try {
      await api('POST', `/api/sessions/${encodeURIComponent(this.sessionId)}/links/${encodeURIComponent(link.participant_id)}`);
    } catch {
      this.notify(t('room.error.generic'));
    }
    await this.loadLinks();
  }

  async copyLink(link, input) {
    try {
      await navigator.clipboard.writeText(link.url);
    } catch {
      input.hidden = false; // the browser refused the clipboard: the link is shown to copy by hand
      input.select();
      if (!document.execCommand('copy')) return;
    }
    this.notify(t('panel.linkCopied', { name: link.participant_name }));
  }

  // Invited people who are neither in a room nor in the lobby.
  notArrived() {
    const present = new Set([...this.rooms.flatMap((r) => r.members), ...this.waiting.map((w) => w.participant_id)]);
    const missing = this.invited.filter((link) => !present.has(link.key));
    if (!missing.length) return h('p', { class: 'muted', id: 'not-arrived' }, t('panel.everyoneArrived'));
    return h('ul', { class: 'people', id: 'not-arrived' }, missing.map((link) => {
      const input = h('input', { class: 'link-url', readonly: true, hidden: true, value: link.url || '',
        'aria-label': t('panel.linkOf', { name: link.participant_name }) });
      const action = link.status === 'active'
        ? h('button', { type: 'button', class: 'link copy-link', 'aria-label': t('panel.copyLinkOf', { name: link.participant_name }),
          onclick: () => this.copyLink(link, input) }, t('links.copy'))
        : h('button', { type: 'button', class: 'link issue-link', 'aria-label': t('panel.issueLinkOf', { name: link.participant_name }),
          onclick: () => this.issueLink(link) }, t(link.status === 'none' ? 'links.issue' : 'links.reissue'));
      return h('li', { class: 'person', dataset: { key: link.key } },
        h('span', { class: 'person-name' }, link.participant_name),
        h('span', { class: 'muted' }, ` ${t(`role.${link.role}`)}`),
        link.status === 'active' ? null : h('span', { class: 'muted' }, ` — ${t(`panel.link.${link.status}`)}`),
        h('span', { class: 'person-actions' }, action), input);
    }));
  }

  setWaiting(waiting) {
    const before = new Set(this.waiting.map((w) => w.participant_id));
    this.waiting = waiting;
    if (waiting.some((w) => !before.has(w.participant_id))) {
      chime();
      this.notify(t('panel.someoneWaiting'));
    } else if (!waiting.length && this.dismiss) this.dismiss(t('panel.someoneWaiting')); // nobody waits now
    this.render();
  }

  // Someone asks for a mediator (only mediators get this): a chime, a toast, and a line at
  // the top of the panel until a mediator marks it seen.
  called(key, onHold) {
    this.calls.set(key, onHold);
    chime();
    this.notify(t('panel.called', { name: this.nameOf(key) }));
    this.render();
  }

  callsBlock() {
    if (!this.calls.size) return null;
    return h('ul', { class: 'waiting calls', id: 'calls' }, [...this.calls].map(([key, onHold]) => {
      const name = this.nameOf(key);
      return h('li', { dataset: { key } },
        h('span', { class: 'person-name' }, t('panel.callsYou', { name }),
          onHold ? h('small', { class: 'again' }, t('panel.calledOnHold')) : null),
        h('button', { type: 'button', class: 'link seen', 'aria-label': t('panel.callSeenOf', { name }),
          onclick: () => { this.calls.delete(key); this.render(); } }, t('panel.callSeen')));
    }));
  }

  setRooms(rooms, locked) {
    this.rooms = rooms;
    this.locked = Boolean(locked);
    this.render();
  }

  async act(event, payload, confirmKey, params) {
    if (confirmKey && !confirm(t(confirmKey, params))) return;
    const ack = await this.call(event, payload);
    if (!ack.ok) this.notify(t(`room.error.${ack.error.code}`) || ack.error.message);
    return ack;
  }

  setEncryption(states) {
    this.encryption = states;
    this.render();
  }

  // Whether this person's sound and picture are encrypted end to end (what the mediator can
  // tell a worried party): their browser can, cannot (the case allowed it), or has not said.
  encryptionOf(key) {
    const state = this.encryption[key];
    if (!state) return null;
    return h('span', { class: `e2ee-state ${state}`, dataset: { e2ee: state } }, t(`panel.e2ee.${state}`));
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
      this.encryptionOf(key),
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
      this.callsBlock(),
      h('h2', {}, t('panel.lobby'), this.waiting.length ? h('span', { class: 'count', id: 'waiting-count' }, String(this.waiting.length)) : null),
      lobby,
      h('h2', {}, t('panel.people')),
      rooms,
      h('h2', {}, t('panel.notArrived')),
      this.notArrived(),
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
