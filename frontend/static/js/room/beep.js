// A short, soft two-tone chime for the mediator when someone waits in the lobby (no audio file).
export function chime() {
  if (!window.AudioContext) return;
  const context = new AudioContext();
  const gain = context.createGain();
  gain.gain.value = 0.08;
  gain.connect(context.destination);
  [660, 880].forEach((frequency, i) => {
    const osc = context.createOscillator();
    osc.frequency.value = frequency;
    osc.connect(gain);
    osc.start(context.currentTime + i * 0.18);
    osc.stop(context.currentTime + i * 0.18 + 0.16);
  });
  setTimeout(() => context.close(), 800);
}
