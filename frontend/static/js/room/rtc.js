// One RTCPeerConnection to Palabre's relay, used to publish and to subscribe.
//
// Contract with the relay: the page makes the first offer right after joining;
// afterwards the relay offers whenever the streams forwarded to us change, and
// we answer. When we offer again (screen share) and the relay's offer crosses
// ours, the relay refuses ours ('conflict'): we roll back, answer its offer,
// then offer again. Every step runs through one queue so they never interleave.
//
// Every frame we send and receive goes through the room's frame encryption (``keys``, a
// RoomKeys): the relay forwards frames it cannot read.

export class RelayConnection {
  // iceTransportPolicy 'relay': TURN only, when the deployment asks for it (rtc:ice says so).
  constructor(socket, iceServers, { onTrack, onState, keys, iceTransportPolicy = 'all' }) {
    this.socket = socket;
    this.keys = keys;
    this.onTrack = onTrack;
    this.onState = onState;
    this.queue = Promise.resolve();
    this.labels = new Map(); // MediaStreamTrack -> 'camera' | 'microphone' | 'screen'
    this.pc = new RTCPeerConnection({
      iceServers, iceTransportPolicy, bundlePolicy: 'max-bundle', ...keys.peerConnectionConfig(),
    });
    this.pc.addEventListener('track', (event) => {
      this.keys.attachReceiver(event.receiver); // before any of its frames reaches the decoder
      this.onTrack(event);
    });
    this.pc.addEventListener('connectionstatechange', () => this.onState(this.pc.connectionState));
    this.pc.addEventListener('icecandidate', (event) => {
      const candidate = event.candidate ? event.candidate.toJSON() : null;
      this.socket.emitWithAck('rtc:candidate', { candidate }).catch(() => {});
    });
    // A failed step is logged by the queue; a connection lost meanwhile starts again with
    // the next join (the relay sends a new offer), so nothing is left unhandled in the page.
    this.onServerOffer = (message) => {
      this.enqueue(() => this.answerServerOffer(message.sdp)).catch(() => {});
    };
    socket.on('rtc:offer', this.onServerOffer);
  }

  enqueue(step) {
    const run = this.queue.then(step);
    this.queue = run.catch((error) => console.warn('negotiation step failed', error));
    return run;
  }

  // Each published track gets its own send-only m-line: pc.addTrack() would recycle
  // one of the receiving transceivers the relay created, mixing two streams on one m-line.
  addTrack(track, stream, label) {
    this.labels.set(track, label);
    const { sender } = this.pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    this.keys.attachSender(sender, track.kind);
    return sender;
  }

  removeSender(sender) {
    if (sender.track) this.labels.delete(sender.track);
    this.pc.removeTrack(sender);
  }

  // Our offer, with the label of each transceiver we send on.
  negotiate() {
    return this.enqueue(() => this.offer());
  }

  async offer(attempt = 0) {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    const labels = {};
    for (const transceiver of this.pc.getTransceivers()) {
      const track = transceiver.sender.track;
      if (transceiver.mid && track && this.labels.has(track)) labels[transceiver.mid] = this.labels.get(track);
    }
    const ack = await this.socket.emitWithAck('rtc:offer', { sdp: this.pc.localDescription.sdp, labels });
    if (ack.ok) {
      await this.pc.setRemoteDescription({ type: 'answer', sdp: ack.sdp });
      return;
    }
    await this.pc.setLocalDescription({ type: 'rollback' });
    if (ack.error.code === 'conflict' && attempt < 5) {
      // The relay's own offer is on its way: let it be answered first, then retry.
      await new Promise((resolve) => setTimeout(resolve, 50));
      this.enqueue(() => this.offer(attempt + 1));
      return;
    }
    throw new Error(`offer refused: ${ack.error.code}`);
  }

  async answerServerOffer(sdp) {
    if (this.pc.signalingState === 'have-local-offer') {
      await this.pc.setLocalDescription({ type: 'rollback' });
    }
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    const ack = await this.socket.emitWithAck('rtc:answer', { sdp: this.pc.localDescription.sdp });
    if (!ack.ok) throw new Error(`answer refused: ${ack.error.code}`);
  }

  // Fresh TURN credentials: used by the next ICE gathering (a restart), the call goes on.
  useIceServers(iceServers) {
    this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
  }

  close() {
    this.socket.off('rtc:offer', this.onServerOffer);
    this.pc.close();
  }
}
