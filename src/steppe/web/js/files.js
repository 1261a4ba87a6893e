// Files: uploads in 512 KiB parts (XMLHttpRequest, for progress and abort; resumed from
// upload.status after a failure), signed download URLs (batched, cached, refreshed when they
// expire) and the current profile photos behind avatars.

import { ApiError, Emitter, NETWORK } from './api.js';

export const PHOTO_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/bmp']);
export const PHOTO_MAX = 10 * 1024 * 1024;
const PARALLEL_PARTS = 3;
const PART_ATTEMPTS = 3;
const URL_LIFE = 50 * 60 * 1000; // signed URLs live an hour: use them for 50 minutes

export const CANCELLED = 'UPLOAD_CANCELLED';

/** A name the server accepts: no path separators or control characters, at most 255 bytes. */
export function safeName(name) {
  let out = String(name || 'file').replace(/[/\\\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '_').trim();
  if (out === '.' || out === '..' || !out) out = 'file';
  while (new TextEncoder().encode(out).length > 255) out = out.slice(0, -1);
  return out;
}

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

/** Can this file go as a photo (the server decodes it with Pillow)? */
export function photoCapable(file) {
  return PHOTO_TYPES.has(file.type) && file.size > 0 && file.size <= PHOTO_MAX;
}

/** The smallest size at least `px` wide (or tall), else the largest. */
export function pickSize(sizes, px) {
  const list = [...(sizes || [])].filter((s) => s.type !== 's' || px <= 90).sort((a, b) => Math.max(a.w, a.h) - Math.max(b.w, b.h));
  return list.find((s) => Math.max(s.w, s.h) >= px) || list[list.length - 1] || null;
}

export function largest(sizes) {
  return [...(sizes || [])].sort((a, b) => b.w * b.h - a.w * a.h)[0] || null;
}

/**
 * One file going up. `run()` uploads what the server does not have yet (all of it the first
 * time, the missing parts after a failure) and resolves to the finished file; `cancel()` aborts.
 */
export class Upload extends Emitter {
  constructor(conn, file) {
    super();
    this.conn = conn;
    this.file = file;
    this.id = null;
    this.partSize = 0;
    this.parts = 0;
    this.loaded = new Map(); // part -> bytes sent
    this.xhrs = new Set();
    this.cancelled = false;
    this.result = null;
  }

  toJSON() { return { name: this.file.name, done: !!this.result }; }

  get progress() {
    if (this.result) return 1;
    let sent = 0;
    for (const n of this.loaded.values()) sent += n;
    return this.file.size ? Math.min(1, sent / this.file.size) : 0;
  }

  async run() {
    if (this.result) return this.result;
    this.check();
    let todo;
    if (this.id) {
      try {
        const status = await this.conn.call('upload.status', { upload_id: this.id });
        todo = status.missing;
        for (const part of todo) this.loaded.delete(part);
      } catch (err) {
        if (err.type === NETWORK) throw err;
        this.id = null; // forgotten by the server: start over
      }
    }
    if (!this.id) {
      const started = await this.conn.call('upload.start', {
        size: this.file.size, name: safeName(this.file.name), mime_type: this.file.type || '' });
      this.check();
      this.id = started.upload_id;
      this.partSize = started.part_size;
      this.parts = started.parts;
      this.loaded.clear();
      todo = [...Array(this.parts).keys()];
    }
    const queue = [...todo];
    const worker = async () => {
      while (queue.length) {
        const part = queue.shift();
        await this.sendPart(part);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, queue.length) }, worker));
    this.check();
    this.result = await this.finish();
    this.emit('progress', 1);
    return this.result;
  }

  async finish() {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.conn.call('upload.finish', { upload_id: this.id });
      } catch (err) {
        if (err.type !== 'UPLOAD_BUSY' || attempt > 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
  }

  check() {
    if (this.cancelled) throw new ApiError({ type: CANCELLED, message: 'Cancelled' });
  }

  async sendPart(part) {
    for (let attempt = 1; ; attempt += 1) {
      this.check();
      try {
        await this.post(part);
        return;
      } catch (err) {
        if (err.type === CANCELLED || attempt >= PART_ATTEMPTS || (err.code >= 400 && err.code < 500 && err.code !== 409)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 400 * attempt));
      }
    }
  }

  post(part) {
    const start = part * this.partSize;
    const blob = this.file.slice(start, Math.min(this.file.size, start + this.partSize));
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      this.xhrs.add(xhr);
      xhr.open('POST', `/api/upload/${encodeURIComponent(this.id)}/${part}`);
      xhr.setRequestHeader('authorization', `Bearer ${this.conn.token}`);
      xhr.setRequestHeader('content-type', 'application/octet-stream');
      xhr.upload.onprogress = (e) => {
        this.loaded.set(part, e.loaded);
        this.emit('progress', this.progress);
      };
      const done = (fn) => { this.xhrs.delete(xhr); fn(); };
      xhr.onload = () => done(() => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (err) { /* not JSON */ }
        if (xhr.status === 200 && body && body.result) {
          this.loaded.set(part, blob.size);
          this.emit('progress', this.progress);
          resolve();
        } else {
          this.loaded.delete(part);
          reject(new ApiError(body && body.error ? body.error : { code: xhr.status, type: 'UPLOAD_FAILED' }));
        }
      });
      xhr.onerror = () => done(() => { this.loaded.delete(part); reject(new ApiError({ code: 0, type: NETWORK, message: 'Connection lost' })); });
      xhr.onabort = () => done(() => reject(new ApiError({ type: CANCELLED, message: 'Cancelled' })));
      xhr.send(blob);
    });
  }

  cancel() {
    this.cancelled = true;
    for (const xhr of [...this.xhrs]) xhr.abort();
  }
}

/** Signed download URLs for file ids: asked for in batches, kept for 50 minutes. */
export class FileUrls {
  constructor(call) {
    this.call = call;
    this.cache = new Map(); // file id -> {url, until}
    this.waiting = new Map(); // file id -> [{resolve, reject}]
    this.timer = null;
  }

  /** The URL now, if we hold a fresh one. */
  cached(fileId) {
    const hit = this.cache.get(fileId);
    return hit && hit.until > Date.now() ? hit.url : null;
  }

  /** The URL (asks the server when needed; `fresh` forces a new one, e.g. after a 403). */
  get(fileId, { fresh = false } = {}) {
    if (fresh) this.cache.delete(fileId);
    const hit = this.cached(fileId);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      if (!this.waiting.has(fileId)) this.waiting.set(fileId, []);
      this.waiting.get(fileId).push({ resolve, reject });
      if (!this.timer) this.timer = setTimeout(() => this.flush(), 0);
    });
  }

  async flush() {
    this.timer = null;
    const batch = [...this.waiting.entries()].slice(0, 100);
    for (const [id] of batch) this.waiting.delete(id);
    if (this.waiting.size) this.timer = setTimeout(() => this.flush(), 0);
    let links = {};
    let failure = null;
    try {
      links = await this.call('files.getFileUrls', { file_ids: batch.map(([id]) => id) });
    } catch (err) {
      failure = err;
    }
    const until = Date.now() + URL_LIFE;
    for (const [id, waiters] of batch) {
      const link = links[id];
      if (link) this.cache.set(id, { url: link.path, until });
      for (const w of waiters) {
        if (link) w.resolve(link.path);
        else w.reject(failure || new ApiError({ code: 404, type: 'FILE_NOT_FOUND' }));
      }
    }
  }
}

/**
 * Show a file in an <img> (or <video>, <audio>): the signed URL now if cached, else when it
 * arrives; an expired URL (the element fails to load) is asked for again, once.
 */
export function bindSrc(urls, el, fileId, { onload } = {}) {
  let retried = false;
  const set = (url) => { if (url && el.getAttribute('src') !== url) el.src = url; };
  el.addEventListener('error', () => {
    if (retried || !el.getAttribute('src')) return;
    retried = true;
    urls.get(fileId, { fresh: true }).then(set, () => {});
  });
  if (onload) el.addEventListener('load', onload);
  const now = urls.cached(fileId);
  if (now) set(now);
  else urls.get(fileId).then(set, () => el.classList.add('failed'));
  return el;
}

/** A link that downloads the file: the href is filled in, and renewed on click when stale. */
export function bindDownload(urls, a, fileId) {
  const now = urls.cached(fileId);
  if (now) a.href = now;
  else urls.get(fileId).then((url) => { a.href = url; }, () => {});
  a.addEventListener('click', (e) => {
    if (urls.cached(fileId) && a.getAttribute('href') === urls.cached(fileId)) return;
    e.preventDefault();
    urls.get(fileId).then((url) => { a.href = url; a.click(); }, () => {});
  });
  return a;
}

/** The current profile photos of users and chats, asked for in batches (avatars). */
export class Photos extends Emitter {
  constructor(call) {
    super();
    this.call = call;
    this.users = new Map(); // user id -> photo | null
    this.chats = new Map();
    this.askUsers = new Set();
    this.askChats = new Set();
    this.timer = null;
  }

  /** The photo if known (null: none; undefined: not known yet, and now asked for). */
  user(id) {
    if (this.users.has(id)) return this.users.get(id);
    this.want(this.askUsers, id);
    return undefined;
  }

  chat(id) {
    if (this.chats.has(id)) return this.chats.get(id);
    this.want(this.askChats, id);
    return undefined;
  }

  refreshUser(id) { this.users.delete(id); this.want(this.askUsers, id); }

  refreshChat(id) { this.chats.delete(id); this.want(this.askChats, id); }

  setUser(id, photo) { this.users.set(id, photo || null); this.emit('changed', { user: id }); }

  setChat(id, photo) { this.chats.set(id, photo || null); this.emit('changed', { chat: id }); }

  want(set, id) {
    if (!id) return;
    set.add(id);
    if (!this.timer) this.timer = setTimeout(() => this.flush(), 10);
  }

  async flush() {
    this.timer = null;
    const users = [...this.askUsers].slice(0, 100);
    const chats = [...this.askChats].slice(0, 100 - users.length);
    users.forEach((id) => this.askUsers.delete(id));
    chats.forEach((id) => this.askChats.delete(id));
    if (this.askUsers.size || this.askChats.size) this.timer = setTimeout(() => this.flush(), 10);
    if (!users.length && !chats.length) return;
    try {
      const got = await this.call('photos.getCurrentPhotos', { user_ids: users, chat_ids: chats });
      for (const id of users) this.users.set(id, (got.users || {})[id] || null);
      for (const id of chats) this.chats.set(id, (got.chats || {})[id] || null);
      const changed = users.some((id) => this.users.get(id)) || chats.some((id) => this.chats.get(id));
      if (changed) this.emit('changed', {});
    } catch (err) {
      for (const id of users) this.users.set(id, null); // no avatar photo rather than asking again and again
      for (const id of chats) this.chats.set(id, null);
    }
  }
}
