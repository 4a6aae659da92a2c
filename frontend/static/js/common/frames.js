// Which frame-transform API this browser has for end-to-end encrypted media: 'script'
// (RTCRtpScriptTransform), 'streams' (createEncodedStreams) or null (neither: the case's
// setting decides whether it may take part). The join page asks before the consent step,
// the room before it opens the camera.
const FORCE_KEY = 'palabre.frameApi';

function forcedApi() {
  try {
    return globalThis.localStorage ? globalThis.localStorage.getItem(FORCE_KEY) : null;
  } catch {
    return null; // storage blocked: no forcing
  }
}

export function frameTransformSupport() {
  const streams =
    typeof RTCRtpSender !== 'undefined' &&
    typeof RTCRtpSender.prototype.createEncodedStreams === 'function' &&
    typeof RTCRtpReceiver !== 'undefined' &&
    typeof RTCRtpReceiver.prototype.createEncodedStreams === 'function';
  if (streams && forcedApi() === 'streams') return 'streams';
  if (typeof RTCRtpScriptTransform === 'function' && typeof Worker === 'function') return 'script';
  return streams ? 'streams' : null;
}
