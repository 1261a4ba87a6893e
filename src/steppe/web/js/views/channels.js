// Supergroups and channels: creating one, its info panel (description, public link, join, leave)
// and the admins' pages there: settings (title, description, public or private, signatures, slow
// mode, forum, discussion group, reactions), member permissions, administrators with individual
// rights and titles, members with filters, search and paging (restrict, ban until a date,
// remove), invite links (expiry, usage limit, approval; copy, revoke) and join requests, the
// admin log. Also joining by an invite link (#/join/HASH) and by @username.

import { describe } from '../actions.js';
import { append, confirmDialog, h, icon, modal, replace, showMenu, toast } from '../dom.js';
import { fullName, listDate, plural } from '../format.js';
import { avatar, userRow } from './common.js';
import { infoPages, registerInfoSection } from './info.js';
import { STANDARD_REACTIONS } from './posts.js';

const BIG = (d) => d.chat.kind === 'supergroup' || d.chat.kind === 'channel';
const peer = (chatId) => ({ chat_id: chatId });
const word = (d) => (d.chat.kind === 'channel' ? 'channel' : 'group');

const ADMIN_RIGHTS = {
  change_info: 'Change info', post_messages: 'Post messages', edit_messages: 'Edit messages of others',
  delete_messages: 'Delete messages of others', ban_users: 'Ban users', invite_users: 'Add members',
  pin_messages: 'Pin messages', manage_topics: 'Manage topics', add_admins: 'Add new admins', anonymous: 'Remain anonymous',
};
const CHANNEL_ADMIN = ['change_info', 'post_messages', 'edit_messages', 'delete_messages', 'invite_users', 'add_admins'];
const GROUP_ADMIN = ['change_info', 'delete_messages', 'ban_users', 'invite_users', 'pin_messages', 'manage_topics', 'add_admins', 'anonymous'];
const MEMBER_RIGHTS = {
  send_messages: 'Send messages', send_media: 'Send media', send_links: 'Send links', send_polls: 'Send polls',
  invite_users: 'Add members', pin_messages: 'Pin messages', change_info: 'Change group info', manage_topics: 'Create topics',
};
const SLOWMODE = [[0, 'Off'], [10, '10 s'], [30, '30 s'], [60, '1 min'], [300, '5 min'], [900, '15 min'], [3600, '1 h']];
const DURATIONS = [[0, 'Forever'], [3600, '1 hour'], [86400, '1 day'], [7 * 86400, '1 week'], [30 * 86400, '30 days']];

export function inviteUrl(link) {
  return `${location.origin}${location.pathname}#/join/${link}`;
}

async function copyText(text, what = 'Link copied') {
  try {
    await navigator.clipboard.writeText(text);
    toast(what);
  } catch (err) {
    toast('Copying is not allowed here', 'error');
  }
}

function when(unix) {
  return unix ? new Date(unix * 1000).toLocaleString() : '';
}

function switchRow(label, checked, onchange, { disabled = false, name = '' } = {}) {
  const input = h('input', { type: 'checkbox', class: 'switch', checked, disabled, 'aria-label': label, name: name || null, onchange: () => onchange(input.checked) });
  return { input, el: h('label', { class: 'row-btn toggle-row' }, h('span', { text: label }), input) };
}

function field(label, props = {}) {
  const el = h(props.multiline ? 'textarea' : 'input', { class: 'field-input', placeholder: ' ', ...props, multiline: undefined });
  return { input: el, el: h('label', { class: 'field' }, el, h('span', { class: 'field-label', text: label })) };
}

function select(label, options, value) {
  const el = h('select', { class: 'select', 'aria-label': label },
    options.map(([v, text]) => h('option', { value: String(v), text, selected: String(v) === String(value) })));
  return { input: el, el: h('label', { class: 'select-row' }, h('span', { text: label }), el) };
}

function rowButton(iconName, label, onclick, { count = null, danger = false } = {}) {
  return h('button', { type: 'button', class: `row-btn ${danger ? 'danger' : ''}`.trim(), onclick },
    icon(iconName), h('span', { text: label }), count !== null ? h('span', { class: 'row-count', text: String(count) }) : null);
}

// ---- creating ----------------------------------------------------------------------------------

/** New channel or supergroup: name, description, public @link or private, forum, comments. */
export function newChannelDialog(ctx, broadcast = true) {
  const m = modal({ title: broadcast ? 'New Channel' : 'New Supergroup', cls: 'picker new-channel' });
  const title = h('input', { class: 'picker-input title-input', type: 'text', placeholder: broadcast ? 'Channel name' : 'Group name',
    'aria-label': broadcast ? 'Channel name' : 'Group name', maxLength: 128 });
  const about = h('textarea', { class: 'field-input about-input', rows: 2, placeholder: 'Description (optional)', 'aria-label': 'Description', maxLength: 255 });
  const isPublic = h('input', { type: 'radio', name: 'visibility', value: 'public', 'aria-label': 'Public' });
  const isPrivate = h('input', { type: 'radio', name: 'visibility', value: 'private', checked: true, 'aria-label': 'Private' });
  const username = h('input', { class: 'picker-input title-input', type: 'text', placeholder: 'link', 'aria-label': 'Public link', maxLength: 32, autocomplete: 'off', spellcheck: false });
  const linkRow = h('div', { class: 'at-row', hidden: true }, h('span', { class: 'at-prefix', text: '@' }), username);
  const sync = () => { linkRow.hidden = !isPublic.checked; if (isPublic.checked) username.focus(); };
  isPublic.addEventListener('change', sync);
  isPrivate.addEventListener('change', sync);
  const forum = h('input', { type: 'checkbox' });
  const discussion = h('input', { type: 'checkbox', checked: true });
  const create = h('button', { type: 'button', class: 'btn-primary', text: 'Create', onclick: async () => {
    const name = title.value.trim();
    if (!name) { title.focus(); toast(broadcast ? 'Enter a channel name' : 'Enter a group name', 'error'); return; }
    const link = isPublic.checked ? username.value.trim().replace(/^@/, '') : '';
    if (isPublic.checked && !link) { username.focus(); toast('Choose a public link', 'error'); return; }
    create.disabled = true;
    try {
      const chatId = await ctx.actions.createChannel({ title: name, about: about.value.trim(), broadcast, forum: !broadcast && forum.checked,
        username: link, discussion: broadcast && discussion.checked });
      m.close();
      ctx.app.openChat(chatId);
    } catch (err) {
      create.disabled = false;
      toast(describe(err, 'Not created'), 'error');
    }
  } });
  append(m.body, [
    h('div', { class: 'group-title-row' }, h('div', { class: 'avatar avatar-md av-c5' }, icon(broadcast ? 'channel' : 'group')), title),
    about,
    h('div', { class: 'section-title', text: broadcast ? 'Channel type' : 'Group type' }),
    h('label', { class: 'check' }, isPrivate, h('span', { text: 'Private — joined by invite links' })),
    h('label', { class: 'check' }, isPublic, h('span', { text: 'Public — anyone finds it by @link' })),
    linkRow,
    broadcast ? h('label', { class: 'check' }, discussion, h('span', { text: 'Comments: add a discussion group' }))
      : h('label', { class: 'check' }, forum, h('span', { text: 'Topics: make it a forum' })),
    h('div', { class: 'modal-actions' }, create)]);
  setTimeout(() => title.focus(), 0);
}

/** Join by an invite link (#/join/HASH): what it leads to, then Join (or a request to join). */
export async function joinByLink(ctx, hash) {
  let info;
  try {
    info = await ctx.actions.checkInvite(hash);
  } catch (err) {
    toast(describe(err), 'error');
    return;
  }
  if (info.chat && ctx.store.dialogs.has(info.chat.id)) { ctx.app.openChat(info.chat.id); return; }
  if (info.chat) { await ctx.actions.loadChat(peer(info.chat.id)); ctx.app.openChat(info.chat.id); return; }
  const m = modal({ cls: 'confirm join-link' });
  const go = h('button', { type: 'button', class: 'btn-text', text: info.request_needed ? 'Request to join' : (info.kind === 'channel' ? 'Join channel' : 'Join group'),
    onclick: async () => {
      go.disabled = true;
      try {
        const chatId = await ctx.actions.importInvite(hash);
        m.close();
        if (chatId === null) toast('Your request to join was sent to the admins');
        else ctx.app.openChat(chatId);
      } catch (err) {
        go.disabled = false;
        toast(describe(err, 'Not joined'), 'error');
      }
    } });
  append(m.body, [avatar(ctx.store, { dialog: { chat: { id: 0, kind: info.kind, title: info.title } }, size: 'xl' }),
    h('h3', { class: 'join-title', text: info.title }),
    h('p', { class: 'muted', text: plural(info.member_count || 0, info.kind === 'channel' ? 'subscriber' : 'member') }),
    info.about ? h('p', { class: 'join-about', text: info.about }) : null,
    h('div', { class: 'modal-actions' }, h('button', { type: 'button', class: 'btn-text', text: 'Cancel', onclick: () => m.close() }), go)]);
}

// ---- the info panel's sections -------------------------------------------------------------

registerInfoSection({ id: 'channel-about', applies: BIG, render: aboutSection }, 'members');
registerInfoSection({ id: 'channel-manage', applies: (d, ctx) => BIG(d) && ctx.store.isAdmin(d.chat.id), render: manageSection }, 'members');
registerInfoSection({ id: 'channel-members', applies: (d, ctx) => d.chat.kind === 'supergroup' && ctx.store.isMember(d.chat.id) && !ctx.store.isAdmin(d.chat.id),
  render: memberListSection }, 'members');
registerInfoSection({ id: 'channel-actions', applies: BIG, render: actionsSection }, 'members');
registerInfoSection({ id: 'group-upgrade', applies: (d, ctx) => d.chat.kind === 'group' && d.chat.creator_id === ctx.store.me.id, render: upgradeSection });

function aboutSection(dialog, ctx) {
  const s = ctx.store;
  const info = s.info(dialog.chat.id);
  const rows = [];
  if (info && info.about) rows.push(h('div', { class: 'info-row' }, icon('info'), h('div', {}, h('div', { class: 'info-value about-text', text: info.about }), h('div', { class: 'info-label', text: 'Description' }))));
  if (info && info.username) {
    rows.push(h('div', { class: 'info-row clickable', role: 'button', tabindex: '0', title: 'Copy the link', onclick: () => copyText(`@${info.username}`, 'Username copied') },
      icon('at'), h('div', {}, h('div', { class: 'info-value', text: `@${info.username}` }), h('div', { class: 'info-label', text: 'Public link' }))));
  }
  if (info && info.linked_chat_id) {
    const linked = info.linked_chat_id;
    const title = s.chatName(linked);
    rows.push(h('div', { class: 'info-row clickable', role: 'button', tabindex: '0', onclick: async () => {
      try { await ctx.actions.preview(linked); ctx.app.openChat(linked); } catch (err) { toast(describe(err), 'error'); }
    } }, icon(dialog.chat.kind === 'channel' ? 'comment' : 'channel'), h('div', {}, h('div', { class: 'info-value', text: title }),
      h('div', { class: 'info-label', text: dialog.chat.kind === 'channel' ? 'Discussion group' : 'Linked channel' }))));
  }
  const me = s.standing(dialog.chat.id);
  if (dialog.preview || (me && me.status === 'left')) {
    rows.push(h('div', { class: 'info-join' }, h('button', { type: 'button', class: 'btn-primary', text: dialog.chat.kind === 'channel' ? 'Join Channel' : 'Join Group',
      onclick: async () => { try { await ctx.actions.join(dialog.chat.id); } catch (err) { toast(describe(err, 'Not joined'), 'error'); } } })));
  }
  if (me && me.status === 'restricted' && me.banned_rights) {
    const until = me.until_date ? ` until ${when(me.until_date)}` : '';
    rows.push(h('p', { class: 'hint restricted-note', text: `An admin restricted what you can do here${until}.` }));
  }
  return rows.length ? h('div', {}, rows) : null;
}

function manageSection(dialog, ctx, panel) {
  const s = ctx.store;
  const chatId = dialog.chat.id;
  const channel = dialog.chat.kind === 'channel';
  const items = [];
  if (s.may(chatId, 'change_info')) items.push(rowButton('pencil', channel ? 'Edit channel' : 'Edit group', () => panel.openPage('edit')));
  if (!channel && s.hasRight(chatId, 'ban_users')) items.push(rowButton('key', 'Permissions', () => panel.openPage('permissions')));
  items.push(rowButton('shield', 'Administrators', () => panel.openPage('members', { filter: 'admins' })));
  items.push(rowButton('group', channel ? 'Subscribers' : 'Members', () => panel.openPage('members', { filter: 'recent' }), { count: dialog.chat.member_count || 0 }));
  if (s.hasRight(chatId, 'ban_users')) items.push(rowButton('block', 'Removed users', () => panel.openPage('members', { filter: 'banned' })));
  if (s.hasRight(chatId, 'invite_users')) {
    items.push(rowButton('link', 'Invite links', () => panel.openPage('links')));
    items.push(rowButton('addperson', 'Join requests', () => panel.openPage('requests')));
  }
  items.push(rowButton('history', 'Recent actions', () => panel.openPage('log')));
  if (channel) items.push(rowButton('chart', 'Statistics', () => panel.openPage('channel-stats')));
  return h('div', {}, h('div', { class: 'section-title', text: 'Manage' }), items);
}

function memberListSection(dialog, ctx, panel) {
  return h('div', {}, rowButton('group', 'Members', () => panel.openPage('members', { filter: 'recent' }), { count: dialog.chat.member_count || 0 }));
}

function actionsSection(dialog, ctx) {
  const s = ctx.store;
  if (dialog.preview) return null;
  const me = s.standing(dialog.chat.id);
  return h('div', {},
    h('button', { type: 'button', class: 'row-btn', onclick: () => ctx.actions.togglePin(dialog.chat.id) },
      icon('pin'), h('span', { text: dialog.pinned ? 'Unpin chat' : 'Pin chat' })),
    me && me.status === 'creator' ? null : h('button', { type: 'button', class: 'row-btn danger', onclick: () => ctx.app.leaveGroup(dialog.chat.id) },
      icon('logout'), h('span', { text: dialog.chat.kind === 'channel' ? 'Leave channel' : 'Leave group' })));
}

function upgradeSection(dialog, ctx) {
  return h('div', {}, h('button', { type: 'button', class: 'row-btn', onclick: async () => {
    const ok = await confirmDialog({ title: 'Upgrade to supergroup', text: 'Members and history move to a supergroup with admins, permissions, invite links and up to 200,000 members.', ok: 'Upgrade' });
    if (!ok) return;
    try {
      const chatId = await ctx.actions.migrate(dialog.chat.id);
      ctx.app.openChat(chatId);
    } catch (err) {
      toast(describe(err, 'Not upgraded'), 'error');
    }
  } }, icon('up'), h('span', { text: 'Upgrade to supergroup' })));
}

// ---- pages: settings ---------------------------------------------------------------------------

infoPages.edit = { title: (d) => (d.chat.kind === 'channel' ? 'Edit Channel' : 'Edit Group'), render: editPage };

function editPage(dialog, ctx, panel) {
  const s = ctx.store;
  const chatId = dialog.chat.id;
  const channel = dialog.chat.kind === 'channel';
  const info = s.info(chatId) || {};
  const title = field(channel ? 'Channel name' : 'Group name', { type: 'text', value: dialog.chat.title, maxLength: 128, name: 'title' });
  const about = field('Description', { multiline: true, rows: 3, maxLength: 255, name: 'about' });
  about.input.value = info.about || '';
  const username = field('Public link (empty: private)', { type: 'text', value: info.username || '', maxLength: 32, name: 'username', autocomplete: 'off' });
  const out = h('div', { class: 'page edit-page' });
  const save = h('button', { type: 'button', class: 'btn-primary', text: 'Save', onclick: async () => {
    save.disabled = true;
    const tasks = [];
    if (title.input.value.trim() && title.input.value.trim() !== dialog.chat.title) tasks.push(() => ctx.actions.rename(chatId, title.input.value.trim()));
    if (about.input.value.trim() !== (info.about || '')) tasks.push(() => ctx.actions.call('messages.editChatAbout', { peer: peer(chatId), about: about.input.value.trim() }));
    const name = username.input.value.trim().replace(/^@/, '');
    if (name !== (info.username || '')) tasks.push(() => ctx.actions.call('channels.updateUsername', { peer: peer(chatId), username: name }));
    try {
      for (const task of tasks) await task();
      await ctx.actions.fullChannel(chatId, { force: true });
      toast(tasks.length ? 'Saved' : 'Nothing was changed');
      panel.back();
    } catch (err) {
      toast(describe(err, 'Not saved'), 'error');
    } finally {
      save.disabled = false;
    }
  } });
  const toggles = [];
  const toggle = async (method, params) => {
    try {
      await ctx.actions.call(method, { peer: peer(chatId), ...params });
      await ctx.actions.fullChannel(chatId, { force: true });
    } catch (err) {
      toast(describe(err, 'Not changed'), 'error');
    }
  };
  if (channel) {
    toggles.push(switchRow('Sign messages', !!info.signatures, (on) => toggle('channels.toggleSignatures', { enabled: on }), { name: 'signatures' }).el);
  } else {
    toggles.push(switchRow('Topics (forum)', !!info.forum, (on) => toggle('channels.toggleForum', { enabled: on }), { name: 'forum' }).el);
  }
  const sections = [h('section', { class: 'settings-section' }, title.el, about.el, username.el,
    h('p', { class: 'hint', text: 'With a public link anyone can find it by @link, read it and join. Without one it is private: people join by invite links.' }),
    save), h('section', { class: 'settings-section' }, h('h3', { text: 'Settings' }), toggles)];
  if (channel) sections.push(discussionSection(dialog, ctx, info));
  sections.push(reactionsSection(ctx, chatId, info));
  replace(out, sections);
  return out;
}

function discussionSection(dialog, ctx, info) {
  const s = ctx.store;
  const chatId = dialog.chat.id;
  const box = h('section', { class: 'settings-section' }, h('h3', { text: 'Discussion' }));
  if (info.linked_chat_id) {
    box.append(h('div', { class: 'row-btn static' }, icon('comment'), h('span', { text: s.chatName(info.linked_chat_id) })),
      h('button', { type: 'button', class: 'btn-secondary danger', text: 'Unlink group', onclick: async () => {
        try {
          await ctx.actions.call('channels.setDiscussionGroup', { broadcast: peer(chatId) });
          await ctx.actions.fullChannel(chatId, { force: true });
        } catch (err) { toast(describe(err), 'error'); }
      } }));
    return box;
  }
  const groups = s.sortedDialogs().filter((d) => d.chat.kind === 'supergroup');
  const pick = select('Group', [['', 'Choose a group…'], ...groups.map((d) => [d.chat.id, d.chat.title])], '');
  box.append(h('p', { class: 'hint', text: 'A supergroup where every post gets a comment thread.' }), pick.el,
    h('div', { class: 'form-buttons' },
      h('button', { type: 'button', class: 'btn-small', text: 'Link group', onclick: async () => {
        if (!pick.input.value) return;
        try {
          await ctx.actions.call('channels.setDiscussionGroup', { broadcast: peer(chatId), group: peer(Number(pick.input.value)) });
          await ctx.actions.fullChannel(chatId, { force: true });
        } catch (err) { toast(describe(err, 'Not linked'), 'error'); }
      } }),
      h('button', { type: 'button', class: 'btn-small', text: 'Create a new group', onclick: async () => {
        try {
          await ctx.actions.addDiscussion(chatId, dialog.chat.title, info.username || '');
          await ctx.actions.loadDialogs({ reset: true });
        } catch (err) { toast(describe(err, 'Not created'), 'error'); }
      } })));
  return box;
}

function reactionsSection(ctx, chatId, info) {
  const chosen = new Set(info.available_reactions || STANDARD_REACTIONS);
  const all = h('input', { type: 'checkbox', checked: !info.available_reactions });
  const grid = h('div', { class: 'reaction-grid' }, STANDARD_REACTIONS.map((r) => h('button', {
    type: 'button', class: `strip-btn ${chosen.has(r) ? 'chosen' : ''}`, text: r, 'aria-label': `Allow ${r}`, 'aria-pressed': String(chosen.has(r)),
    onclick: (e) => {
      if (chosen.has(r)) chosen.delete(r); else chosen.add(r);
      e.currentTarget.classList.toggle('chosen', chosen.has(r));
      e.currentTarget.setAttribute('aria-pressed', String(chosen.has(r)));
      all.checked = false;
    } })));
  const limit = select('Reactions per person', [1, 2, 3].map((n) => [n, String(n)]), info.reactions_limit || 1);
  return h('section', { class: 'settings-section' }, h('h3', { text: 'Reactions' }),
    h('label', { class: 'check' }, all, h('span', { text: 'All reactions' })), grid, limit.el,
    h('button', { type: 'button', class: 'btn-small', text: 'Save reactions', onclick: async () => {
      try {
        await ctx.actions.call('messages.setChatAvailableReactions', { peer: peer(chatId), reactions: all.checked ? null : [...chosen],
          limit: Number(limit.input.value) });
        await ctx.actions.fullChannel(chatId, { force: true });
        toast('Reactions saved');
      } catch (err) { toast(describe(err, 'Not saved'), 'error'); }
    } }));
}

// ---- pages: permissions ------------------------------------------------------------------------

infoPages.permissions = { title: 'Permissions', render: permissionsPage };

function permissionsPage(dialog, ctx, panel) {
  const chatId = dialog.chat.id;
  const info = ctx.store.info(chatId) || {};
  const denied = info.default_banned_rights || {};
  const boxes = Object.entries(MEMBER_RIGHTS).filter(([k]) => k !== 'manage_topics' || info.forum).map(([k, label]) => {
    const input = h('input', { type: 'checkbox', checked: !denied[k], name: k });
    return { k, input, el: h('label', { class: 'check' }, input, h('span', { text: label })) };
  });
  const slow = select('Slow mode', SLOWMODE, info.slowmode_seconds || 0);
  return h('div', { class: 'page' },
    h('section', { class: 'settings-section' }, h('h3', { text: 'What members can do' }), boxes.map((b) => b.el),
      h('button', { type: 'button', class: 'btn-primary', text: 'Save permissions', onclick: async () => {
        const rights = {};
        for (const b of boxes) if (!b.input.checked) rights[b.k] = true;
        try {
          await ctx.actions.call('messages.editChatDefaultBannedRights', { peer: peer(chatId), banned_rights: rights });
          await ctx.actions.fullChannel(chatId, { force: true });
          toast('Permissions saved');
        } catch (err) { toast(describe(err, 'Not saved'), 'error'); }
      } })),
    h('section', { class: 'settings-section' }, h('h3', { text: 'Slow mode' }), slow.el,
      h('p', { class: 'hint', text: 'Members can send one message per this interval. Admins are not limited.' }),
      h('button', { type: 'button', class: 'btn-small', text: 'Save slow mode', onclick: async () => {
        try {
          await ctx.actions.call('channels.toggleSlowMode', { peer: peer(chatId), seconds: Number(slow.input.value) });
          await ctx.actions.fullChannel(chatId, { force: true });
          toast('Slow mode saved');
        } catch (err) { toast(describe(err, 'Not saved'), 'error'); }
      } })));
}

// ---- pages: members, admins, removed users ---------------------------------------------------

const FILTERS = [['recent', 'All'], ['admins', 'Admins'], ['restricted', 'Restricted'], ['banned', 'Banned']];

infoPages.members = { title: (d) => (d.chat.kind === 'channel' ? 'Subscribers' : 'Members'), render: membersPage };

function statusText(p) {
  if (p.status === 'creator') return p.rank || 'owner';
  if (p.status === 'admin') return p.rank || 'admin';
  if (p.status === 'banned') return p.until_date ? `banned until ${when(p.until_date)}` : 'banned';
  if (p.status === 'restricted') return p.until_date ? `restricted until ${when(p.until_date)}` : 'restricted';
  return '';
}

function membersPage(dialog, ctx, panel, data) {
  const s = ctx.store;
  const chatId = dialog.chat.id;
  const channel = dialog.chat.kind === 'channel';
  const mayBan = s.hasRight(chatId, 'ban_users');
  let filter = data.filter || 'recent';
  let offset = 0;
  let total = 0;
  let seq = 0;
  const list = h('div', { class: 'members' });
  const count = h('div', { class: 'picker-status' });
  const more = h('button', { type: 'button', class: 'btn-link load-more', text: 'Show more', hidden: true, onclick: () => load(false) });
  const search = h('input', { class: 'picker-input', type: 'search', placeholder: channel ? 'Search subscribers' : 'Search members', 'aria-label': 'Search members' });
  let timer = null;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => load(true), 250); });
  const chips = h('div', { class: 'chips filters' });
  const drawChips = () => replace(chips, FILTERS.filter(([f]) => mayBan || f === 'recent' || f === 'admins').map(([f, label]) => h('button', {
    type: 'button', class: `chip ${f === filter ? 'on' : ''}`, text: label, 'aria-pressed': String(f === filter),
    onclick: () => { filter = f; data.filter = f; search.value = ''; drawChips(); load(true); } })));
  const addBtn = h('button', { type: 'button', class: 'btn-link', onclick: () => addPeople(ctx, dialog, filter === 'admins', () => load(true)) },
    icon(filter === 'admins' ? 'shield' : 'addperson'), h('span', { text: 'Add' }));
  const load = async (fresh) => {
    const mine = ++seq;
    if (fresh) offset = 0;
    const q = search.value.trim();
    let got;
    try {
      got = await ctx.actions.participants(chatId, { filter: q ? 'search' : filter, q, offset, limit: 50 });
    } catch (err) {
      if (mine === seq) replace(list, h('div', { class: 'picker-status', text: describe(err) }));
      return;
    }
    if (mine !== seq) return;
    total = got.count;
    const rows = got.participants.map((p) => memberRow(ctx, dialog, p, () => load(true)));
    if (fresh) replace(list, rows.length ? rows : h('div', { class: 'picker-status', text: 'Nobody here' }));
    else list.append(...rows);
    offset += got.participants.length;
    more.hidden = offset >= total || !got.participants.length;
    count.textContent = plural(total, filter === 'admins' && !q ? 'admin' : (channel ? 'subscriber' : 'member'));
  };
  drawChips();
  load(true);
  const canAdd = filter === 'admins' ? s.hasRight(chatId, 'add_admins') : s.may(chatId, 'invite_users');
  return h('div', { class: 'page members-page' },
    h('div', { class: 'page-tools' }, h('div', { class: 'picker-field' }, icon('search'), search), chips),
    h('div', { class: 'section-title' }, count, canAdd ? addBtn : null), list, more);
}

function memberRow(ctx, dialog, p, reload) {
  const s = ctx.store;
  const user = s.user(p.user_id) || { id: p.user_id, first_name: '…' };
  const extra = [];
  const status = statusText(p);
  if (status) extra.push(h('span', { class: 'role', text: status }));
  const actions = memberActions(ctx, dialog, p, user, reload);
  if (actions.length) extra.push(h('button', { type: 'button', class: 'icon-btn member-more', 'aria-label': `Manage ${fullName(user)}`,
    onclick: (e) => { e.stopPropagation(); const r = e.currentTarget.getBoundingClientRect(); showMenu(r.left - 180, r.bottom, actions); } }, icon('more')));
  return userRow(s, user, { sub: user.username ? `@${user.username}` : (user.is_bot ? 'bot' : ''), extra, cls: 'member',
    onclick: user.is_self ? null : () => ctx.app.openUser(user.id) });
}

function memberActions(ctx, dialog, p, user, reload) {
  const s = ctx.store;
  const chatId = dialog.chat.id;
  if (user.is_self || p.status === 'creator') return [];
  const me = s.standing(chatId);
  const out = [];
  const name = fullName(user);
  const run = async (fn, done) => {
    try { await fn(); toast(done); reload(); } catch (err) { toast(describe(err), 'error'); }
  };
  const inChat = ['admin', 'member', 'restricted'].includes(p.status);
  if (s.hasRight(chatId, 'add_admins') && inChat && (p.status !== 'admin' || me.status === 'creator' || p.promoted_by === s.me.id)) {
    out.push({ icon: 'shield', label: p.status === 'admin' ? 'Edit admin rights' : 'Promote to admin', action: () => adminDialog(ctx, dialog, p, user, reload) });
    if (p.status === 'admin') out.push({ icon: 'remove', label: 'Dismiss admin', action: () => run(() => ctx.actions.editAdmin(chatId, p.user_id, {}), `${name} is no longer an admin`) });
  }
  if (s.hasRight(chatId, 'ban_users') && p.status !== 'admin') {
    if (dialog.chat.kind === 'supergroup' && inChat) out.push({ icon: 'key', label: p.status === 'restricted' ? 'Edit restrictions' : 'Restrict', action: () => restrictDialog(ctx, dialog, p, user, reload) });
    if (p.status === 'banned' || p.status === 'restricted') {
      out.push({ icon: 'undo', label: p.status === 'banned' ? 'Unban' : 'Lift restrictions', action: () => run(() => ctx.actions.editBanned(chatId, p.user_id, {}), `${name}: done`) });
    }
    if (p.status !== 'banned') {
      if (inChat) {
        out.push({ icon: 'logout', label: `Remove from ${word(dialog)}`, danger: true, action: async () => {
          const ok = await confirmDialog({ title: 'Remove', text: `Remove ${name}? They can join again.`, ok: 'Remove', danger: true });
          if (ok) run(async () => { await ctx.actions.editBanned(chatId, p.user_id, { view_messages: true }); await ctx.actions.editBanned(chatId, p.user_id, {}); }, `${name} was removed`);
        } });
      }
      out.push({ icon: 'block', label: 'Ban', danger: true, action: () => banDialog(ctx, dialog, user, reload) });
    }
  }
  return out;
}

/** Add people: as members (channels.inviteToChannel), or members as admins. */
function addPeople(ctx, dialog, asAdmin, reload) {
  const chatId = dialog.chat.id;
  const m = modal({ title: asAdmin ? 'Add Admin' : 'Add Members', cls: 'picker' });
  const input = h('input', { class: 'picker-input', type: 'text', placeholder: asAdmin ? 'Search members' : 'Search by @username', 'aria-label': 'Search people', autocomplete: 'off' });
  const results = h('div', { class: 'picker-results' });
  let seq = 0;
  let timer = null;
  const run = async () => {
    const q = input.value.trim().replace(/^@/, '');
    const mine = ++seq;
    if (!q) { replace(results); return; }
    try {
      const people = asAdmin ? (await ctx.actions.participants(chatId, { filter: 'search', q })).participants
        .filter((p) => p.status !== 'creator').map((p) => ({ p, user: ctx.store.user(p.user_id) }))
        : (await ctx.actions.searchUsers(q)).map((u) => ({ p: null, user: u }));
      if (mine !== seq) return;
      replace(results, people.filter((x) => x.user && !x.user.is_self).map(({ p, user }) => userRow(ctx.store, user, { onclick: async () => {
        if (asAdmin) { m.close(); adminDialog(ctx, dialog, p, user, reload); return; }
        try {
          await ctx.actions.inviteToChannel(chatId, [user.id]);
          toast(`${fullName(user)} was added`);
          reload();
        } catch (err) { toast(describe(err, 'Not added'), 'error'); }
      } })));
      if (!results.childElementCount) results.append(h('div', { class: 'picker-status', text: 'Nobody found' }));
    } catch (err) {
      if (mine === seq) replace(results, h('div', { class: 'picker-status', text: describe(err) }));
    }
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 200); });
  m.body.append(h('div', { class: 'picker-field' }, icon('search'), input), results);
  setTimeout(() => input.focus(), 0);
}

/** An admin's individual rights and title. */
function adminDialog(ctx, dialog, p, user, reload) {
  const s = ctx.store;
  const chatId = dialog.chat.id;
  const names = dialog.chat.kind === 'channel' ? CHANNEL_ADMIN : GROUP_ADMIN.filter((k) => k !== 'manage_topics' || s.info(chatId)?.forum);
  const current = (p && p.admin_rights) || (p && p.status === 'admin' ? {} : { change_info: true, delete_messages: true, ban_users: true, invite_users: true,
    pin_messages: true, post_messages: true, edit_messages: true, manage_topics: true });
  const mine = s.standing(chatId);
  const m = modal({ title: p && p.status === 'admin' ? 'Admin Rights' : 'Promote to Admin', cls: 'picker rights-dialog' });
  const boxes = names.map((k) => {
    const allowed = mine.status === 'creator' || (mine.admin_rights && mine.admin_rights[k]);
    const input = h('input', { type: 'checkbox', checked: !!current[k] && allowed, disabled: !allowed, name: k });
    return { k, input, el: h('label', { class: 'check' }, input, h('span', { text: ADMIN_RIGHTS[k] })) };
  });
  const rank = h('input', { class: 'picker-input title-input', type: 'text', placeholder: 'Custom title (optional)', 'aria-label': 'Custom title', maxLength: 16, value: (p && p.rank) || '' });
  const save = h('button', { type: 'button', class: 'btn-primary', text: 'Save', onclick: async () => {
    const rights = {};
    for (const b of boxes) if (b.input.checked) rights[b.k] = true;
    if (!Object.keys(rights).length) { toast('Give at least one right, or dismiss the admin', 'error'); return; }
    try {
      await ctx.actions.editAdmin(chatId, user.id, rights, rank.value.trim());
      toast(`${fullName(user)} is an admin`);
      m.close();
      reload();
    } catch (err) { toast(describe(err, 'Not saved'), 'error'); }
  } });
  append(m.body, [userRow(s, user, { sub: p ? statusText(p) || 'member' : '' }), h('div', { class: 'section-title', text: 'What can this admin do?' }),
    boxes.map((b) => b.el), rank, h('p', { class: 'hint', text: 'The title shows next to their name in the group.' }), h('div', { class: 'modal-actions' }, save)]);
}

function untilSelect(label = 'For how long') {
  const sel = select(label, DURATIONS, 0);
  return { el: sel.el, value: () => { const secs = Number(sel.input.value); return secs ? Math.floor(Date.now() / 1000) + secs : 0; } };
}

/** Restrict a member: what they may not do, for how long. */
function restrictDialog(ctx, dialog, p, user, reload) {
  const chatId = dialog.chat.id;
  const denied = (p && p.banned_rights) || {};
  const m = modal({ title: 'Restrict', cls: 'picker rights-dialog' });
  const boxes = Object.entries(MEMBER_RIGHTS).map(([k, label]) => {
    const input = h('input', { type: 'checkbox', checked: !denied[k], name: k });
    return { k, input, el: h('label', { class: 'check' }, input, h('span', { text: label })) };
  });
  const until = untilSelect();
  const save = h('button', { type: 'button', class: 'btn-primary', text: 'Save', onclick: async () => {
    const rights = {};
    for (const b of boxes) if (!b.input.checked) rights[b.k] = true;
    try {
      await ctx.actions.editBanned(chatId, user.id, rights, until.value());
      toast(Object.keys(rights).length ? `${fullName(user)} is restricted` : 'Restrictions lifted');
      m.close();
      reload();
    } catch (err) { toast(describe(err, 'Not saved'), 'error'); }
  } });
  append(m.body, [userRow(ctx.store, user, {}), h('div', { class: 'section-title', text: 'What can this member do?' }), boxes.map((b) => b.el), until.el,
    h('div', { class: 'modal-actions' }, save)]);
}

function banDialog(ctx, dialog, user, reload) {
  const m = modal({ title: 'Ban', cls: 'picker' });
  const until = untilSelect('Ban for');
  m.body.append(userRow(ctx.store, user, {}), h('p', { class: 'hint', text: `They leave the ${word(dialog)} and cannot come back by link or @username until unbanned.` }), until.el,
    h('div', { class: 'modal-actions' }, h('button', { type: 'button', class: 'btn-primary danger-btn', text: 'Ban', onclick: async () => {
      try {
        await ctx.actions.editBanned(dialog.chat.id, user.id, { view_messages: true }, until.value());
        toast(`${fullName(user)} was banned`);
        m.close();
        reload();
      } catch (err) { toast(describe(err, 'Not banned'), 'error'); }
    } })));
}

// ---- pages: invite links and join requests -----------------------------------------------------

infoPages.links = { title: 'Invite Links', render: linksPage };

function linksPage(dialog, ctx) {
  const chatId = dialog.chat.id;
  const list = h('div', { class: 'links' }, h('div', { class: 'muted', text: 'Loading…' }));
  const revokedList = h('div', { class: 'links revoked' });
  const load = async () => {
    try {
      const [live, revoked] = await Promise.all([
        ctx.actions.call('messages.getExportedChatInvites', { peer: peer(chatId), limit: 100 }),
        ctx.actions.call('messages.getExportedChatInvites', { peer: peer(chatId), revoked: true, limit: 100 })]);
      replace(list, live.length ? live.map((l) => linkRow(l)) : h('div', { class: 'muted', text: 'No links yet.' }));
      replace(revokedList, revoked.length ? [h('div', { class: 'section-title', text: 'Revoked links' }), revoked.map((l) => linkRow(l))] : null);
    } catch (err) {
      replace(list, h('div', { class: 'muted', text: describe(err) }));
    }
  };
  const linkRow = (l) => {
    const now = Date.now() / 1000;
    const expired = l.expire_date && l.expire_date <= now;
    const bits = [l.usage_limit ? `${l.usage || 0} of ${l.usage_limit} joined` : plural(l.usage || 0, 'person', 'people') + ' joined'];
    if (l.request_needed) bits.push(`${l.requested || 0} waiting for approval`);
    if (l.expire_date) bits.push(expired ? 'expired' : `expires ${listDate(l.expire_date)}`);
    return h('div', { class: `invite ${l.revoked || expired ? 'dead' : ''}`.trim(), dataset: { link: l.link } },
      h('div', { class: 'invite-icon' }, icon('link')),
      h('div', { class: 'row-body' }, h('div', { class: 'row-title', text: l.title || inviteUrl(l.link).replace(/^https?:\/\//, '') }),
        h('div', { class: 'row-sub', text: bits.join(' · ') })),
      l.revoked ? h('button', { type: 'button', class: 'btn-small danger', text: 'Delete', onclick: async () => {
        try { await ctx.actions.call('messages.deleteExportedChatInvite', { peer: peer(chatId), link: l.link }); load(); } catch (err) { toast(describe(err), 'error'); }
      } }) : h('div', { class: 'invite-buttons' },
        h('button', { type: 'button', class: 'btn-small', text: 'Copy', onclick: () => copyText(inviteUrl(l.link)) }),
        h('button', { type: 'button', class: 'btn-small danger', text: 'Revoke', onclick: async () => {
          const ok = await confirmDialog({ title: 'Revoke link', text: 'Nobody can join by this link any more.', ok: 'Revoke', danger: true });
          if (!ok) return;
          try { await ctx.actions.call('messages.editExportedChatInvite', { peer: peer(chatId), link: l.link, revoked: true }); load(); } catch (err) { toast(describe(err), 'error'); }
        } })));
  };
  const title = h('input', { class: 'picker-input title-input', type: 'text', placeholder: 'Name (optional)', 'aria-label': 'Link name', maxLength: 32 });
  const expire = select('Expires', [[0, 'Never'], [3600, 'In 1 hour'], [86400, 'In 1 day'], [7 * 86400, 'In 1 week']], 0);
  const limit = h('input', { class: 'picker-input title-input limit-input', type: 'number', min: 0, max: 99999, placeholder: 'No limit', 'aria-label': 'Usage limit' });
  const approval = h('input', { type: 'checkbox', class: 'switch', 'aria-label': 'Approve new members' });
  approval.addEventListener('change', () => { limit.disabled = approval.checked; if (approval.checked) limit.value = ''; });
  const create = h('button', { type: 'button', class: 'btn-primary', text: 'Create link', onclick: async () => {
    const secs = Number(expire.input.value);
    try {
      const made = await ctx.actions.call('messages.exportChatInvite', { peer: peer(chatId), title: title.value.trim(),
        expire_date: secs ? Math.floor(Date.now() / 1000) + secs : 0, usage_limit: Number(limit.value) || 0, request_needed: approval.checked });
      title.value = '';
      limit.value = '';
      copyText(inviteUrl(made.link), 'Link created and copied');
      load();
    } catch (err) { toast(describe(err, 'Not created'), 'error'); }
  } });
  load();
  return h('div', { class: 'page links-page' },
    h('section', { class: 'settings-section' }, h('h3', { text: 'New link' }), title, expire.el,
      h('label', { class: 'select-row' }, h('span', { text: 'Usage limit' }), limit),
      h('label', { class: 'row-btn toggle-row' }, h('span', { text: 'Approve new members' }), approval), create),
    h('section', { class: 'settings-section' }, h('h3', { text: 'Links' }), list, revokedList));
}

infoPages.requests = { title: 'Join Requests', render: requestsPage };

function requestsPage(dialog, ctx) {
  const chatId = dialog.chat.id;
  const list = h('div', { class: 'members' }, h('div', { class: 'muted', text: 'Loading…' }));
  const load = async () => {
    try {
      const got = await ctx.actions.call('messages.getChatInviteImporters', { peer: peer(chatId), requested: true, limit: 100 });
      ctx.store.putUsers(got.users);
      replace(list, got.importers.length ? got.importers.map((r) => {
        const user = ctx.store.user(r.user_id) || { id: r.user_id, first_name: '…' };
        const decide = (approved) => async () => {
          try {
            await ctx.actions.call('messages.hideChatJoinRequest', { peer: peer(chatId), user_id: r.user_id, approved });
            toast(approved ? `${fullName(user)} was accepted` : 'Request declined');
            load();
          } catch (err) { toast(describe(err), 'error'); }
        };
        return userRow(ctx.store, user, { sub: r.about || `asked ${listDate(r.date)}`, cls: 'member request',
          extra: [h('button', { type: 'button', class: 'btn-small', text: 'Approve', onclick: decide(true) }),
            h('button', { type: 'button', class: 'btn-small danger', text: 'Decline', onclick: decide(false) })] });
      }) : h('div', { class: 'muted', text: 'No requests.' }));
    } catch (err) {
      replace(list, h('div', { class: 'muted', text: describe(err) }));
    }
  };
  load();
  return h('div', { class: 'page' }, h('section', { class: 'settings-section' },
    h('p', { class: 'hint', text: 'People who used a link that needs approval.' }), list));
}

// ---- pages: the admin log, a channel's statistics ----------------------------------------------

infoPages.log = { title: 'Recent Actions', render: logPage };

const LOG_TEXT = {
  info: (d) => `changed the ${d.field || 'info'}${d.new !== undefined && d.new !== null ? ` to “${d.new}”` : ''}`,
  settings: (d) => `changed ${String(d.field || 'settings').replace(/_/g, ' ')}`,
  admin: () => 'changed admin rights', ban: () => 'banned a user', restrict: () => 'restricted a user',
  delete: () => 'deleted a message', edit: () => 'edited a message', pin: (d) => (d.pinned === false ? 'unpinned a message' : 'pinned a message'),
  invite: () => 'changed an invite link', join: () => 'joined', leave: () => 'left', topic: () => 'changed a topic',
};

function logPage(dialog, ctx) {
  const list = h('div', { class: 'log' }, h('div', { class: 'muted', text: 'Loading…' }));
  ctx.actions.call('channels.getAdminLog', { peer: peer(dialog.chat.id), limit: 100 }).then((got) => {
    ctx.store.putUsers(got.users);
    replace(list, got.events.length ? got.events.map((e) => h('div', { class: 'log-row' },
      h('b', { text: fullName(ctx.store.user(e.user_id)) }), ' ', (LOG_TEXT[e.action] || (() => e.action))(e.data || {}),
      h('div', { class: 'row-sub', text: when(e.date) }))) : h('div', { class: 'muted', text: 'Nothing yet.' }));
  }, (err) => replace(list, h('div', { class: 'muted', text: describe(err) })));
  return h('div', { class: 'page' }, h('section', { class: 'settings-section' }, list));
}

infoPages['channel-stats'] = { title: 'Statistics', render: statsPage };

function statsPage(dialog, ctx) {
  const box = h('div', { class: 'channel-stats' }, h('div', { class: 'muted', text: 'Loading…' }));
  ctx.actions.call('stats.getBroadcastStats', { chat_id: dialog.chat.id, days: 30, posts: 20 }).then((st) => {
    const days = st.days.slice(-14);
    const top = Math.max(1, ...days.map((d) => d.subscribers));
    replace(box, h('div', { class: 'stat-cards' },
      h('div', { class: 'stat-card' }, h('b', { text: st.subscribers.toLocaleString() }), h('span', { text: 'subscribers' })),
      h('div', { class: 'stat-card' }, h('b', { text: String(st.mean_views) }), h('span', { text: 'views per post' })),
      h('div', { class: 'stat-card' }, h('b', { text: String(st.mean_forwards) }), h('span', { text: 'forwards per post' }))),
    h('div', { class: 'section-title', text: 'Subscribers, last 14 days' }),
    h('div', { class: 'bars' }, days.map((d) => { const b = h('div', { class: 'bar', title: `${d.date}: ${d.subscribers}` }); b.style.height = `${Math.round(d.subscribers * 100 / top)}%`; return b; })),
    h('div', { class: 'section-title', text: 'Recent posts' }),
    st.posts.map((p) => h('div', { class: 'post-stat' }, h('span', { class: 'post-stat-text', text: p.text || 'Post' }),
      h('span', { class: 'post-stat-num' }, icon('eye'), String(p.views)), h('span', { class: 'post-stat-num' }, icon('forward'), String(p.forwards)))));
  }, (err) => replace(box, h('div', { class: 'muted', text: describe(err) })));
  return h('div', { class: 'page' }, h('section', { class: 'settings-section' }, box));
}
