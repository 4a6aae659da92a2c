// What the room says of its encryption, above the pictures: "encrypted end to end" with the
// verification code to compare aloud, and only once that code is shown; "encrypted as far as
// the server only" for everyone when one browser in the room cannot encrypt (the case
// allowed it); a notice whenever the code changes (someone joined, left or came back).
import { h, mount } from '../../common/dom.js';
import { language, t } from '../../common/i18n.js';
import { codeDigits, codeWords } from './keys.js';

const CHANGED_MS = 12000; // how long a new code stays highlighted

export class EncryptionBar {
  constructor(el, { notify, nameOf }) {
    this.el = el;
    this.notify = notify;
    this.nameOf = nameOf;
    this.status = { state: 'off' };
    this.open = false;
    this.changedAt = 0;
  }

  show(status, { codeChanged = false } = {}) {
    this.status = status;
    if (codeChanged && status.state === 'e2ee') {
      this.changedAt = Date.now();
      this.notify(t('e2ee.codeChanged'));
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.render(), CHANGED_MS);
    }
    this.render();
  }

  render() {
    const { state, code, members = [] } = this.status;
    this.el.hidden = state === 'off';
    this.el.dataset.state = state;
    if (state === 'off') return this.el.replaceChildren();
    if (state === 'keying' || (state === 'e2ee' && !code)) {
      delete this.el.dataset.code;
      return mount(this.el, h('span', { class: 'e2ee-label' }, t('e2ee.keying')));
    }
    const more = h('button', { type: 'button', class: 'link', id: 'e2ee-more', 'aria-expanded': String(this.open),
      'aria-label': t(this.open ? 'e2ee.less' : 'e2ee.more'),
      onclick: () => { this.open = !this.open; this.render(); } },
    h('span', { class: 'label-long', 'aria-hidden': 'true' }, t(this.open ? 'e2ee.less' : 'e2ee.more')),
    h('span', { class: 'label-short', 'aria-hidden': 'true' }, this.open ? '×' : '?'));
    if (state === 'transport') {
      delete this.el.dataset.code;
      const cannot = members.filter((m) => m.state === 'unsupported').map((m) => this.nameOf(m.key));
      return mount(this.el, h('strong', { class: 'e2ee-label' }, t('e2ee.transport')), more,
        this.open ? h('div', { class: 'e2ee-details', id: 'e2ee-details' },
          h('p', {}, t('e2ee.transportWhy', { names: cannot.join(', ') })), this.people(members)) : null);
    }
    this.el.dataset.code = code.hex;
    this.el.dataset.changed = Date.now() - this.changedAt < CHANGED_MS ? 'true' : 'false';
    mount(this.el,
      h('strong', { class: 'e2ee-label', id: 'e2ee-label' }, t('e2ee.on')),
      h('span', { class: 'e2ee-code' }, h('span', { class: 'visually-hidden' }, `${t('e2ee.code')} `),
        h('span', { id: 'e2ee-words', lang: language() }, codeWords(code.bytes, language()).join(' '))),
      more,
      this.open ? this.details(code, members) : null);
  }

  // What the code means, and who it covers (to tell a worried party why nobody else can listen).
  details(code, members) {
    return h('div', { class: 'e2ee-details', id: 'e2ee-details' },
      h('p', {}, t('e2ee.explain')),
      h('p', {}, t('e2ee.compare')),
      h('p', {}, `${t('e2ee.digits')} `, h('span', { class: 'digits', id: 'e2ee-digits' }, codeDigits(code.bytes))),
      this.people(members));
  }

  people(members) {
    return h('ul', {}, members.map((m) => h('li', { dataset: { key: m.key, state: m.state } },
      this.nameOf(m.key), ' — ', t(`e2ee.member.${m.state}`))));
  }
}
