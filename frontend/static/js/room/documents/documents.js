// Shared documents of the room: list, upload, viewer, "follow me" and the download rule.
// The bytes go over HTTP (/api/sessions/<id>/documents); the rest is the live session's,
// over Socket.IO: doc:list, doc:withdraw, doc:reshare, doc:download, doc:present, doc:stop, doc:follow,
// and the events doc:shared, doc:withdrawn, doc:updated, doc:page, doc:stopped, room:entered.
import { sessionHeaders } from '../../common/api.js';
import { DocViewer } from './docview.js';
import { h, mount } from '../../common/dom.js';
import { onLanguageChange, t } from '../../common/i18n.js';

const ACCEPT = '.pdf,.png,.jpg,.jpeg,.txt,.md,.csv,application/pdf,image/png,image/jpeg,text/plain';
const EVENTS = ['doc:shared', 'doc:withdrawn', 'doc:updated', 'doc:page', 'doc:stopped', 'room:entered'];

// What an upload lost on the way in (the server's `metadata_removed`), in words.
const METADATA = ['location', 'exif', 'xmp', 'iptc', 'comment', 'text', 'document_info', 'trailing_data', 'other'];

function metadataText({ name, removed }) {
  const others = METADATA.filter((label) => label !== 'location' && removed.includes(label));
  const what = others.map((label) => t(`docs.metadata.${label}`)).join(', ');
  if (removed.includes('location')) {
    return t(others.length ? 'docs.metadataRemovedLocation' : 'docs.metadataRemovedLocationOnly', { name, what });
  }
  return t('docs.metadataRemoved', { name, what });
}

function errorText(code) {
  const key = `docs.error.${code}`;
  const text = t(key);
  return text === key ? t('docs.error.generic') : text;
}

function filenameOf(response, fallback) {
  const header = response.headers.get('Content-Disposition') || '';
  const match = header.match(/filename\*=UTF-8''([^;]+)/i);
  if (!match) return fallback;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return fallback;
  }
}

export class DocumentsPanel {
  constructor(container, ctx) {
    this.el = container;
    this.ctx = ctx;
    this.room = null; // { room_id, kind, on_hold }
    this.docs = new Map(); // doc_id -> wire document
    this.presentation = null; // this room's presentation, or null
    this.following = true;
    this.blobs = new Map(); // doc_id -> { blob, mime }
    this.opening = null; // the latest doc:page to show, while a document loads
    this.uploading = null; // { name, percent }
    this.uploadRequest = null; // the XMLHttpRequest sending it
    this.handlers = EVENTS.map((event) => {
      const fn = (payload) => this.on(event, payload);
      ctx.socket.on(event, fn);
      return [event, fn];
    });
    this.build();
    onLanguageChange(() => {
      if (!this.destroyed) this.render();
    });
  }

  // -- state from the server -------------------------------------------------------------

  async roomChanged(view) {
    const moved = this.room?.room_id !== view.room_id;
    this.room = { room_id: view.room_id, kind: view.kind, on_hold: Boolean(view.on_hold) };
    if (moved && this.uploadRequest) {
      // a file chosen for one room is never shared in another: stop sending it
      this.uploadRequest.abort();
      this.ctx.notify(t('docs.uploadStopped'));
    }
    if (moved) {
      this.following = true; // the server resets it too when someone changes room
      this.presentation = null;
    }
    const ack = await this.ctx.request('doc:list', {});
    if (this.destroyed || this.room.room_id !== view.room_id) return; // moved again meanwhile
    if (!ack.ok) {
      this.render();
      return;
    }
    this.replace(ack.documents || [], ack.presentation || null);
  }

  replace(documents, presentation) {
    this.docs = new Map(documents.map((d) => [d.doc_id, d]));
    for (const id of [...this.blobs.keys()]) if (!this.docs.has(id)) this.blobs.delete(id);
    if (this.viewer.doc && !this.docs.has(this.viewer.doc.doc_id)) this.closeViewer();
    this.presentation = presentation && presentation.room_id === this.room?.room_id ? presentation : null;
    this.render();
    if (this.presentation && this.following && !this.presenting()) {
      if (this.ctx.reveal) this.ctx.reveal('documents');
      this.showPresented(this.presentation);
    }
  }

  on(event, payload) {
    if (!payload) return;
    if (event === 'doc:shared' || event === 'doc:updated') {
      this.docs.set(payload.doc_id, payload);
      this.render();
    } else if (event === 'doc:withdrawn') {
      const doc = this.docs.get(payload.doc_id);
      this.docs.delete(payload.doc_id);
      this.blobs.delete(payload.doc_id);
      if (this.presentation?.doc_id === payload.doc_id) this.presentation = null;
      if (this.viewer.doc?.doc_id === payload.doc_id) {
        this.closeViewer();
        if (doc) this.ctx.notify(t('docs.withdrawn', { name: doc.title }));
      }
      this.render();
    } else if (event === 'doc:page') {
      if (payload.room_id !== this.room?.room_id) return;
      if (this.presentation && this.presentation.version > payload.version) return;
      this.presentation = payload;
      this.render();
      if (this.following && !this.presenting()) {
        if (this.ctx.reveal) this.ctx.reveal('documents');
        this.showPresented(payload);
      }
    } else if (event === 'doc:stopped') {
      if (payload.room_id !== this.room?.room_id) return;
      this.presentation = null;
      this.render();
    } else if (event === 'room:entered') {
      if (this.room?.room_id !== payload.room_id) {
        this.room = { room_id: payload.room_id, kind: payload.kind, on_hold: false };
        this.following = true;
      }
      this.replace(payload.documents || [], payload.presentation || null);
    }
  }

  presenting() {
    return Boolean(this.presentation && this.presentation.presenter === this.ctx.self.key);
  }

  // -- HTTP: bytes in and out --------------------------------------------------------------

  url(docId, what) {
    const base = `/api/sessions/${encodeURIComponent(this.ctx.sessionId)}/documents`;
    return docId ? `${base}/${encodeURIComponent(docId)}/${what}` : base;
  }

  async upload(file) {
    if (!file || this.uploading) return;
    const visibility = this.visibility.value || 'room';
    const headers = await sessionHeaders(this.ctx.credentials, { write: true });
    this.uploading = { name: file.name, percent: 0 };
    this.cleaned = null; // { name, removed }: the metadata taken out of the last upload
    this.render();
    const roomId = this.room?.room_id || '';
    const result = await new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      this.uploadRequest = xhr;
      const query = `visibility=${encodeURIComponent(visibility)}&room_id=${encodeURIComponent(roomId)}`;
      xhr.open('POST', `${this.url()}?${query}`);
      xhr.withCredentials = true;
      xhr.responseType = 'json';
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.setRequestHeader('X-Filename', encodeURIComponent(file.name));
      xhr.upload.onprogress = (e) => {
        if (!e.lengthComputable || !this.uploading) return;
        this.uploading.percent = Math.round((100 * e.loaded) / e.total);
        this.progress.value = this.uploading.percent;
      };
      xhr.onload = () => resolve({ status: xhr.status, body: xhr.response });
      xhr.onerror = () => resolve({ status: 0, body: null });
      xhr.onabort = () => resolve({ status: -1, body: null });
      xhr.send(file);
    });
    this.uploadRequest = null;
    this.uploading = null;
    if (result.status === -1) {
      this.render(); // stopped because the room changed; the person was told
      return;
    }
    if (result.status === 201 && result.body) {
      this.docs.set(result.body.doc_id, result.body);
      this.ctx.notify(t('docs.uploaded', { name: result.body.title }));
      const removed = (result.body.metadata_removed || []).filter((label) => METADATA.includes(label));
      if (removed.length) this.cleaned = { name: result.body.title, removed };
    } else {
      this.ctx.notify(errorText(result.body?.error?.code || 'network'));
    }
    this.render();
  }

  async fetchDoc(docId) {
    const cached = this.blobs.get(docId);
    if (cached) return cached;
    const response = await fetch(this.url(docId, 'content'), { headers: await sessionHeaders(this.ctx.credentials), credentials: 'same-origin' });
    if (!response.ok) throw new Error(String(response.status));
    const entry = { blob: await response.blob(), mime: response.headers.get('Content-Type') || '' };
    if (this.docs.has(docId)) this.blobs.set(docId, entry);
    return entry;
  }

  async download(doc) {
    const response = await fetch(this.url(doc.doc_id, 'download'), { headers: await sessionHeaders(this.ctx.credentials), credentials: 'same-origin' });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      this.ctx.notify(errorText(body?.error?.code || 'generic'));
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = h('a', { href: url, download: filenameOf(response, doc.title), hidden: true });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // -- viewer --------------------------------------------------------------------------------

  async openDoc(docId, page = 1, zoom = 1) {
    const doc = this.docs.get(docId);
    if (!doc) return false;
    this.viewerBox.hidden = false;
    this.viewerTitle.textContent = doc.title;
    let entry;
    try {
      entry = await this.fetchDoc(docId);
    } catch {
      if (this.viewer.doc) this.viewerTitle.textContent = this.viewer.doc.title;
      else this.closeViewer();
      this.ctx.notify(t('docs.error.view'));
      return false;
    }
    if (!this.docs.has(docId)) return false;
    await this.viewer.open({ doc_id: docId, title: doc.title, blob: entry.blob, mime: entry.mime }, page, zoom);
    this.render();
    return true;
  }

  async openByPerson(docId) {
    if (this.presentation?.doc_id === docId && this.following && !this.presenting()) {
      await this.showPresented(this.presentation);
      return;
    }
    if (this.presentation && this.following && !this.presenting()) await this.setFollowing(false);
    const opened = await this.openDoc(docId);
    if (opened && this.presenting()) await this.present();
  }

  // Shows what the presenter shows; the newest doc:page wins while a document loads.
  async showPresented(shown) {
    this.opening = shown;
    if (this.viewer.doc?.doc_id !== shown.doc_id) {
      if (this.loadingDoc === shown.doc_id) return;
      this.loadingDoc = shown.doc_id;
      try {
        if (await this.openDoc(shown.doc_id, shown.page, shown.zoom)) {
          this.viewerBox.scrollIntoView({ block: 'nearest' });
        }
      } finally {
        this.loadingDoc = null;
      }
    }
    const latest = this.opening;
    this.opening = null;
    if (latest && this.following && this.viewer.doc?.doc_id === latest.doc_id) {
      await this.viewer.goTo(latest.page, latest.zoom);
    }
  }

  closeViewer() {
    this.viewer.clear();
    this.viewerBox.hidden = true;
    this.renderViewerActions();
  }

  navigated(page, zoom) {
    if (this.presenting() && this.presentation.doc_id === this.viewer.doc?.doc_id) this.present(page, zoom);
  }

  // -- follow me ------------------------------------------------------------------------------

  async present(page = this.viewer.page, zoom = this.viewer.zoom) {
    const docId = this.viewer.doc?.doc_id;
    if (!docId) return;
    const ack = await this.ctx.request('doc:present', { doc_id: docId, page, zoom });
    if (!ack.ok) {
      this.ctx.notify(errorText(ack.error?.code));
      return;
    }
    if (!this.presentation || ack.presentation.version >= this.presentation.version) this.presentation = ack.presentation;
    this.render();
  }

  async stopPresenting() {
    const ack = await this.ctx.request('doc:stop', {});
    if (!ack.ok) {
      this.ctx.notify(errorText(ack.error?.code));
      return;
    }
    this.presentation = null;
    this.render();
  }

  async setFollowing(following) {
    const ack = await this.ctx.request('doc:follow', { following });
    if (!ack.ok) {
      this.ctx.notify(errorText(ack.error?.code));
      return;
    }
    this.following = following;
    this.render();
    if (following && ack.presentation) {
      this.presentation = ack.presentation;
      await this.showPresented(ack.presentation);
    }
  }

  // -- actions on a document ------------------------------------------------------------------

  async withdraw(doc) {
    if (!confirm(t('docs.withdrawConfirm', { name: doc.title }))) return;
    const ack = await this.ctx.request('doc:withdraw', { doc_id: doc.doc_id });
    if (!ack.ok) this.ctx.notify(errorText(ack.error?.code));
  }

  // One of my documents shared in another room (a private meeting): shown here too now,
  // to the audience chosen beside the share button.
  async shareHere(doc) {
    const ack = await this.ctx.request('doc:reshare', { doc_id: doc.doc_id, visibility: this.visibility.value });
    if (!ack.ok) {
      this.ctx.notify(errorText(ack.error?.code));
      return;
    }
    this.docs.set(doc.doc_id, ack.document);
    this.render();
    this.ctx.notify(t('docs.sharedHere', { name: doc.title }));
  }

  async allowDownload(doc, allowed) {
    const ack = await this.ctx.request('doc:download', { doc_id: doc.doc_id, allowed });
    if (!ack.ok) {
      this.ctx.notify(errorText(ack.error?.code));
      this.render();
    }
  }

  // -- DOM -----------------------------------------------------------------------------------

  build() {
    this.file = h('input', { type: 'file', id: 'docs-file', accept: ACCEPT, hidden: true,
      onchange: () => {
        const [file] = this.file.files;
        this.file.value = '';
        this.upload(file);
      } });
    this.shareButton = h('button', { type: 'button', id: 'docs-share', onclick: () => this.file.click() });
    this.visibility = h('select', { id: 'docs-visibility' });
    this.visibilityLabel = h('label', { for: 'docs-visibility' });
    this.hint = h('p', { class: 'muted docs-hint' });
    this.progress = h('progress', { id: 'docs-progress', max: '100', value: '0', hidden: true });
    this.cleanedNote = h('p', { class: 'docs-metadata', id: 'docs-metadata', role: 'status', hidden: true });
    this.uploadBox = h('div', { class: 'docs-upload', id: 'docs-upload' },
      h('div', { class: 'docs-upload-row' }, this.shareButton, this.visibilityLabel, this.visibility),
      this.hint, this.progress, this.cleanedNote, this.file);
    this.list = h('ul', { class: 'docs-list', id: 'docs-list' });
    this.presentBar = h('div', { class: 'docs-presenting', id: 'docs-presenting', role: 'status' });
    this.viewerTitle = h('h3', { class: 'docs-viewer-title', id: 'docs-viewer-title' });
    this.viewerActions = h('div', { class: 'docs-viewer-actions' });
    const viewerEl = h('div', { class: 'doc-viewer' });
    this.viewerBox = h('section', { class: 'docs-viewer', id: 'docs-viewer', hidden: true },
      h('header', { class: 'docs-viewer-head' }, this.viewerTitle, this.viewerActions), viewerEl);
    this.placeholder = h('p', { class: 'muted docs-placeholder', id: 'docs-placeholder' });
    this.root = h('section', { class: 'docs', id: 'docs' },
      h('div', { class: 'docs-side' }, this.uploadBox, this.list),
      h('div', { class: 'docs-main' }, this.presentBar, this.viewerBox, this.placeholder));
    mount(this.el, this.root);
    this.viewer = new DocViewer(viewerEl, {
      onNavigate: (page, zoom) => this.navigated(page, zoom),
      onRendered: (shown) => {
        this.rendered = shown;
      },
    });
    for (const name of ['dragenter', 'dragover']) {
      this.root.addEventListener(name, (e) => {
        if (!this.mayShare() || !e.dataTransfer?.types?.includes('Files')) return;
        e.preventDefault();
        this.root.classList.add('dropping');
      });
    }
    this.root.addEventListener('dragleave', (e) => {
      if (!this.root.contains(e.relatedTarget)) this.root.classList.remove('dropping');
    });
    this.root.addEventListener('drop', (e) => {
      this.root.classList.remove('dropping');
      if (!this.mayShare()) return;
      e.preventDefault();
      const [file] = e.dataTransfer?.files || [];
      this.upload(file);
    });
  }

  mayShare() {
    return Boolean(this.room) && this.ctx.self.role !== 'observer';
  }

  visibilityChoices() {
    const choices = ['room'];
    if (this.room?.kind === 'private') choices.push('private_meeting_members');
    choices.push('mediators');
    return choices;
  }

  render() {
    this.renderUpload();
    this.renderList();
    this.renderPresenting();
    this.renderViewerActions();
    this.viewer.labels();
  }

  renderUpload() {
    this.uploadBox.hidden = !this.mayShare();
    this.shareButton.textContent = t('docs.share');
    this.shareButton.disabled = Boolean(this.uploading);
    this.visibilityLabel.textContent = t('docs.visibility');
    const chosen = this.visibility.value;
    const choices = this.visibilityChoices();
    mount(this.visibility, choices.map((v) => h('option', { value: v, selected: v === chosen }, t(`docs.visibility.${v}`))));
    if (!choices.includes(chosen)) this.visibility.value = 'room';
    this.hint.textContent = this.uploading ? t('docs.uploading', { name: this.uploading.name }) : t('docs.hint');
    this.progress.hidden = !this.uploading;
    if (!this.uploading) this.progress.value = 0;
    this.cleanedNote.hidden = !this.cleaned;
    this.cleanedNote.dataset.location = String(Boolean(this.cleaned?.removed.includes('location')));
    this.cleanedNote.textContent = this.cleaned ? metadataText(this.cleaned) : '';
  }

  renderList() {
    const docs = [...this.docs.values()];
    if (!docs.length) {
      mount(this.list, h('li', { class: 'muted docs-empty' }, t('docs.empty')));
      return;
    }
    mount(this.list, docs.map((doc) => this.row(doc)));
  }

  row(doc) {
    const mine = doc.owner === this.ctx.self.key;
    const mediator = this.ctx.isMediator();
    const open = this.viewer.doc?.doc_id === doc.doc_id;
    const meta = [
      mine ? t('docs.byMe') : t('docs.by', { name: this.ctx.nameOf(doc.owner) }),
      doc.pages ? (doc.pages === 1 ? t('docs.onePage') : t('docs.pages', { n: doc.pages })) : null,
    ].filter(Boolean).join(' · ');
    const badge = doc.visibility === 'room' ? null
      : h('span', { class: 'docs-badge', dataset: { visibility: doc.visibility } }, t(`docs.badge.${doc.visibility}`));
    const toggle = mediator ? h('label', { class: 'docs-allow' },
      h('input', { type: 'checkbox', class: 'docs-allow-download', checked: doc.download_allowed,
        onchange: (e) => this.allowDownload(doc, e.target.checked) }),
      ` ${t('docs.allowDownload')}`) : null;
    return h('li', { class: open ? 'docs-item open' : 'docs-item', dataset: { docId: doc.doc_id } },
      h('button', { type: 'button', class: 'link docs-open', onclick: () => this.openByPerson(doc.doc_id) }, doc.title),
      badge,
      h('span', { class: 'muted docs-meta' }, meta),
      h('span', { class: 'docs-actions' },
        doc.download_allowed || mine ? h('button', { type: 'button', class: 'link docs-download', onclick: () => this.download(doc) }, t('docs.download')) : null,
        mine && doc.room_id !== this.room?.room_id && this.mayShare()
          ? h('button', { type: 'button', class: 'link docs-share-here', onclick: () => this.shareHere(doc) }, t('docs.shareHere'))
          : null,
        mine || mediator ? h('button', { type: 'button', class: 'link danger docs-withdraw', onclick: () => this.withdraw(doc) }, t('docs.withdraw')) : null,
        toggle));
  }

  renderPresenting() {
    const shown = this.presentation;
    if (!shown) {
      this.presentBar.hidden = true;
      mount(this.presentBar);
      return;
    }
    const title = this.docs.get(shown.doc_id)?.title || '…';
    this.presentBar.hidden = false;
    this.presentBar.dataset.following = String(this.following);
    if (this.presenting()) {
      mount(this.presentBar, h('span', {}, t('docs.presenting', { title })),
        h('button', { type: 'button', class: 'secondary', id: 'docs-stop', onclick: () => this.stopPresenting() }, t('docs.stopPresenting')));
      return;
    }
    const followButton = h('button', { type: 'button', class: 'secondary', id: 'docs-follow',
      'aria-pressed': String(this.following), onclick: () => this.setFollowing(!this.following) },
    this.following ? t('docs.unfollow') : t('docs.follow'));
    mount(this.presentBar,
      h('span', {}, t(this.following ? 'docs.presentedBy' : 'docs.notFollowing', { name: this.ctx.nameOf(shown.presenter), title })),
      followButton,
      this.ctx.isMediator() ? h('button', { type: 'button', class: 'link', id: 'docs-stop', onclick: () => this.stopPresenting() }, t('docs.stopPresenting')) : null);
  }

  renderViewerActions() {
    const doc = this.viewer.doc;
    this.placeholder.hidden = !this.viewerBox.hidden || this.docs.size === 0;
    this.placeholder.textContent = t('docs.pick');
    const followingSomeone = Boolean(this.presentation && this.following && !this.presenting()
      && doc && this.presentation.doc_id === doc.doc_id);
    this.viewer.setLocked(followingSomeone);
    if (!doc) {
      mount(this.viewerActions);
      return;
    }
    // someone else presents: only a mediator may take over (the server says so too)
    const mayPresent = this.ctx.self.role !== 'observer' && !this.presenting() && !followingSomeone
      && (!this.presentation || this.ctx.isMediator());
    mount(this.viewerActions,
      mayPresent ? h('button', { type: 'button', id: 'docs-present', onclick: () => this.present() }, t('docs.present')) : null,
      h('button', { type: 'button', class: 'link', id: 'docs-close', onclick: () => this.closeViewer() }, t('docs.close')));
  }

  shown(visible) {
    if (visible && this.viewer.doc) this.viewer.render();
  }

  destroy() {
    this.destroyed = true;
    for (const [event, fn] of this.handlers) this.ctx.socket.off(event, fn);
    this.viewer.destroy();
    this.blobs.clear();
    mount(this.el);
  }
}
