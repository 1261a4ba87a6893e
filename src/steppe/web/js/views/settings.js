// Settings, shown over the chat list: profile, username (checked as you type), appearance,
// two-step password, active sessions, log out.

import { describe } from '../actions.js';
import { confirmDialog, debounce, h, icon, iconButton, replace, toast } from '../dom.js';
import { formatTime, fullName, listDate } from '../format.js';
import { avatar } from './common.js';
import { photoPicker } from './info.js';

function section(title, ...children) {
  return h('section', { class: 'settings-section' }, title ? h('h3', { text: title }) : null, children);
}

function input(label, props = {}) {
  const el = h(props.multiline ? 'textarea' : 'input', { class: 'field-input', placeholder: ' ', ...props, multiline: undefined });
  return { input: el, el: h('label', { class: 'field' }, el, h('span', { class: 'field-label', text: label })) };
}

export class SettingsPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.body = h('div', { class: 'settings-body' });
    this.el = h('div', { class: 'sidebar-panel settings' },
      h('div', { class: 'panel-head' }, iconButton('back', 'Back', () => ctx.app.closeSettings()), h('h2', { text: 'Settings' }),
        iconButton('logout', 'Log out', () => this.logOut(), 'logout-btn')),
      this.body);
    ctx.store.on('me', () => { if (this.open) this.drawProfileCard(); });
    ctx.store.on('photos', () => { if (this.open) this.drawProfileCard(); });
    ctx.store.on('sessions', () => { if (this.open) this.loadSessions(); });
    ctx.store.on('password', () => { if (this.open) this.drawPassword(); });
  }

  show() {
    this.open = true;
    this.draw();
    this.loadSessions();
    this.loadPassword();
  }

  hide() {
    this.open = false;
  }

  draw() {
    this.card = h('div', { class: 'profile-card' });
    this.password = h('div', { class: 'password-box' });
    this.sessions = h('div', { class: 'sessions' }, h('div', { class: 'muted', text: 'Loading…' }));
    replace(this.body, this.card, this.profileForm(), this.usernameForm(), this.appearance(),
      section('Two-Step Verification', this.password),
      section('Active Sessions', this.sessions),
      h('button', { type: 'button', class: 'row-btn danger', onclick: () => this.logOut() }, icon('logout'), h('span', { text: 'Log Out' })));
    this.drawProfileCard();
    this.drawPassword();
  }

  drawProfileCard() {
    const me = this.ctx.store.me;
    const { actions, store } = this.ctx;
    const pic = photoPicker(avatar(store, { user: me, size: 'xl' }), store.photos.users.get(me.id),
      (file) => actions.setPhoto(file), () => actions.removePhoto(), 'Set profile photo');
    replace(this.card, pic,
      h('div', { class: 'info-title', text: fullName(me) }),
      h('div', { class: 'info-sub', text: [me.phone, me.username ? `@${me.username}` : ''].filter(Boolean).join(' · ') }));
  }

  profileForm() {
    const me = this.ctx.store.me;
    const first = input('First name', { type: 'text', value: me.first_name || '', maxLength: 64, name: 'first_name' });
    const last = input('Last name', { type: 'text', value: me.last_name || '', maxLength: 64, name: 'last_name' });
    const bio = input('Bio', { multiline: true, rows: 2, maxLength: 70, name: 'bio' });
    bio.input.value = me.bio || '';
    const left = h('span', { class: 'counter', text: String(70 - bio.input.value.length) });
    bio.input.addEventListener('input', () => { left.textContent = String(70 - bio.input.value.length); });
    const form = h('form', { class: 'settings-form', onsubmit: async (e) => {
      e.preventDefault();
      try {
        const user = await this.ctx.actions.call('account.updateProfile', {
          first_name: first.input.value, last_name: last.input.value, about: bio.input.value });
        this.ctx.store.putUsers([{ ...user, is_self: true }]);
        this.ctx.store.emit('me');
        toast('Profile saved');
      } catch (err) {
        toast(describe(err, 'Not saved'), 'error');
      }
    } }, first.el, last.el, h('div', { class: 'with-counter' }, bio.el, left),
    h('p', { class: 'hint', text: 'Any details such as age, occupation or city. Example: 23 y.o. designer from Almaty.' }),
    h('button', { type: 'submit', class: 'btn-primary', text: 'Save profile' }));
    return section('Your Info', form);
  }

  usernameForm() {
    const me = this.ctx.store.me;
    const field = input('Username', { type: 'text', value: me.username || '', maxLength: 32, name: 'username', autocomplete: 'off', spellcheck: 'false' });
    const status = h('p', { class: 'hint username-status', 'aria-live': 'polite' });
    const say = (text, cls = '') => { status.textContent = text; status.className = `hint username-status ${cls}`; };
    let seq = 0;
    const check = debounce(async (value) => {
      const mine = ++seq;
      try {
        const free = await this.ctx.actions.call('account.checkUsername', { username: value });
        if (mine === seq) say(free ? `${value} is available.` : 'This username is already taken.', free ? 'ok' : 'bad');
      } catch (err) {
        if (mine === seq) say(err.type === 'USERNAME_INVALID' ? 'Use 5–32 characters: a–z, 0–9 and underscores, starting with a letter.' : describe(err), 'bad');
      }
    }, 300);
    field.input.addEventListener('input', () => {
      const value = field.input.value.trim().replace(/^@/, '');
      seq += 1;
      const current = this.ctx.store.me.username || '';
      if (!value) say(current ? 'Saving an empty username removes it.' : '');
      else if (value.toLowerCase() === current.toLowerCase()) say('This is your username.', 'ok');
      else { say('Checking…'); check(value); }
    });
    const form = h('form', { class: 'settings-form', onsubmit: async (e) => {
      e.preventDefault();
      try {
        const user = await this.ctx.actions.call('account.updateUsername', { username: field.input.value.trim().replace(/^@/, '') });
        this.ctx.store.putUsers([{ ...user, is_self: true }]);
        this.ctx.store.emit('me');
        say(user.username ? `Saved: people can now find you as @${user.username}.` : 'Username removed.', 'ok');
      } catch (err) {
        say(describe(err), 'bad');
      }
    } }, h('div', { class: 'at-field' }, field.el), status,
    h('p', { class: 'hint', text: 'People can find you by this username and contact you without knowing your phone number.' }),
    h('button', { type: 'submit', class: 'btn-primary', text: 'Save username' }));
    return section('Username', form);
  }

  appearance() {
    const toggle = h('input', { type: 'checkbox', class: 'switch', checked: document.documentElement.dataset.theme === 'dark',
      'aria-label': 'Night mode', onchange: () => this.ctx.app.setTheme(toggle.checked ? 'dark' : 'light') });
    this.themeToggle = toggle;
    return section('Appearance', h('label', { class: 'row-btn toggle-row' }, icon('moon'), h('span', { text: 'Night mode' }), toggle));
  }

  async loadPassword() {
    try {
      this.ctx.store.password = await this.ctx.actions.call('account.getPassword', {});
    } catch (err) {
      this.ctx.store.password = null;
    }
    this.drawPassword();
  }

  drawPassword() {
    if (!this.password) return;
    const pw = this.ctx.store.password;
    if (!pw) { replace(this.password, h('div', { class: 'muted', text: 'Loading…' })); return; }
    const status = h('div', { class: 'row-btn static' }, icon('lock'),
      h('span', { text: 'Additional password' }), h('span', { class: `pill ${pw.has_password ? 'on' : ''}`, text: pw.has_password ? 'On' : 'Off' }));
    const current = input('Current password', { type: 'password', autocomplete: 'current-password', name: 'current_password' });
    const next = input(pw.has_password ? 'New password' : 'Password', { type: 'password', autocomplete: 'new-password', name: 'new_password' });
    const again = input('Repeat password', { type: 'password', autocomplete: 'new-password', name: 'repeat_password' });
    const hint = input('Hint (optional)', { type: 'text', maxLength: 64, name: 'hint' });
    const submit = async (remove) => {
      if (!remove && next.input.value !== again.input.value) { toast('The passwords do not match', 'error'); return; }
      if (!remove && !next.input.value) { toast('Enter a password', 'error'); return; }
      const params = { hint: remove ? '' : hint.input.value, new_password: remove ? null : next.input.value };
      if (pw.has_password) params.current_password = current.input.value;
      try {
        this.ctx.store.password = { ...(await this.ctx.actions.call('account.updatePasswordSettings', params)), hint: params.hint };
        toast(remove ? 'Password removed' : 'Password saved');
        this.drawPassword();
      } catch (err) {
        toast(describe(err, 'Not saved'), 'error');
      }
    };
    const form = h('form', { class: 'settings-form', onsubmit: (e) => { e.preventDefault(); submit(false); } },
      pw.has_password ? current.el : null, next.el, again.el, hint.el,
      h('div', { class: 'form-buttons' },
        h('button', { type: 'submit', class: 'btn-primary', text: pw.has_password ? 'Change password' : 'Set password' }),
        pw.has_password ? h('button', { type: 'button', class: 'btn-secondary danger', text: 'Remove password', onclick: async () => {
          const ok = await confirmDialog({ title: 'Remove password', text: 'Signing in will need only the code again.', ok: 'Remove', danger: true });
          if (ok) submit(true);
        } }) : null));
    replace(this.password, status,
      h('p', { class: 'hint', text: 'With two-step verification, signing in on a new device asks for this password after the code.' }),
      form);
  }

  async loadSessions() {
    let list;
    try {
      list = await this.ctx.actions.call('account.getAuthorizations', {});
    } catch (err) {
      replace(this.sessions, h('div', { class: 'muted', text: describe(err) }));
      return;
    }
    list.sort((a, b) => Number(b.current) - Number(a.current) || b.last_active - a.last_active);
    const others = list.filter((a) => !a.current);
    const row = (a) => h('div', { class: 'session', dataset: { authId: String(a.id) } },
      h('div', { class: 'session-icon' }, icon('devices')),
      h('div', { class: 'row-body' },
        h('div', { class: 'row-title', text: a.app || deviceName(a.device) }),
        h('div', { class: 'row-sub', text: [deviceName(a.device), a.ip].filter(Boolean).join(' · ') }),
        h('div', { class: `row-sub ${a.current ? 'accent' : ''}`, text: a.current ? 'This device · online' : lastActive(a.last_active) })),
      a.current ? null : h('button', { type: 'button', class: 'btn-small danger', text: 'Terminate', onclick: async () => {
        const ok = await confirmDialog({ title: 'Terminate session', text: 'Sign this device out?', ok: 'Terminate', danger: true });
        if (!ok) return;
        try {
          await this.ctx.actions.call('account.resetAuthorization', { id: a.id });
          toast('Session terminated');
        } catch (err) {
          toast(describe(err), 'error');
        }
        this.loadSessions();
      } }));
    replace(this.sessions, list.map(row),
      others.length ? h('button', { type: 'button', class: 'row-btn danger', onclick: async () => {
        const ok = await confirmDialog({ title: 'Terminate sessions', text: 'Sign out every other device?', ok: 'Terminate', danger: true });
        if (!ok) return;
        await this.ctx.actions.attempt('auth.resetAuthorizations', {});
        this.loadSessions();
      } }, icon('close'), h('span', { text: 'Terminate all other sessions' })) : null);
  }

  async logOut() {
    const ok = await confirmDialog({ title: 'Log out', text: 'Are you sure you want to log out?', ok: 'Log out', danger: true });
    if (ok) this.ctx.app.logOut();
  }
}

function lastActive(unix) {
  if (!unix) return 'Not active yet';
  const day = listDate(unix);
  const time = formatTime(unix);
  return day === time ? `Last active at ${time}` : `Last active ${day} at ${time}`;
}

function deviceName(ua) {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Firefox\//.test(ua) ? 'Firefox' : /Safari\//.test(ua) ? 'Safari' : '';
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : '';
  if (browser || os) return [browser, os].filter(Boolean).join(' on ');
  return ua.slice(0, 48);
}
