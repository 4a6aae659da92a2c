// Camera and microphone check before entering: preview, device choice, sound level.
import { h, mount } from '../common/dom.js';
import { offLanguageChange, onLanguageChange, t } from '../common/i18n.js';

export async function openMedia(cameraId, microphoneId) {
  const video = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } };
  if (cameraId) video.deviceId = { exact: cameraId };
  const audio = microphoneId ? { deviceId: { exact: microphoneId } } : true;
  try {
    return await navigator.mediaDevices.getUserMedia({ audio, video });
  } catch {
    try {
      return await navigator.mediaDevices.getUserMedia({ audio, video: false });
    } catch {
      return new MediaStream();
    }
  }
}

function levelMeter(stream, bar) {
  const track = stream.getAudioTracks()[0];
  if (!track || !window.AudioContext) return () => {};
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
  const data = new Uint8Array(analyser.fftSize);
  let running = true;
  const draw = () => {
    if (!running) return;
    analyser.getByteTimeDomainData(data);
    let peak = 0;
    for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
    bar.style.width = `${Math.min(100, (peak / 64) * 100)}%`;
    requestAnimationFrame(draw);
  };
  draw();
  return () => {
    running = false;
    context.close();
  };
}

// Resolves with the chosen MediaStream when the person clicks "enter".
export function deviceCheck(main, { enterLabelKey, titleKey = 'devices.title' }) {
  return new Promise((resolve) => {
    let stream = null;
    let stopMeter = () => {};
    const preview = h('video', { autoplay: true, playsinline: true, muted: true, class: 'preview', id: 'preview' });
    preview.muted = true;
    const cameras = h('select', { id: 'camera-select' });
    const microphones = h('select', { id: 'microphone-select' });
    const bar = h('span', { class: 'level-bar' });
    const status = h('p', { class: 'muted', id: 'device-status' });
    const enter = h('button', { type: 'button', class: 'primary', id: 'enter', disabled: true });
    const title = h('h1');
    const intro = h('p');
    const cameraLabel = h('label', { for: 'camera-select' });
    const microphoneLabel = h('label', { for: 'microphone-select' });
    const level = h('div', { class: 'level' }, bar);
    const notice = h('p', { class: 'notice' });
    let statusKeys = [];
    // every text of the step, again when the language changes while it is on screen
    const paint = () => {
      title.textContent = t(titleKey);
      intro.textContent = t('devices.intro');
      cameraLabel.textContent = t('devices.camera');
      microphoneLabel.textContent = t('devices.microphone');
      level.title = t('devices.level');
      notice.textContent = t('room.noRecording');
      enter.textContent = t(enterLabelKey);
      status.textContent = statusKeys.map((key) => t(key)).join(' ');
    };
    paint();
    onLanguageChange(paint);

    const start = async () => {
      if (stream) for (const track of stream.getTracks()) track.stop();
      stopMeter();
      stream = await openMedia(cameras.value, microphones.value);
      preview.srcObject = stream;
      stopMeter = levelMeter(stream, bar);
      const missing = [];
      if (!stream.getVideoTracks().length) missing.push('devices.noCamera');
      if (!stream.getAudioTracks().length) missing.push('devices.noMicrophone');
      statusKeys = missing.length ? missing : ['devices.ok'];
      paint();
    };
    const fill = async () => {
      const devices = await navigator.mediaDevices.enumerateDevices();
      const fillSelect = (select, kind) => {
        const current = select.value;
        select.replaceChildren(...devices.filter((d) => d.kind === kind).map((d, i) =>
          h('option', { value: d.deviceId, selected: d.deviceId === current }, d.label || `${t(`devices.${kind}`)} ${i + 1}`)));
      };
      fillSelect(cameras, 'videoinput');
      fillSelect(microphones, 'audioinput');
    };
    cameras.addEventListener('change', start);
    microphones.addEventListener('change', start);
    enter.addEventListener('click', () => {
      offLanguageChange(paint);
      stopMeter();
      resolve(stream || new MediaStream());
    });
    mount(main, h('section', { class: 'card narrow device-check', id: 'device-check' },
      title,
      intro,
      // side by side on a desktop, so the button stays in sight; one column on a phone
      h('div', { class: 'device-grid' },
        preview,
        h('div', { class: 'device-side' },
          h('div', { class: 'field' }, cameraLabel, cameras),
          h('div', { class: 'field' }, microphoneLabel, microphones),
          level,
          status,
          notice,
          enter))));
    start().then(fill).finally(() => {
      enter.disabled = false;
    });
  });
}
