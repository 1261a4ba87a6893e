// Start-up: the theme, then either the sign-in flow or the signed-in app with its connection.

import { Connection, httpCall } from './api.js';
import { Actions } from './actions.js';
import './channel-actions.js';
import { FileUrls, Photos } from './files.js';
import { h, replace } from './dom.js';
import { Store } from './store.js';
import { Sync } from './sync.js';
import { AppView } from './views/app.js';
import { renderAuth } from './views/auth.js';

const TOKEN = 'steppe.token';
const THEME = 'steppe.theme';
const root = document.getElementById('app');

function applyTheme(theme) {
  const dark = theme ? theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

function setTheme(theme) {
  localStorage.setItem(THEME, theme);
  applyTheme(theme);
}

applyTheme(localStorage.getItem(THEME));

// Other tabs: follow the theme, and sign in or out together.
addEventListener('storage', (e) => {
  if (e.key === THEME) applyTheme(e.newValue);
  if (e.key === TOKEN && e.newValue !== current) location.reload();
});

let current = localStorage.getItem(TOKEN);

function signIn() {
  renderAuth(root, (result) => {
    localStorage.setItem(TOKEN, result.token);
    current = result.token;
    start(result.token, result.user);
  });
}

/** Forget the token and start over from a clean page (other tabs follow via `storage`). */
function restart() {
  localStorage.removeItem(TOKEN);
  current = null;
  history.replaceState(null, '', location.pathname);
  location.reload();
}

async function logOut(conn) {
  conn.stop();
  const bye = httpCall('auth.logOut', {}, current).catch(() => {});
  await Promise.race([bye, new Promise((resolve) => setTimeout(resolve, 2000))]);
  restart();
}

function start(token, user) {
  const store = new Store();
  const conn = new Connection(token);
  const sync = new Sync((method, params) => conn.call(method, params), (event) => store.apply(event));
  const actions = new Actions(conn, store, sync);
  const call = (method, params) => conn.call(method, params);
  store.urls = new FileUrls(call);
  store.photos = new Photos(call);
  store.photos.on('changed', () => store.emit('photos'));
  const ctx = { store, conn, sync, actions };
  window.__steppe = ctx; // for debugging in the console and for the browser tests
  if (user) store.putUsers([{ ...user, is_self: true }]);
  let started = false;

  conn.on('update', (event) => sync.handle(event));
  conn.on('state', (state) => {
    store.conn = state;
    store.emit('conn');
  });
  conn.on('unauthorized', () => {
    if (current === token) restart();
  });
  conn.on('open', async (me) => {
    store.putUsers([{ ...me, is_self: true }]);
    store.me = { ...store.users.get(me.id), is_self: true };
    if (!started) {
      started = true;
      mount();
      try {
        await sync.init();
        await actions.loadDialogs({ reset: true });
        app.fromHash();
      } catch (err) {
        console.error(err);
        started = false;
      }
      return;
    }
    store.syncing = true;
    store.emit('conn');
    await sync.gap();
    store.syncing = false;
    store.emit('conn');
  });

  let app = null;
  const mount = () => {
    if (app) return;
    app = new AppView(ctx, { setTheme, logOut: () => logOut(conn) });
    replace(root, app.el);
  };
  if (store.me) mount();
  else replace(root, h('div', { class: 'boot' }, h('div', { class: 'spinner' })));
  conn.start();
}

if (current) start(current, null);
else signIn();
