// Talking to the server: one call() for every method, over the WebSocket when it is open and
// over HTTP otherwise; the socket reconnects with exponential back-off and reports its state.

export class ApiError extends Error {
  constructor(error) {
    super(error.message || error.type || 'error');
    this.code = error.code || 0;
    this.type = error.type || 'UNKNOWN';
    this.hint = error.message || '';
    this.retryAfter = error.retry_after;
  }
}

export const NETWORK = 'NETWORK_ERROR';

export async function httpCall(method, params = {}, token = null) {
  const headers = { 'content-type': 'application/json', 'x-steppe-app': 'Steppe Web' };
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(`/api/${method}`, { method: 'POST', headers, body: JSON.stringify(params) });
  } catch (err) {
    throw new ApiError({ code: 0, type: NETWORK, message: 'The server cannot be reached' });
  }
  let body;
  try {
    body = await response.json();
  } catch (err) {
    throw new ApiError({ code: response.status, type: 'BAD_RESPONSE', message: 'Unexpected answer from the server' });
  }
  if (body.error) throw new ApiError(body.error);
  return body.result;
}

class Emitter {
  constructor() { this.handlers = new Map(); }
  on(name, fn) {
    if (!this.handlers.has(name)) this.handlers.set(name, new Set());
    this.handlers.get(name).add(fn);
    return () => this.handlers.get(name).delete(fn);
  }
  emit(name, value) {
    for (const fn of this.handlers.get(name) || []) {
      try { fn(value); } catch (err) { console.error(err); }
    }
  }
}
export { Emitter };

const CALL_TIMEOUT = 30000;

/**
 * One signed-in device. Events: 'state' ('connecting' | 'online' | 'offline'), 'open' (the user,
 * after every successful authorize), 'update' (a live event), 'unauthorized' (token refused).
 */
export class Connection extends Emitter {
  constructor(token) {
    super();
    this.token = token;
    this.ws = null;
    this.ready = false;
    this.state = 'connecting';
    this.nextId = 1;
    this.pending = new Map();
    this.delay = 500;
    this.timer = null;
    this.stopped = false;
    this.opens = 0;
    this.onOnline = () => this.reconnectNow();
    this.onOffline = () => this.drop();
    addEventListener('online', this.onOnline);
    addEventListener('offline', this.onOffline);
    this.lastFrame = Date.now();
    this.keepalive = setInterval(() => this.ping(), 15000);
  }

  /** A socket that stays silent may be dead without knowing it: ask, and drop it if no answer. */
  async ping() {
    if (!this.ready || Date.now() - this.lastFrame < 25000) return;
    const ws = this.ws;
    try {
      await Promise.race([this.send(ws, 'help.getConfig', {}),
        new Promise((resolve, reject) => setTimeout(() => reject(new Error('silent')), 10000))]);
    } catch (err) {
      if (ws === this.ws) this.drop();
    }
  }

  /** Give up on the current socket now (the network went away) and start reconnecting. */
  drop() {
    const ws = this.ws;
    if (!ws) return;
    try { ws.close(); } catch (err) { /* already closing */ }
    this.closed(ws, 1006);
  }

  start() { this.open(); }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.keepalive);
    removeEventListener('online', this.onOnline);
    removeEventListener('offline', this.onOffline);
    if (this.ws) this.ws.close(1000);
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', state);
  }

  open() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.setState('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.authorize(ws);
    ws.onmessage = (e) => this.frame(e.data);
    ws.onclose = (e) => this.closed(ws, e.code);
  }

  async authorize(ws) {
    try {
      const user = await this.send(ws, 'connection.authorize', { token: this.token });
      if (ws !== this.ws) return;
      this.ready = true;
      this.delay = 500;
      this.opens += 1;
      this.setState('online');
      this.emit('open', user);
    } catch (err) {
      if (err.code === 401) {
        this.stop();
        this.emit('unauthorized', err);
      } else {
        ws.close();
      }
    }
  }

  frame(raw) {
    this.lastFrame = Date.now();
    let msg;
    try { msg = JSON.parse(raw); } catch (err) { return; }
    if (msg.update) {
      this.emit('update', msg.update);
      return;
    }
    const waiting = this.pending.get(msg.id);
    if (!waiting) return;
    this.pending.delete(msg.id);
    clearTimeout(waiting.timer);
    if (msg.error) waiting.reject(new ApiError(msg.error));
    else waiting.resolve(msg.result);
  }

  closed(ws, code) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.ready = false;
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const waiting of lost) {
      clearTimeout(waiting.timer);
      waiting.lost();
    }
    if (code === 4001) {
      this.stop();
      this.emit('unauthorized', new ApiError({ code: 401, type: 'AUTH_KEY_UNREGISTERED' }));
      return;
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (this.stopped) return;
    this.setState(navigator.onLine === false ? 'offline' : 'connecting');
    const wait = this.delay * (1 + Math.random() * 0.3);
    this.delay = Math.min(this.delay * 2, 30000);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), wait);
    if (this.delay > 2000) this.setState('offline');
  }

  reconnectNow() {
    if (this.stopped || this.ready) return;
    this.delay = 500;
    if (this.ws) this.ws.close();
    else this.open();
  }

  send(ws, method, params) {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ApiError({ code: 0, type: NETWORK, message: 'The server did not answer in time' }));
      }, CALL_TIMEOUT);
      const lost = () => reject(new ApiError({ code: 0, type: NETWORK, message: 'Connection lost' }));
      this.pending.set(id, { resolve, reject, timer, lost });
      ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Call a method: on the socket when it is ready, else over HTTP (one retry if the socket dies). */
  async call(method, params = {}) {
    if (this.ready && this.ws && this.ws.readyState === WebSocket.OPEN) {
      try {
        return await this.send(this.ws, method, params);
      } catch (err) {
        if (err.type !== NETWORK) throw err;
      }
    }
    try {
      return await httpCall(method, params, this.token);
    } catch (err) {
      if (err.code === 401 && err.type.startsWith('AUTH_KEY')) {
        this.stop();
        this.emit('unauthorized', err);
      }
      throw err;
    }
  }
}
