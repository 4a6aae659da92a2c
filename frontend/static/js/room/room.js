// The session room: connect, check devices, wait in the lobby, then see and hear the others.
import { deviceId } from '../common/api.js';
import { io } from '/vendor/socket.io.esm.min.js';
import { controlButton } from './controls.js';
import { openMedia, deviceCheck } from './devices.js';
import { focusHeading, h, mount } from '../common/dom.js';
import { onLanguageChange, t, wireLanguageSwitch } from '../common/i18n.js';
import { EncryptionBar } from './e2ee/bar.js';
import { RoomKeys } from './e2ee/room_keys.js';
import { MediatorPanel } from './panel.js';
import { RelayConnection } from './rtc.js';
import { surveySection } from '../survey/form.js';
import { ROUTING_CODES, reconnectVia } from './routing.js';
import { TileGrid } from './tiles.js';
import { Workspace, toolContext } from './workspace.js';

const stage = document.getElementById('stage');
const main = document.getElementById('main');
const statusEl = document.getElementById('connection');
const banner = document.getElementById('banner');
const controls = document.getElementById('controls');
const panelEl = document.getElementById('panel');
const workEl = document.getElementById('work');
const chatEl = document.getElementById('chat');
const lostEl = document.getElementById('connection-lost');
const toast = document.getElementById('toast');
const grid = new TileGrid(document.getElementById('tiles'));
const encryptionEl = document.getElementById('e2ee');

const state = {
  socket: null, relay: null, hello: null, self: null, roster: {},
  relayEpoch: 0, relayStarting: null, iceRefresh: null,
  local: null, screen: null, audio: true, video: true,
  phase: 'connecting', view: null, panel: null, entered: false, finished: false, mediaReady: null,
  pendingView: null, workspace: null, page: null, lobby: null, overview: null,
  received: [], // [event, payload] pairs, kept for diagnostics and browser tests
  route: {}, // the load balancer's routing hint: {session, node} (several nodes)
  retry: null, moving: false,
  keys: null, bar: null, // end-to-end encryption: the room's media keys, and what the room says of them
};

function credentials() {
  const params = new URLSearchParams(location.search);
  const token = decodeURIComponent(location.hash.replace(/^#/, '')).trim();
  if (token) return { token };
  if (params.get('session')) return { session_id: params.get('session') };
  return null;
}

const nameOf = (key) => state.roster[key]?.display_name || '…';
const roleOf = (key) => state.roster[key]?.role || 'party';
// (before the server says who I am, a mediator is known by the room link: ?session=…)
const isMediator = () => (state.self ? ['mediator', 'co_mediator'].includes(state.self.role) : Boolean(credentials()?.session_id));

// Once the session is over for me, only an end phase may show (a closing peer connection
// must not turn the pill back to "connecting").
const END_PHASES = ['ended', 'offline'];
const LOST_PHASES = ['reconnecting', 'failed'];

function setPhase(phase) {
  if (state.finished && !END_PHASES.includes(phase)) return;
  if (LOST_PHASES.includes(phase) && !LOST_PHASES.includes(state.phase)) state.beforeLost = state.phase;
  state.phase = phase;
  statusEl.dataset.state = phase;
  statusEl.textContent = t(`room.state.${phase}`);
  showConnectionLost(LOST_PHASES.includes(phase) ? phase : null);
}

// The server or the network is out of reach (``reconnecting``: nothing in the room can be used
// until it is back, which happens by itself) or the sound and picture stopped (``failed``:
// reloading brings them back). Said in a line above the page, not only in the status pill.
function showConnectionLost(phase) {
  lostEl.hidden = !phase;
  lostEl.dataset.kind = phase || '';
  for (const el of [workEl, controls, chatEl, panelEl]) el.inert = phase === 'reconnecting';
  if (!phase) return lostEl.replaceChildren();
  mount(lostEl, t(`room.lost.${phase}`), phase === 'failed'
    ? [' ', h('button', { type: 'button', class: 'secondary', id: 'reload', onclick: () => location.reload() }, t('room.reload'))]
    : null);
}

// A toast that no longer holds (someone was waiting and was let in) goes at once.
function dismiss(text) {
  if (toast.textContent === text) toast.hidden = true;
}

function notify(text) {
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => (toast.hidden = true), 6000);
}

// The session is over for me: media stop, the stage, the tools and the controls close, no
// reconnection is tried, and the status pill says so. Every end page goes through here.
function closeStage(phase = 'offline') {
  state.finished = true;
  hangUp(true);
  if (state.socket) state.socket.io.reconnection(false);
  for (const el of [stage, controls, panelEl, banner, toast, encryptionEl]) el.hidden = true;
  if (state.keys) state.keys.close();
  document.body.classList.remove('in-room');
  controls.replaceChildren();
  for (const id of grid.ids()) grid.remove(id);
  if (state.workspace) state.workspace.close();
  setPhase(phase);
}

// The case page, for a mediator whose session is over (the case page's room link carries it).
function caseLink() {
  const caseId = new URLSearchParams(location.search).get('case');
  return /^[0-9a-f]{1,64}$/.test(caseId || '')
    ? h('a', { class: 'button primary', id: 'back-to-case', href: `/cases/${caseId}` }, t('room.backToCase'))
    : h('a', { class: 'button primary', id: 'back-to-case', href: '/cases' }, t('room.backToCases'));
}

function renderPage() {
  const { id, titleKey, body, code, mediator, action } = state.page;
  const next = [
    action ? h('button', { type: 'button', class: 'primary', id: action.id, onclick: action.onclick }, t(action.key)) : null,
    mediator ? caseLink() : null,
  ].filter(Boolean);
  mount(main, h('section', { class: `card narrow${code ? ' error-page' : ''}`, id, dataset: code ? { code } : {} },
    h('h1', {}, t(titleKey)), h('p', {}, body()),
    next.length ? h('div', { class: 'actions' }, next) : null,
    id === 'ended' && !mediator && credentials()?.token ? surveySection({ token: credentials().token }) : null));
  focusHeading(main);
}

// An end page: ``bodyKey`` a catalogue key, or a function giving the text; ``action`` the
// next step it offers, if any ({ id, key, onclick }).
function showPage(id, titleKey, bodyKey, { phase = 'offline', code = null, action = null } = {}) {
  closeStage(phase);
  const body = typeof bodyKey === 'function' ? bodyKey : () => t(bodyKey);
  state.page = { id, titleKey, body, code, mediator: isMediator(), action };
  renderPage();
}

function showProblem(code, titleKey = 'room.error.title') {
  const key = `room.error.${code}`;
  showPage('room-error', titleKey, () => (t(key) === key ? t('room.error.generic') : t(key)), { code });
}

function showEnded() {
  showPage('ended', 'room.endedTitle', isMediator() ? 'room.endedMediatorBody' : 'room.endedBody', { phase: 'ended' });
}

// --- tiles -------------------------------------------------------------------------

function keyOfStream(streamId) {
  return streamId.slice(streamId.indexOf('.') + 1);
}

function onTrack(event) {
  const stream = event.streams[0];
  if (!stream) return;
  const key = keyOfStream(stream.id);
  const screen = event.track.id === 'screen';
  const tileId = screen ? `${key}#screen` : key;
  grid.ensure(tileId, { name: nameOf(key), screen });
  grid.attach(tileId, event.track);
  stream.addEventListener('removetrack', () => {
    if (screen && stream.getVideoTracks().length === 0) grid.remove(tileId);
  });
}

function applyView(view) {
  state.view = view;
  state.workspace.roomChanged(view);
  const keep = new Set([state.self.key, `${state.self.key}#screen`]);
  for (const member of view.members) {
    keep.add(member.key);
    if (member.screen) keep.add(`${member.key}#screen`);
    grid.ensure(member.key, { name: member.display_name });
    grid.setState(member.key, { audio: member.audio, video: member.video, reconnecting: member.reconnecting });
  }
  for (const id of grid.ids()) if (!keep.has(id)) grid.remove(id);
  if (view.on_hold) {
    mount(banner, t('room.onHold'), ' ', isMediator() ? null
      : h('button', { type: 'button', class: 'secondary', id: 'call-mediator', onclick: callMediator }, t('room.callMediator')));
    banner.hidden = false;
  } else if (view.kind === 'private') {
    banner.textContent = t('room.inPrivate');
    banner.hidden = false;
  } else banner.hidden = true;
  banner.dataset.kind = view.on_hold ? 'hold' : view.kind;
}

// Only the mediators are told; the server slows down repeated calls.
async function callMediator() {
  const ack = await state.socket.timeout(8000).emitWithAck('lobby:call', {}).catch(() => null);
  if (ack && ack.ok) notify(t('room.mediatorCalled'));
  else notify(t(ack && ack.error.code === 'rate_limited' ? 'room.mediatorCalledAlready' : 'room.error.generic'));
}

// --- media -------------------------------------------------------------------------

// The STUN/TURN servers with their credentials: the server gives them only to someone
// who consented and was let in, and TURN credentials are short-lived (renewed before
// they expire, for later ICE restarts).
async function iceServers() {
  try {
    const ack = await state.socket.timeout(10000).emitWithAck('rtc:ice', {});
    return ack.ok ? ack : null;
  } catch {
    return null; // no answer in time (the connection dropped): the next join starts again
  }
}

function renewIceServers(expiresIn, epoch) {
  clearTimeout(state.iceRefresh);
  if (!expiresIn) return;
  state.iceRefresh = setTimeout(async () => {
    const ice = await iceServers();
    if (!ice || epoch !== state.relayEpoch || !state.relay) return;
    state.relay.useIceServers(ice.ice_servers);
    renewIceServers(ice.expires_in, epoch);
  }, Math.max(30, expiresIn * 0.8) * 1000);
}

async function startRelay() {
  if (state.relay || !state.hello || state.relayStarting === state.relayEpoch) return;
  const epoch = state.relayEpoch;
  state.relayStarting = epoch;
  const ice = await iceServers();
  if (epoch !== state.relayEpoch) return; // hung up meanwhile
  state.relayStarting = null;
  if (!ice) {
    setPhase('failed');
    return;
  }
  renewIceServers(ice.expires_in, epoch);
  state.relay = new RelayConnection(state.socket, ice.ice_servers, {
    iceTransportPolicy: ice.ice_transport_policy === 'relay' ? 'relay' : 'all',
    keys: state.keys,
    onTrack,
    onState: (pc) => {
      if (state.phase === 'reconnecting' && !(navigator.onLine && state.socket.connected)) return; // said already
      setPhase(pc === 'connected' ? 'connected' : pc === 'failed' ? 'failed' : 'connecting');
    },
  });
  for (const track of state.local.getTracks()) {
    state.relay.addTrack(track, state.local, track.kind === 'audio' ? 'microphone' : 'camera');
  }
  if (state.screen) state.screen.sender = state.relay.addTrack(state.screen.track, state.screen.stream, 'screen');
  try {
    await state.relay.negotiate();
  } catch {
    // Lost with the connection (or the node went away): the next join starts again. Refused
    // while connected (the relay is full, say): the page says the connection failed.
    if (epoch === state.relayEpoch && state.socket.connected) setPhase('failed');
    return;
  }
  await sendMediaState();
}

// A new offer after a change of what we send; a failure is logged by the relay's queue and
// the next join starts again, so nothing is left unhandled in the page.
async function renegotiate() {
  if (state.relay) await state.relay.negotiate().catch(() => {});
}

function hangUp(everything = false) {
  if (state.relay) state.relay.close();
  state.relay = null;
  state.relayEpoch += 1;
  clearTimeout(state.iceRefresh);
  if (everything) {
    if (state.local) for (const track of state.local.getTracks()) track.stop();
    if (state.screen) state.screen.track.stop();
  }
}

function sendMediaState() {
  grid.setState(state.self.key, { audio: state.audio, video: state.video });
  renderControls();
  if (!state.relay) return Promise.resolve();
  // lost with the connection: the state is sent again when the page joins again
  return state.socket.emitWithAck('media:state', { audio: state.audio, video: state.video, screen: Boolean(state.screen) })
    .catch(() => null);
}

function setTrackEnabled(kind, enabled) {
  for (const track of kind === 'audio' ? state.local.getAudioTracks() : state.local.getVideoTracks()) track.enabled = enabled;
}

async function toggle(kind) {
  const on = !(kind === 'audio' ? state.audio : state.video);
  if (kind === 'audio') state.audio = on;
  else state.video = on;
  setTrackEnabled(kind, on);
  if (on) await state.socket.emitWithAck('media:reopen', { audio: state.audio, video: state.video }).catch(() => null);
  await sendMediaState();
}

async function toggleScreenShare() {
  if (state.screen) {
    const { track, sender } = state.screen;
    state.screen = null;
    if (sender && state.relay) state.relay.removeSender(sender);
    track.stop();
    grid.remove(`${state.self.key}#screen`);
    await renegotiate();
    return sendMediaState();
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch {
    return;
  }
  const [track] = stream.getVideoTracks();
  state.screen = { stream, track, sender: state.relay ? state.relay.addTrack(track, stream, 'screen') : null };
  track.addEventListener('ended', () => state.screen && state.screen.track === track && toggleScreenShare());
  grid.ensure(`${state.self.key}#screen`, { name: state.self.display_name, screen: true, self: true });
  grid.attach(`${state.self.key}#screen`, track);
  await renegotiate();
  return sendMediaState();
}

async function leave() {
  await state.socket.emitWithAck('room:leave', {}).catch(() => {});
  state.socket.disconnect();
  // coming back is one click: the page starts again from the link it was opened with
  showPage('left', 'room.leftTitle', 'room.leftBody', { action: { id: 'rejoin', key: 'room.rejoin', onclick: () => location.reload() } });
}

async function withdrawConsent() {
  if (!confirm(t('room.withdrawConfirm'))) return;
  // Only a withdrawal the server recorded shows the page that says it is done.
  const ack = await state.socket.timeout(10000).emitWithAck('consent:withdraw', {}).catch(() => null);
  if (!ack?.ok) return notify(t('room.withdrawFailed'));
  state.socket.disconnect();
  showPage('withdrawn', 'room.withdrawnTitle', 'room.withdrawnBody');
}

function renderControls() {
  if (!state.self || !state.workspace || state.finished) return; // not in the room (yet)
  // a switch that is off (microphone, camera) is red; screen sharing is green while on
  const toggleButton = (id, key, shortKey, on, onclick, offWarns = true) => controlButton({
    id, label: t(key), short: t(shortKey), onclick, pressed: on, cls: on ? 'on' : offWarns ? 'off' : '',
  });
  mount(controls,
    toggleButton('toggle-mic', state.audio ? 'room.micOn' : 'room.micOff', 'room.micShort', state.audio,
      () => toggle('audio')),
    toggleButton('toggle-camera', state.video ? 'room.cameraOn' : 'room.cameraOff', 'room.cameraShort', state.video,
      () => toggle('video')),
    navigator.mediaDevices.getDisplayMedia
      ? toggleButton('toggle-screen', state.screen ? 'room.stopShare' : 'room.share', 'room.shareShort',
        Boolean(state.screen), toggleScreenShare, false)
      : null,
    ...state.workspace.buttons(),
    isMediator() ? null : controlButton({
      id: 'withdraw', label: t('room.withdraw'), short: t('room.withdrawShort'), onclick: withdrawConsent,
    }),
    controlButton({ id: 'leave', label: t('room.leave'), short: t('room.leave'), onclick: leave, cls: 'leave' }));
}

// --- flow ----------------------------------------------------------------------------

async function knock() {
  // a connection lost on the way knocks again with the next session:hello
  const ack = await state.socket.emitWithAck('lobby:knock', {}).catch(() => null);
  if (!ack) return;
  if (!ack.ok) return showProblem(ack.error.code);
  if (ack.state === 'waiting') showLobby(Boolean(ack.again));
}

// ``again``: this link is already in use in the session on another device; the mediator
// decides whether this device takes its place.
function showLobby(again = false) {
  // Back in the waiting room (the server restarted and forgot me): nothing of the room shows
  // until the mediator lets me in again, and the page says why I am here again.
  if (state.workspace) state.workspace.park();
  for (const el of [stage, controls, banner, encryptionEl]) el.hidden = true;
  document.body.classList.remove('in-room');
  setPhase('waiting');
  state.lobby = { again, back: state.entered };
  renderLobby();
  focusHeading(main);
}

function renderLobby() {
  const { again, back } = state.lobby;
  mount(main, h('section', { class: 'card narrow', id: 'lobby', dataset: { again: again ? 'true' : 'false' } },
    h('h1', {}, t(back ? 'lobby.backTitle' : 'lobby.title')),
    // nobody to let them in yet (the session has not started, or the mediator stepped out)
    // is not the same wait as a mediator about to let them in
    h('p', { id: 'lobby-body', role: 'status' }, t(again ? 'lobby.againBody' : back ? 'lobby.backBody'
      : state.mediatorPresent === false ? 'lobby.noMediator' : 'lobby.body')),
    h('p', { class: 'muted' }, t('room.noRecording'))));
}

function enterRoom() {
  if (state.finished || (state.entered && !stage.hidden)) return;
  main.replaceChildren();
  state.lobby = null;
  stage.hidden = false;
  controls.hidden = false;
  document.body.classList.add('in-room');
  state.bar.render();
  if (state.phase === 'waiting') setPhase('connecting');
  if (state.entered) return renderControls(); // let in again after a stay in the waiting room
  state.entered = true;
  state.workspace = new Workspace({
    room: document.querySelector('main.room'),
    area: document.getElementById('work'),
    drawer: document.getElementById('chat'),
    onChange: renderControls,
    ctx: toolContext(state.socket, {
      self: state.self, sessionId: state.hello.session_id, credentials: credentials(),
      nameOf, isMediator, notify,
    }),
  });
  grid.ensure(state.self.key, { name: state.self.display_name, self: true });
  const video = state.local.getVideoTracks()[0];
  if (video) grid.attach(state.self.key, video);
  renderControls();
}

async function showView(view) {
  enterRoom();
  applyView(view);
  await startRelay();
}

async function prepareMedia(hello) {
  if (hello.state === 'admitted') {
    // Back after a reload or a dropped connection: straight into the room.
    state.local = await openMedia();
  } else {
    setPhase('checking');
    state.local = await deviceCheck(main, isMediator()
      ? { enterLabelKey: 'devices.enterMediator', titleKey: 'devices.titleMediator' }
      : { enterLabelKey: 'devices.enter' });
  }
  state.audio = state.local.getAudioTracks().length > 0;
  state.video = state.local.getVideoTracks().length > 0;
}


function wire(socket) {
  socket.onAny((event, payload) => state.received.push([event, JSON.stringify(payload ?? null)]));
  socket.on('connect_error', (error) => {
    const code = error && error.data && error.data.code;
    if (ROUTING_CODES.includes(code)) {
      if (state.phase !== 'connecting') setPhase('reconnecting');
      if (code === 'session_elsewhere') reconnectVia(state, { node: error.data.node }, 0);
      else reconnectVia(state, {}, 300 + Math.random() * 400); // within a second
    }
    else if (code === 'session_closed') { // over before I came: nobody just closed it
      showPage('ended', 'room.endedTitle', isMediator() ? 'room.closedMediatorBody' : 'room.endedBody', { phase: 'ended' });
    }
    else if (code) showProblem(code);
    else setPhase('reconnecting');
  });
  socket.on('connect', () => {
    // back: the pictures come again through a new peer connection ("connected" once it is up)
    if (state.phase === 'reconnecting') setPhase(state.beforeLost === 'connected' ? 'connecting' : state.beforeLost || 'connecting');
  });
  socket.on('disconnect', (reason) => {
    if (state.finished) return;
    hangUp();
    state.keys.reset();
    setPhase('reconnecting');
    // sent away by a node that no longer runs the session: back through the load balancer
    if (state.moving && reason === 'io server disconnect') reconnectVia(state, { node: null }, 0);
    state.moving = false;
  });
  socket.on('session:moving', () => { state.moving = true; });
  socket.on('session:hello', async (hello) => {
    state.hello = hello;
    state.route = { session: hello.session_id, node: hello.node }; // where to come back to
    state.socket.io.opts.query = { ...state.route };
    state.self = hello.self;
    state.roster = hello.roster;
    if (!hello.consented && !isMediator()) {
      location.assign(`/join${location.hash}`);
      return;
    }
    // announced on every connection (a new connection is a new member of its key group);
    // a case that requires end-to-end encryption turns a browser without it away, before
    // any camera or microphone is opened
    const announced = await state.keys.hello(hello.self, hello.session_id);
    if (announced && !announced.ok && announced.error.code === 'e2ee_unsupported') {
      return showProblem(isMediator() ? 'e2ee_unsupported_mediator' : 'e2ee_unsupported', 'room.error.e2eeTitle');
    }
    if (!state.mediaReady) state.mediaReady = prepareMedia(hello);
    await state.mediaReady;
    if (isMediator() && !state.panel) {
      state.panel = new MediatorPanel(panelEl, {
        call: (event, payload) => state.socket.emitWithAck(event, payload),
        nameOf, roleOf, notify, dismiss, sessionId: state.hello.session_id,
      });
      state.panel.selfKey = state.self.key;
      if (state.overview) state.panel.setRooms(state.overview.rooms, state.overview.locked);
      else state.panel.render();
    }
    if (hello.state === 'admitted') {
      enterRoom();
      if (state.pendingView) await showView(state.pendingView);
      state.pendingView = null;
    } else await knock();
  });
  socket.on('lobby:state', async (message) => {
    if (!state.mediaReady) return; // before session:hello, which carries the same state
    await state.mediaReady;
    if (message.state === 'admitted') enterRoom();
    if (message.state === 'waiting' && 'mediator_present' in message) {
      state.mediatorPresent = message.mediator_present; // may come before the knock's answer
      if (state.lobby) renderLobby();
    }
    if (message.state === 'declined') showPage('declined', 'lobby.declinedTitle', 'lobby.declinedBody');
  });
  socket.on('room:view', async (view) => {
    if (!state.mediaReady) {
      state.pendingView = view; // arrived before session:hello; applied once media is ready
      return;
    }
    await state.mediaReady;
    await showView(view);
  });
  socket.on('lobby:waiting', ({ waiting }) => state.panel && state.panel.setWaiting(waiting));
  socket.on('room:overview', (overview) => {
    state.overview = overview; // may come before the panel is drawn (a page loaded again)
    if (state.panel) state.panel.setRooms(overview.rooms, overview.locked);
  });
  socket.on('lobby:called', ({ participant_id: key, on_hold: onHold }) => state.panel && state.panel.called(key, onHold));
  socket.on('lobby:consent_withdrawn', ({ participant_id: key }) => notify(t('panel.consentWithdrawn', { name: nameOf(key) })));
  socket.on('lobby:consent_declined', ({ participant_id: key }) => notify(t('panel.consentDeclined', { name: nameOf(key) })));
  socket.on('media:stop', async ({ kind }) => {
    if (kind === 'audio') state.audio = false;
    else state.video = false;
    setTrackEnabled(kind, false);
    notify(t(kind === 'audio' ? 'room.mutedByMediator' : 'room.cameraStoppedByMediator'));
    await sendMediaState();
  });
  socket.on('e2ee:status', ({ participants }) => state.panel && state.panel.setEncryption(participants));
  socket.on('session:ended', showEnded);
  socket.on('session:kicked', ({ reason }) => {
    if (state.finished) return; // the end page is already up ("session ended" comes first)
    if (reason === 'session_closed') return showEnded();
    if (reason === 'not_let_in') return showPage('declined', 'lobby.declinedTitle', 'lobby.notLetInBody');
    if (reason === 'declined') return showPage('declined', 'lobby.declinedTitle', 'lobby.declinedBody');
    if (reason === 'removed') return showPage('removed', 'room.removedTitle', 'room.removedBody');
    showProblem(reason === 'replaced_by_new_connection' ? 'replaced' : reason, 'room.error.outTitle');
  });
}

// The browser knows at once when the network goes: say so without waiting for the socket.
function watchNetwork() {
  window.addEventListener('offline', () => {
    if (!state.finished && state.phase !== 'failed') setPhase('reconnecting');
  });
  window.addEventListener('online', () => {
    if (state.socket && state.socket.connected && state.phase === 'reconnecting') setPhase(state.beforeLost || 'connecting');
  });
}

function start() {
  const auth = credentials();
  if (!auth) return showProblem('link_invalid');
  setPhase('connecting');
  const socketAuth = auth.token ? { ...auth, device: deviceId() } : auth;
  if (auth.session_id) state.route = { session: auth.session_id };
  const socket = io('/session', {
    auth: socketAuth, transports: ['websocket'], query: { ...state.route },
    // a node that dies is replaced within seconds: come back quickly
    reconnectionDelay: 500, reconnectionDelayMax: 2000,
  });
  state.socket = socket;
  state.bar = new EncryptionBar(encryptionEl, { notify, nameOf });
  state.keys = new RoomKeys(socket, {
    onChange: (status, how) => {
      if (!stage.hidden || status.state === 'off') state.bar.show(status, how);
      else state.bar.status = status; // shown once the room is
    },
  });
  wire(socket);
}

wireLanguageSwitch();
watchNetwork();
onLanguageChange(() => {
  setPhase(state.phase);
  if (state.page) renderPage();
  else if (state.lobby) renderLobby();
  renderControls();
  if (state.panel) state.panel.render();
  if (state.view) applyView(state.view);
  if (!stage.hidden) state.bar.render();
});
start();
// The live room, read by importing this module (diagnostics): nothing is put on window.
export { state };
