// The update sequence, as src/steppe/client.py does it: `seq` counts the account's own events,
// `pts` each chat's. An event is applied when it is the next one, skipped when already seen, and a
// gap makes us ask updates.getDifference for exactly what was missed.

export class Sync {
  constructor(call, apply) {
    this.call = call; // (method, params) => Promise
    this.apply = apply; // (event) => void, called once per event, in order
    this.seq = null;
    this.pts = new Map();
    this.buffer = [];
    this.syncing = null;
    this.resync = false;
  }

  /** Start from the server's current state (a fresh device). */
  async init() {
    const state = await this.call('updates.getState', {});
    this.seq = state.seq;
    this.pts = new Map(Object.entries(state.chats).map(([k, v]) => [Number(k), v]));
    const early = this.buffer;
    this.buffer = [];
    for (const event of early) this.handle(event);
  }

  /** A snapshot (a dialog) already shows everything up to `pts`: events up to it are skipped. */
  known(chatId, pts) {
    if (this.seq === null) return;
    if (pts > (this.pts.get(chatId) ?? -1)) this.pts.set(chatId, pts);
  }

  handle(event) {
    if (this.seq === null) {
      this.buffer.push(event);
      return;
    }
    if ('pts' in event && 'chat_id' in event && event.type !== 'join_chat') {
      const local = this.pts.get(event.chat_id);
      if (local === undefined || event.pts > local + 1) this.gap();
      else if (event.pts === local + 1) {
        this.pts.set(event.chat_id, event.pts);
        this.apply(event);
      }
    } else if ('seq' in event) {
      if (event.seq > this.seq + 1) this.gap();
      else if (event.seq === this.seq + 1) this.applyUser(event);
    } else {
      this.apply(event); // typing, online status: nothing to keep in step
    }
  }

  applyUser(event) {
    this.seq = event.seq;
    if (event.type === 'join_chat') {
      const chatId = event.chat.id;
      this.pts.set(chatId, Math.max(this.pts.get(chatId) ?? 0, event.pts));
    } else if (event.type === 'leave_chat') {
      this.pts.delete(event.chat_id);
    }
    this.apply(event);
  }

  /** Fetch what is missing; also what a reconnect calls. Returns the running catch-up. */
  gap() {
    if (this.syncing) {
      this.resync = true;
      return this.syncing;
    }
    this.syncing = this.catchUp()
      .catch((err) => this.onError(err))
      .finally(() => { this.syncing = null; });
    return this.syncing;
  }

  onError(err) {
    console.warn('catching up failed', err);
  }

  /** Ask for the difference until nothing is missing. */
  async catchUp() {
    if (this.seq === null) return;
    for (;;) {
      this.resync = false;
      const pts = {};
      for (const [k, v] of this.pts) pts[k] = v;
      const diff = await this.call('updates.getDifference', { seq: this.seq, pts });
      for (const event of diff.user_events) {
        if (event.seq === this.seq + 1) this.applyUser(event);
      }
      for (const chat of diff.chats) {
        if (chat.too_long) {
          this.pts.set(chat.chat_id, chat.pts);
          this.apply({ type: 'too_long', chat_id: chat.chat_id });
          continue;
        }
        for (const event of chat.events) this.handle(event);
      }
      for (const chatId of diff.left || []) {
        if (this.pts.has(chatId)) {
          this.pts.delete(chatId);
          this.apply({ type: 'left_chat_gone', chat_id: chatId });
        }
      }
      if (!diff.more && !this.resync) return;
    }
  }
}
