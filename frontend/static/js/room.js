// The session room: connect, join, publish camera and microphone, show everyone.
import { io } from '/vendor/socket.io.esm.min.js';
import { h, mount } from './dom.js';
import { onLanguageChange, t, wireLanguageSwitch } from './i18n.js';
import { RelayConnection } from './rtc.js';
import { TileGrid } from './tiles.js';

const main = document.getElementById('main');
const statusEl = document.getElementById('connection');
const grid = new TileGrid(document.getElementById('tiles'));
const controls = document.getElementById('controls');

const state = {
  socket: null,
  relay: null,
  self: null,
  members: new Map(), // key -> member view
  local: null, // MediaStream from camera + microphone
  screen: null, // { stream, sender }
  audio: true,
  video: true,
  phase: 'connecting',
};

function credentials() {
  const params = new URLSearchParams(location.search);
  const token = decodeURIComponent(location.hash.replace(/^#/, '')).trim();
  if (token) return { token };
  if (params.get('session')) return { session_id: params.get('session') };
  return null;
}

function keyOfStream(streamId) {
  return streamId.slice(streamId.indexOf('.') + 1);
}

function setPhase(phase, detail = '') {
  state.phase = phase;
  statusEl.dataset.state = phase;
  statusEl.textContent = t(`room.state.${phase}`) + (detail ? ` — ${detail}` : '');
}

function showProblem(code) {
  const key = `room.error.${code}`;
  const text = t(key) === key ? t('room.error.generic') : t(key);
  mount(main, h('section', { class: 'card narrow error-page', id: 'room-error', dataset: { code } },
    h('h1', {}, t('room.error.title')), h('p', {}, text)));
}

async function startLocalMedia() {
  try {
    state.local = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } },
    });
  } catch {
    state.local = new MediaStream();
    state.audio = false;
    state.video = false;
  }
}

function memberTile(member) {
  grid.ensure(member.key, { name: member.display_name, self: member.key === state.self?.key });
  grid.setState(member.key, { audio: member.audio, video: member.video });
}

function onTrack(event) {
  const stream = event.streams[0];
  if (!stream) return;
  const key = keyOfStream(stream.id);
  const member = state.members.get(key);
  const label = event.track.id;
  const tileId = label === 'screen' ? `${key}#screen` : key;
  grid.ensure(tileId, { name: member ? member.display_name : '…', screen: label === 'screen' });
  grid.attach(tileId, event.track);
  event.track.addEventListener('ended', () => label === 'screen' && grid.remove(tileId));
  stream.addEventListener('removetrack', () => {
    if (label === 'screen' && stream.getVideoTracks().length === 0) grid.remove(tileId);
  });
}

function removeMember(key) {
  state.members.delete(key);
  for (const id of grid.ids()) if (id === key || id.startsWith(`${key}#`)) grid.remove(id);
}

async function publishMedia() {
  for (const track of state.local.getTracks()) {
    state.relay.addTrack(track, state.local, track.kind === 'audio' ? 'microphone' : 'camera');
  }
  grid.ensure(state.self.key, { name: state.self.display_name, self: true });
  if (state.local.getVideoTracks().length) grid.attach(state.self.key, state.local.getVideoTracks()[0]);
  await state.relay.negotiate();
  await sendMediaState();
}

function sendMediaState() {
  grid.setState(state.self.key, { audio: state.audio, video: state.video });
  renderControls();
  return state.socket.emitWithAck('media:state', {
    audio: state.audio, video: state.video, screen: Boolean(state.screen),
  });
}

function toggleMicrophone() {
  state.audio = !state.audio;
  for (const track of state.local.getAudioTracks()) track.enabled = state.audio;
  sendMediaState();
}

function toggleCamera() {
  state.video = !state.video;
  for (const track of state.local.getVideoTracks()) track.enabled = state.video;
  sendMediaState();
}

async function toggleScreenShare() {
  if (state.screen) return stopScreenShare();
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch {
    return;
  }
  const [track] = stream.getVideoTracks();
  const sender = state.relay.addTrack(track, stream, 'screen');
  state.screen = { stream, sender };
  track.addEventListener('ended', () => stopScreenShare());
  grid.ensure(`${state.self.key}#screen`, { name: state.self.display_name, screen: true, self: true });
  grid.attach(`${state.self.key}#screen`, track);
  await state.relay.negotiate();
  sendMediaState();
}

async function stopScreenShare() {
  if (!state.screen) return;
  const { stream, sender } = state.screen;
  state.screen = null;
  state.relay.removeSender(sender);
  for (const track of stream.getTracks()) track.stop();
  grid.remove(`${state.self.key}#screen`);
  await state.relay.negotiate();
  sendMediaState();
}

async function leaveRoom() {
  await state.socket.emitWithAck('room:leave', {}).catch(() => {});
  state.socket.disconnect();
  hangUp();
  mount(main, h('section', { class: 'card narrow', id: 'left' },
    h('h1', {}, t('room.leftTitle')), h('p', {}, t('room.leftBody'))));
}

function hangUp() {
  if (state.relay) state.relay.close();
  state.relay = null;
  if (state.local) for (const track of state.local.getTracks()) track.stop();
  if (state.screen) for (const track of state.screen.stream.getTracks()) track.stop();
}

function renderControls() {
  const button = (id, key, pressed, onclick, warnWhenOff = true) => h('button', {
    type: 'button', id, class: `control${pressed || !warnWhenOff ? '' : ' off'}${pressed ? ' on' : ''}`,
    'aria-pressed': String(pressed), onclick,
  }, t(key));
  mount(controls,
    button('toggle-mic', state.audio ? 'room.micOn' : 'room.micOff', state.audio, toggleMicrophone),
    button('toggle-camera', state.video ? 'room.cameraOn' : 'room.cameraOff', state.video, toggleCamera),
    navigator.mediaDevices.getDisplayMedia
      ? button('toggle-screen', state.screen ? 'room.stopShare' : 'room.share', Boolean(state.screen), toggleScreenShare, false)
      : null,
    h('button', { type: 'button', id: 'leave', class: 'control leave', onclick: leaveRoom }, t('room.leave')),
  );
}

function wireSocket(socket) {
  socket.on('connect_error', (error) => {
    const code = (error && error.data && error.data.code) || 'network';
    if (code !== 'network') {
      socket.disconnect();
      hangUp();
      showProblem(code);
    } else setPhase('reconnecting');
  });
  socket.on('disconnect', () => state.phase !== 'left' && setPhase('reconnecting'));
  socket.on('room:member', (member) => {
    state.members.set(member.key, member);
    memberTile(member);
  });
  socket.on('room:left', ({ key }) => removeMember(key));
  socket.on('session:replaced', () => {
    state.phase = 'left';
    hangUp();
    showProblem('replaced');
  });
}

async function joinRoom() {
  const ack = await state.socket.emitWithAck('room:join', {});
  if (!ack.ok) return showProblem(ack.error.code);
  state.self = ack.self;
  for (const member of ack.members) {
    state.members.set(member.key, member);
    memberTile(member);
  }
  state.relay = new RelayConnection(state.socket, ack.ice_servers, {
    onTrack,
    onState: (pcState) => setPhase(pcState === 'connected' ? 'connected' : pcState === 'failed' ? 'failed' : 'connecting'),
  });
  await publishMedia();
}

async function enterRoom() {
  const auth = credentials();
  if (!auth) return showProblem('link_invalid');
  setPhase('connecting');
  await startLocalMedia();
  renderControls();
  const socket = io('/session', { auth, transports: ['websocket'], reconnection: false });
  state.socket = socket;
  wireSocket(socket);
  socket.on('connect', () => joinRoom().catch(() => showProblem('generic')));
}

wireLanguageSwitch();
onLanguageChange(() => {
  setPhase(state.phase);
  renderControls();
  for (const member of state.members.values()) memberTile(member);
});
enterRoom();
window.palabreRoom = state; // for diagnostics and browser tests
