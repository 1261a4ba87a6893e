// The chat info panel. `infoSections` is the registry of what it shows, in order: each section
// says which chats it applies to and renders itself, so channels, shared media or bot commands
// add a section instead of changing the panel.

import { describe } from '../actions.js';
import { confirmDialog, h, icon, iconButton, rafThrottle, replace, toast } from '../dom.js';
import { fullName, lastSeen, plural } from '../format.js';
import { avatar, peerOnline, userRow } from './common.js';
import { userSearch } from './pickers.js';

const ROLE = { creator: 'owner', admin: 'admin' };

export const infoSections = [
  { id: 'header', applies: () => true, render: headerSection },
  { id: 'about', applies: (d) => d.chat.kind === 'private', render: aboutSection },
  { id: 'members', applies: (d) => d.chat.kind === 'group', render: membersSection },
  { id: 'group-actions', applies: (d) => d.chat.kind === 'group', render: groupActions },
];

export function registerInfoSection(section, before = null) {
  const at = before ? infoSections.findIndex((s) => s.id === before) : -1;
  infoSections.splice(at < 0 ? infoSections.length : at, 0, section);
}

/**
 * Pages the panel can show instead of its sections (a channel's admins, members, links ...):
 * id -> {title, render(dialog, ctx, panel, data) -> element}. `panel.openPage(id, data)` opens
 * one, its back button returns to the sections (or to the page before).
 */
export const infoPages = {};

export class InfoPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.chatId = null;
    this.body = h('div', { class: 'info-body' });
    this.heading = h('h2', { text: 'Info' });
    this.pages = []; // the stack of open pages: [{id, data}]
    this.backBtn = iconButton('back', 'Back to info', () => this.back(), 'page-back');
    this.closeBtn = iconButton('close', 'Close', () => ctx.app.closeInfo());
    this.el = h('aside', { class: 'info-panel', 'aria-label': 'Chat info' },
      h('div', { class: 'panel-head' }, this.closeBtn, this.backBtn, this.heading),
      this.body);
    this.render = rafThrottle(() => this.draw());
    const s = ctx.store;
    for (const name of ['users', 'members', 'dialogs', 'chat-changed', 'photos', 'chat-info']) s.on(name, (id) => { if (this.chatId !== null && (typeof id !== 'number' || id === this.chatId)) this.render(); });
  }

  show(chatId) {
    if (this.chatId !== chatId) this.pages = [];
    this.chatId = chatId;
    this.renaming = false;
    const s = this.ctx.store;
    const dialog = s.dialogs.get(chatId);
    if (s.isBig(dialog)) this.ctx.actions.fullChannel(chatId, { force: true }).catch(() => {});
    else if (!s.members.has(chatId)) this.ctx.actions.refreshDialog(chatId);
    if (dialog && s.photos) { // photos change without an event: look again when the panel opens
      if (dialog.chat.kind === 'private') s.photos.refreshUser(dialog.peer_user_id);
      else s.photos.refreshChat(chatId);
    }
    this.draw();
  }

  openPage(id, data = {}) {
    this.pages.push({ id, data });
    this.body.scrollTop = 0;
    this.draw(true);
  }

  back() {
    this.pages.pop();
    this.draw(true);
  }

  draw(force = false) {
    const dialog = this.ctx.store.dialogs.get(this.chatId);
    if (!dialog) { replace(this.body); return; }
    const page = this.pages[this.pages.length - 1];
    this.el.classList.toggle('on-page', !!page);
    const focused = this.body.contains(document.activeElement) ? document.activeElement : null;
    if (!force && focused && ['INPUT', 'TEXTAREA'].includes(focused.tagName) && focused.value) return; // do not wipe what is being typed
    if (page && infoPages[page.id]) {
      if (!force) return; // a page keeps what it shows (and what is typed in it) until reopened
      const def = infoPages[page.id];
      this.heading.textContent = typeof def.title === 'function' ? def.title(dialog, this.ctx) : def.title;
      const el = def.render(dialog, this.ctx, this, page.data);
      replace(this.body, el);
      return;
    }
    this.heading.textContent = { group: 'Group Info', supergroup: 'Group Info', channel: 'Channel Info' }[dialog.chat.kind] || 'User Info';
    replace(this.body, infoSections.filter((sec) => sec.applies(dialog, this.ctx)).map((sec) => {
      const el = sec.render(dialog, this.ctx, this);
      if (el) el.classList.add('info-section', `section-${sec.id}`);
      return el;
    }));
  }
}

function headerSection(dialog, ctx, panel) {
  const s = ctx.store;
  const big = s.isBig(dialog);
  const isGroup = dialog.chat.kind === 'group' || big;
  let sub;
  if (big) sub = plural(dialog.chat.member_count || 0, dialog.chat.kind === 'channel' ? 'subscriber' : 'member');
  else if (isGroup) sub = plural((s.members.get(dialog.chat.id) || []).length || dialog.chat.member_count || 0, 'member');
  else if (s.isSaved(dialog)) sub = 'your cloud storage';
  else sub = lastSeen(s.user(dialog.peer_user_id));
  const title = s.title(dialog);
  const titleEl = panel.renaming ? renameForm(dialog, ctx, panel) : h('div', { class: 'info-title' },
    h('span', { text: title }),
    isGroup && (!big || s.may(dialog.chat.id, 'change_info')) && !dialog.preview
      ? iconButton('pencil', dialog.chat.kind === 'channel' ? 'Rename channel' : 'Rename group', () => { panel.renaming = true; panel.draw(); }, 'rename-btn') : null);
  const me = (s.members.get(dialog.chat.id) || []).find((m) => m.user_id === s.me.id);
  const canEdit = big ? s.may(dialog.chat.id, 'change_info') && !dialog.preview : isGroup && me && (me.role === 'creator' || me.role === 'admin');
  const pic = avatar(s, { dialog, size: 'xl', online: peerOnline(s, dialog) });
  return h('div', {}, canEdit ? photoPicker(pic, s.photos.chats.get(dialog.chat.id),
    (file) => ctx.actions.setPhoto(file, dialog.chat.id), () => ctx.actions.removePhoto(dialog.chat.id), 'Set group photo') : pic, titleEl,
  h('div', { class: `info-sub ${sub === 'online' ? 'accent' : ''}`, text: sub }));
}

/**
 * An avatar that sets the photo when clicked (a file picker for an image), with "Remove" when
 * there is one. `set(file)` and `remove()` do the work; errors show as toasts.
 */
export function photoPicker(pic, current, set, remove, label) {
  const input = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp,image/gif,image/bmp', class: 'file-input', tabindex: '-1' });
  const wrap = h('div', { class: 'photo-picker' });
  input.addEventListener('change', async () => {
    const file = input.files[0];
    input.value = '';
    if (!file) return;
    wrap.classList.add('busy');
    try {
      await set(file);
    } catch (err) {
      toast(describe(err, 'The photo was not set'), 'error');
    } finally {
      wrap.classList.remove('busy');
    }
  });
  const button = h('button', { type: 'button', class: 'photo-pick-btn', 'aria-label': label, title: label, onclick: () => input.click() },
    pic, h('span', { class: 'photo-pick-overlay' }, icon('camera')));
  wrap.append(button, input);
  if (current) {
    wrap.append(h('button', { type: 'button', class: 'btn-link photo-remove', text: 'Remove photo', onclick: async () => {
      const ok = await confirmDialog({ title: 'Remove photo', text: 'Remove the current photo?', ok: 'Remove', danger: true });
      if (!ok) return;
      try { await remove(); } catch (err) { toast(describe(err), 'error'); }
    } }));
  }
  return wrap;
}

function renameForm(dialog, ctx, panel) {
  const input = h('input', { class: 'picker-input', type: 'text', value: dialog.chat.title, maxLength: 128, 'aria-label': 'Group name' });
  const save = async (e) => {
    e.preventDefault();
    const title = input.value.trim();
    panel.renaming = false;
    if (title && title !== dialog.chat.title) {
      try {
        await ctx.actions.rename(dialog.chat.id, title);
      } catch (err) {
        toast(describe(err, 'The group was not renamed'), 'error');
      }
    }
    input.value = '';
    panel.draw();
  };
  setTimeout(() => { input.focus(); input.select(); }, 0);
  return h('form', { class: 'rename-form', onsubmit: save }, input,
    h('button', { type: 'submit', class: 'btn-small', text: 'Save' }));
}

function infoRow(iconName, value, label) {
  return h('div', { class: 'info-row' }, icon(iconName), h('div', {}, h('div', { class: 'info-value', text: value }), h('div', { class: 'info-label', text: label })));
}

function aboutSection(dialog, ctx) {
  const s = ctx.store;
  const user = s.user(dialog.peer_user_id);
  if (!user) return null;
  const rows = [];
  if (user.username) rows.push(infoRow('at', `@${user.username}`, 'Username'));
  if (user.phone) rows.push(infoRow('phone', user.phone, 'Phone'));
  if (user.bio) rows.push(infoRow('info', user.bio, 'Bio'));
  if (!rows.length) return null;
  return h('div', {}, rows);
}

function membersSection(dialog, ctx, panel) {
  const s = ctx.store;
  const chatId = dialog.chat.id;
  const members = s.members.get(chatId) || [];
  const me = members.find((m) => m.user_id === s.me.id);
  const canRemove = (m) => me && m.user_id !== s.me.id && m.role !== 'creator'
    && (me.role === 'creator' || (me.role === 'admin' && m.role === 'member') || (m.inviter_id === s.me.id && m.role === 'member'));
  const order = (m) => (m.role === 'creator' ? 0 : m.role === 'admin' ? 1 : 2);
  const sorted = [...members].sort((a, b) => order(a) - order(b)
    || Number(!!s.users.get(b.user_id)?.online) - Number(!!s.users.get(a.user_id)?.online));
  const rows = sorted.map((m) => {
    const user = s.user(m.user_id) || { id: m.user_id, first_name: '…' };
    const extra = [];
    if (ROLE[m.role]) extra.push(h('span', { class: 'role', text: ROLE[m.role] }));
    if (canRemove(m)) {
      extra.push(iconButton('remove', `Remove ${fullName(user)}`, async (e) => {
        e.stopPropagation();
        const ok = await confirmDialog({ title: 'Remove member', text: `Remove ${fullName(user)} from the group?`, ok: 'Remove', danger: true });
        if (!ok) return;
        try {
          await ctx.actions.removeMember(chatId, m.user_id);
        } catch (err) {
          toast(describe(err, 'Not removed'), 'error');
        }
      }, 'remove-member'));
    }
    return userRow(s, user, { sub: lastSeen(user), extra, cls: 'member',
      onclick: user.is_self ? null : () => ctx.app.openUser(user.id) });
  });
  const adder = h('div', { class: 'add-member' });
  const openAdder = () => {
    const search = userSearch(ctx, {
      placeholder: 'Add member by @username',
      exclude: (u) => members.some((m) => m.user_id === u.id),
      pick: async (u) => {
        try {
          await ctx.actions.addMembers(chatId, [u.id]);
          toast(`${fullName(u)} was added`);
          search.reset();
        } catch (err) {
          toast(describe(err, 'Not added'), 'error');
        }
      },
    });
    replace(adder, search.el);
  };
  return h('div', {},
    h('div', { class: 'section-title' }, h('span', { text: 'Members' }),
      h('button', { type: 'button', class: 'btn-link add-member-btn', onclick: openAdder }, icon('addperson'), h('span', { text: 'Add' }))),
    adder, h('div', { class: 'members' }, rows));
}

function groupActions(dialog, ctx) {
  return h('div', {},
    h('button', { type: 'button', class: 'row-btn', onclick: () => ctx.actions.togglePin(dialog.chat.id) },
      icon('pin'), h('span', { text: dialog.pinned ? 'Unpin chat' : 'Pin chat' })),
    h('button', { type: 'button', class: 'row-btn danger', onclick: () => ctx.app.leaveGroup(dialog.chat.id) },
      icon('logout'), h('span', { text: 'Leave group' })));
}
