// Placeholder until the whiteboard tool lands (same interface as every workspace tool).
export class Whiteboard {
  constructor(container) {
    this.el = container;
  }

  roomChanged() {}

  shown() {}

  destroy() {}
}
