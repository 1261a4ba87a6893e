// Modal pickers: find a person by @username (new message), create a group, pick a chat to
// forward to. `userSearch` is the search-as-you-type list they share with the group info panel.

import { describe } from '../actions.js';
import { debounce, h, icon, modal, replace, toast } from '../dom.js';
import { fullName, plural } from '../format.js';
import { avatar, userRow } from './common.js';

/** An input that searches users by username; `pick(user)` is called on a click or Enter. */
export function userSearch(ctx, { placeholder = 'Search by @username', pick, exclude = () => false, autofocus = true, onChannel = null }) {
  const results = h('div', { class: 'picker-results', role: 'list' });
  const status = h('div', { class: 'picker-status' });
  let found = [];
  let seq = 0;
  const show = () => {
    const list = found.filter((u) => !exclude(u));
    replace(results, list.map((u) => userRow(ctx.store, u, { onclick: () => pick(u) })));
  };
  const run = debounce(async (q) => {
    const mine = ++seq;
    try {
      const users = await ctx.actions.searchUsers(q);
      if (mine !== seq) return;
      found = users;
      status.textContent = users.length ? '' : 'Nobody found with this username';
    } catch (err) {
      if (mine !== seq) return;
      found = [];
      status.textContent = describe(err);
    }
    show();
  }, 200);
  const input = h('input', { class: 'picker-input', type: 'text', placeholder, 'aria-label': placeholder, autocomplete: 'off',
    oninput: () => {
      const q = input.value.trim().replace(/^@/, '');
      status.textContent = q ? 'Searching…' : '';
      if (!q) { seq += 1; found = []; show(); return; }
      if (/^\+?\d[\d\s()-]*$/.test(q)) { seq += 1; found = []; show(); status.textContent = 'Press Enter to look up this phone number'; return; }
      run(q);
    },
    onkeydown: async (e) => {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      const q = input.value.trim().replace(/^@/, '');
      if (!q) return;
      if (/^\+?\d[\d\s()-]{5,}$/.test(q)) { // a phone number: find the person through the contacts
        try {
          const res = await ctx.actions.call('contacts.importContacts', { contacts: [{ phone: q }] });
          ctx.store.putUsers(res.imported);
          if (res.imported.length) pick(res.imported[0]);
          else status.textContent = 'Nobody has an account with this number';
        } catch (err) {
          status.textContent = describe(err);
        }
        return;
      }
      const exact = found.find((u) => (u.username || '').toLowerCase() === q.toLowerCase());
      if (exact) { pick(exact); return; }
      try {
        pick(await ctx.actions.resolve(q));
      } catch (err) {
        if (onChannel) { // not a person: a public group or channel?
          try {
            onChannel(await ctx.actions.resolveChannel(q));
            return;
          } catch (again) { /* say what the person lookup said */ }
        }
        status.textContent = describe(err);
      }
    } });
  if (autofocus) setTimeout(() => input.focus(), 0);
  return { input, el: h('div', { class: 'user-search' }, h('div', { class: 'picker-field' }, icon('search'), input), status, results),
    reset: () => { input.value = ''; found = []; status.textContent = ''; show(); } };
}

export function newMessageDialog(ctx) {
  const m = modal({ title: 'New Message', cls: 'picker' });
  const search = userSearch(ctx, {
    pick: async (user) => {
      m.close();
      await ctx.app.openUser(user.id);
    },
    onChannel: async (found) => {
      m.close();
      await ctx.app.openPublicChat(found.chat.id);
    },
  });
  m.body.append(h('p', { class: 'picker-help', text: 'Find people by @username (or a public group or channel by its @link and Enter), or type a phone number and press Enter (they join your contacts).' }), search.el);
}

export function newGroupDialog(ctx) {
  const m = modal({ title: 'New Group', cls: 'picker' });
  const chosen = new Map();
  const chips = h('div', { class: 'chips' });
  const drawChips = () => replace(chips, [...chosen.values()].map((u) => h('button', {
    type: 'button', class: 'chip', title: 'Remove', onclick: () => { chosen.delete(u.id); drawChips(); },
  }, avatar(ctx.store, { user: u, size: 'xs' }), h('span', { text: fullName(u) }), icon('close'))));
  const search = userSearch(ctx, {
    placeholder: 'Add people by @username',
    exclude: (u) => chosen.has(u.id) || u.is_self,
    pick: (u) => { if (!u.is_self) chosen.set(u.id, u); drawChips(); search.reset(); search.input.focus(); },
  });
  const title = h('input', { class: 'picker-input title-input', type: 'text', placeholder: 'Group name', 'aria-label': 'Group name', maxLength: 128 });
  const create = h('button', { type: 'button', class: 'btn-primary', onclick: async () => {
    if (!title.value.trim()) { title.focus(); toast('Enter a group name', 'error'); return; }
    create.disabled = true;
    try {
      const chatId = await ctx.actions.createGroup(title.value.trim(), [...chosen.keys()]);
      m.close();
      ctx.app.openChat(chatId);
    } catch (err) {
      create.disabled = false;
      toast(describe(err, 'The group was not created'), 'error');
    }
  } }, h('span', { text: 'Create' }));
  m.body.append(h('div', { class: 'group-title-row' }, h('div', { class: 'avatar avatar-md av-c5' }, icon('group')), title),
    chips, search.el, h('div', { class: 'modal-actions' }, create));
  setTimeout(() => title.focus(), 0);
}

/** Pick a chat; resolves to its id or null. */
export function pickChat(ctx, title = 'Forward to…') {
  return new Promise((resolve) => {
    let picked = null;
    const m = modal({ title, cls: 'picker', onclose: () => resolve(picked) });
    const list = h('div', { class: 'picker-results', role: 'list' });
    const draw = () => {
      const q = input.value.trim().toLowerCase();
      const dialogs = ctx.store.sortedDialogs().filter((d) => ctx.store.title(d).toLowerCase().includes(q));
      replace(list, dialogs.map((d) => h('div', { class: 'row', role: 'button', tabindex: '0', dataset: { chatId: String(d.chat.id) },
        onclick: () => { picked = d.chat.id; m.close(); } },
      avatar(ctx.store, { dialog: d }),
      h('div', { class: 'row-body' }, h('div', { class: 'row-title', text: ctx.store.title(d) }),
        h('div', { class: 'row-sub', text: d.chat.kind === 'private' ? 'private chat'
          : plural(d.chat.member_count || 0, d.chat.kind === 'channel' ? 'subscriber' : 'member') })))));
      if (!dialogs.length) list.append(h('div', { class: 'picker-status', text: 'No chats' }));
    };
    const input = h('input', { class: 'picker-input', type: 'text', placeholder: 'Search chats', 'aria-label': 'Search chats', oninput: draw });
    m.body.append(h('div', { class: 'picker-field' }, icon('search'), input), list);
    draw();
    setTimeout(() => input.focus(), 0);
  });
}
