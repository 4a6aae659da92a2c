// The grid of video tiles: one per member, plus one per screen share.
import { h } from '../common/dom.js';
import { onLanguageChange, t } from '../common/i18n.js';

export class TileGrid {
  constructor(container) {
    this.container = container;
    this.tiles = new Map(); // tile id -> { el, video, label, badges, caption }
    onLanguageChange(() => {
      for (const tile of this.tiles.values()) this.caption(tile);
    });
  }

  // "Alice (vous)", "Écran de Bruno": in the language of the moment.
  caption(tile) {
    const { name, self, screen } = tile.caption;
    tile.label.textContent = screen ? t('room.screenOf', { name }) : self ? t('room.you', { name }) : name;
    tile.label.title = tile.label.textContent; // read whole when a small tile cuts it
  }

  ensure(id, { name, self = false, screen = false }) {
    let tile = this.tiles.get(id);
    if (!tile) {
      const video = h('video', { autoplay: true, playsinline: true, muted: self });
      video.muted = self;
      const label = h('span', { class: 'tile-name' });
      const badges = h('span', { class: 'tile-badges' });
      const el = h('figure', { class: `tile${self ? ' self' : ''}${screen ? ' screen' : ''}`, dataset: { tile: id } },
        video, h('figcaption', {}, label, badges));
      this.container.appendChild(el);
      tile = { el, video, label, badges, stream: null };
      this.tiles.set(id, tile);
    }
    // a tile's kind never changes: a later update with the name only keeps "(vous)"
    tile.caption = { name, self: self || Boolean(tile.caption?.self), screen: screen || Boolean(tile.caption?.screen) };
    this.caption(tile);
    this.layout();
    return tile;
  }

  attach(id, track) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    if (!tile.stream) {
      tile.stream = new MediaStream();
      tile.video.srcObject = tile.stream;
    }
    for (const old of tile.stream.getTracks()) if (old.kind === track.kind) tile.stream.removeTrack(old);
    tile.stream.addTrack(track);
    tile.video.play().catch(() => {});
  }

  setState(id, { audio, video, reconnecting = false }) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    tile.el.classList.toggle('camera-off', !video);
    tile.el.classList.toggle('reconnecting', reconnecting);
    tile.badges.replaceChildren(
      ...(audio ? [] : [h('span', { class: 'badge muted-mic', title: t('room.micOff') }, t('room.micOffShort'))]),
      ...(reconnecting ? [h('span', { class: 'badge' }, t('room.reconnecting'))] : []),
    );
  }

  remove(id) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    tile.video.srcObject = null;
    tile.el.remove();
    this.tiles.delete(id);
    this.layout();
  }

  ids() {
    return [...this.tiles.keys()];
  }

  layout() {
    this.container.dataset.count = String(this.tiles.size);
  }
}
