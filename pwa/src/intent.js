// One Idempotency-Key per user intent: a retry of the same submit (same body, e.g. after a
// network error or a double tap) reuses the key, so the server replays its first answer instead
// of acting twice. Changing what is submitted is a new intent and gets a new key.

const newKey = () => globalThis.crypto.randomUUID();

export class Intent {
  #key = null;
  #body = null;

  /** The key to send with this body. */
  keyFor(body) {
    const serialised = JSON.stringify(body ?? null);
    if (this.#key === null || serialised !== this.#body) {
      this.#key = newKey();
      this.#body = serialised;
    }
    return this.#key;
  }

  /** The intent was carried out (or the person gave up): the next submit is a new intent. */
  done() {
    this.#key = null;
    this.#body = null;
  }
}
