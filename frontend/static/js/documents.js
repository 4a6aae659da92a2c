// Placeholder until the documents tool lands (same interface as every workspace tool).
export class DocumentsPanel {
  constructor(container) {
    this.el = container;
  }

  roomChanged() {}

  shown() {}

  destroy() {}
}
