// The client's state: users, dialogs, loaded messages, typing, connection. Views subscribe to
// named changes; apply() folds one live or recovered event into the state.

import { Emitter } from './api.js';

// The server leaves out fields that hold their default value: put them back, so that a fresh
// object always replaces a stale one completely.
const USER = { last_name: '', username: null, phone: null, bio: '', is_bot: false, is_self: false,
  is_contact: false, online: false, last_seen: 0 };
const CHAT = { title: '', creator_id: 0, pts: 0, top_msg_id: 0, last_date: 0, member_count: 0, user_ids: [] };
const DIALOG = { top_message: null, unread_count: 0, read_inbox_max_id: 0, read_outbox_max_id: 0, pinned: false,
  peer_user_id: null };

export class Store extends Emitter {
  constructor() {
    super();
    this.me = null;
    this.users = new Map();
    this.dialogs = new Map(); // chat id -> dialog as messages.getDialogs returns it
    this.chats = new Map(); // chat id -> {ids: sorted ids, msgs: Map, complete, loading}
    this.typing = new Map(); // chat id -> Map(user id -> expiry ms)
    this.members = new Map(); // chat id -> [{user_id, role, inviter_id}]
    this.refs = new Map(); // 'chat:id' -> a message fetched for a reply quote (outside the history)
    this.conn = 'connecting';
    this.syncing = false;
    this.dialogsComplete = false;
    this.nextDialogs = null;
    this.password = null;
    this.pendingUsers = new Set();
    this.fetchUsers = null; // set by actions: ids -> Promise<users>
    this.urls = null; // FileUrls: signed download URLs (files.js)
    this.photos = null; // Photos: current profile photos, for avatars (files.js)
    // Supergroups and channels (issue 5)
    this.full = new Map(); // chat id -> {info, me}: channels.getFullChannel (settings, own standing)
    this.chatTitles = new Map(); // chat id -> title, for chats that are not dialogs (posts' senders, previews)
    this.chosen = new Map(); // 'chat:id' -> the reactions this user set on a message
    this.pollChosen = new Map(); // 'chat:id' -> this user's answer to a poll ([] when none)
    this.pollSecrets = new Map(); // poll id -> {correct_option_id, explanation} learnt by voting
    this.pins = new Map(); // chat id -> pinned message ids, the most recent first
    this.scheduled = new Map(); // chat id -> Map(id -> scheduled message)
    this.topics = new Map(); // chat id -> Map(topic id -> topic)
    this.slowUntil = new Map(); // chat id -> ms when slow mode lets this user send again
  }

  // ---- users ---------------------------------------------------------------------------------

  putUsers(users) {
    for (const user of users || []) {
      const merged = { ...USER, ...user };
      this.users.set(user.id, merged);
      if (user.is_self || (this.me && user.id === this.me.id)) this.me = { ...merged, is_self: true };
    }
    if (users && users.length) this.emit('users');
  }

  user(id) {
    if (!this.users.has(id)) this.ensureUsers([id]);
    return this.users.get(id);
  }

  /** Ask for users we do not know yet, batched. */
  ensureUsers(ids) {
    const missing = ids.filter((id) => id > 0 && !this.users.has(id) && !this.pendingUsers.has(id));
    if (!missing.length || !this.fetchUsers) return;
    const first = this.pendingUsers.size === 0;
    missing.forEach((id) => this.pendingUsers.add(id));
    if (!first) return;
    queueMicrotask(async () => {
      const batch = [...this.pendingUsers];
      try {
        this.putUsers(await this.fetchUsers(batch));
      } catch (err) {
        console.warn(err);
      } finally {
        batch.forEach((id) => this.pendingUsers.delete(id));
      }
    });
  }

  // ---- dialogs -------------------------------------------------------------------------------

  putDialog(fresh) {
    const chat = { ...CHAT, ...fresh.chat };
    if (chat.title) this.chatTitles.set(chat.id, chat.title);
    const old = this.dialogs.get(chat.id);
    const dialog = { ...DIALOG, ...fresh, chat, pinned_msg_id: old ? old.pinned_msg_id : 0 };
    if (!dialog.peer_user_id && chat.kind === 'private' && this.me) {
      dialog.peer_user_id = chat.user_ids.find((u) => u !== this.me.id) || this.me.id;
    }
    this.dialogs.set(chat.id, dialog);
    if (dialog.top_message) this.addMessages(chat.id, [dialog.top_message], { quiet: true });
  }

  sortedDialogs() {
    return [...this.dialogs.values()].filter((d) => !d.preview).sort((a, b) => {
      if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
      return (b.chat.last_date || 0) - (a.chat.last_date || 0) || b.chat.id - a.chat.id;
    });
  }

  /** A supergroup or a channel (members paged, rights, settings from channels.getFullChannel). */
  isBig(dialog) {
    return !!dialog && (dialog.chat.kind === 'supergroup' || dialog.chat.kind === 'channel');
  }

  /** The title of a chat that may not be in the chat list (a channel whose posts are shown). */
  chatName(chatId) {
    const dialog = this.dialogs.get(chatId);
    return (dialog && dialog.chat.title) || this.chatTitles.get(chatId) || 'Channel';
  }

  isSaved(dialog) {
    return dialog.chat.kind === 'private' && this.me && dialog.peer_user_id === this.me.id;
  }

  title(dialog) {
    if (!dialog) return '';
    if (dialog.chat.kind !== 'private') return dialog.chat.title;
    if (this.isSaved(dialog)) return 'Saved Messages';
    const user = this.user(dialog.peer_user_id);
    if (!user) return '…';
    return [user.first_name, user.last_name].filter(Boolean).join(' ') || 'Unnamed';
  }

  // ---- messages ------------------------------------------------------------------------------

  history(chatId) {
    if (!this.chats.has(chatId)) {
      this.chats.set(chatId, { ids: [], msgs: new Map(), complete: false, loaded: false });
    }
    return this.chats.get(chatId);
  }

  message(chatId, id) {
    const h = this.chats.get(chatId);
    return (h && h.msgs.get(id)) || this.refs.get(`${chatId}:${id}`);
  }

  /** Add or replace messages; keeps ids sorted. */
  addMessages(chatId, messages, { quiet = false } = {}) {
    const h = this.history(chatId);
    const added = [];
    const updated = [];
    for (const msg of messages) {
      if (h.msgs.has(msg.id)) updated.push(msg.id);
      else added.push(msg.id);
      h.msgs.set(msg.id, msg);
      this.ensureUsers([msg.sender_id, ...(msg.action ? msg.action.user_ids || [] : []),
        msg.fwd_from ? msg.fwd_from.from_user_id : 0]);
    }
    if (added.length) h.ids = [...h.msgs.keys()].sort((a, b) => a - b);
    if (!quiet) this.emit('messages', { chatId, added, updated, removed: [] });
  }

  removeMessages(chatId, ids) {
    const h = this.chats.get(chatId);
    if (!h) return;
    const removed = ids.filter((id) => h.msgs.delete(id));
    if (!removed.length) return;
    h.ids = h.ids.filter((id) => h.msgs.has(id));
    this.emit('messages', { chatId, added: [], updated: [], removed });
  }

  // ---- typing --------------------------------------------------------------------------------

  typingUsers(chatId) {
    const map = this.typing.get(chatId);
    if (!map) return [];
    const now = Date.now();
    return [...map.entries()].filter(([, until]) => until > now).map(([id]) => id);
  }

  setTyping(chatId, userId, on) {
    if (!this.typing.has(chatId)) this.typing.set(chatId, new Map());
    const map = this.typing.get(chatId);
    if (on) {
      map.set(userId, Date.now() + 6000);
      setTimeout(() => this.emit('typing', chatId), 6100);
    } else if (!map.delete(userId)) {
      return;
    }
    this.emit('typing', chatId);
  }

  // ---- live events ---------------------------------------------------------------------------

  apply(event) {
    const fn = this.handlers_[event.type];
    if (fn) fn.call(this, event);
  }

  recountUnread(dialog) {
    const top = dialog.top_message ? dialog.top_message.id : 0;
    if (dialog.read_inbox_max_id >= top) {
      dialog.unread_count = 0;
      return;
    }
    const h = this.chats.get(dialog.chat.id);
    if (!h || !this.me) return;
    if (h.complete || (h.ids.length && h.ids[0] <= dialog.read_inbox_max_id + 1)) {
      dialog.unread_count = h.ids.filter((id) => id > dialog.read_inbox_max_id
        && h.msgs.get(id).sender_id !== this.me.id).length;
    }
  }
}

Store.prototype.handlers_ = {
  new_message(ev) {
    const msg = ev.message;
    this.addMessages(ev.chat_id, [msg]);
    const dialog = this.dialogs.get(ev.chat_id);
    if (!dialog) {
      this.emit('unknown-chat', ev.chat_id);
      return;
    }
    if (!dialog.top_message || dialog.top_message.id <= msg.id) dialog.top_message = msg;
    dialog.chat.last_date = Math.max(dialog.chat.last_date || 0, msg.date);
    dialog.chat.top_msg_id = Math.max(dialog.chat.top_msg_id || 0, msg.id);
    if (this.me && msg.sender_id !== this.me.id && msg.id > dialog.read_inbox_max_id) dialog.unread_count += 1;
    if (msg.action) {
      if (msg.action.type === 'chat_edit_title') dialog.chat.title = msg.action.title;
      if (msg.action.type === 'chat_add_user' || msg.action.type === 'chat_delete_user') this.members.delete(ev.chat_id);
      if (msg.action.type === 'chat_edit_photo' && this.photos) this.photos.setChat(ev.chat_id, msg.action.photo);
      if (msg.action.type === 'chat_delete_photo' && this.photos) this.photos.setChat(ev.chat_id, null);
      this.emit('chat-changed', ev.chat_id);
    }
    this.setTyping(ev.chat_id, msg.sender_id, false);
    this.emit('dialogs');
  },
  edit_message(ev) {
    this.emit('edited', ev.message);
    const key = `${ev.chat_id}:${ev.message.id}`;
    if (this.refs.has(key)) this.refs.set(key, ev.message);
    const h = this.chats.get(ev.chat_id);
    if (h && h.msgs.has(ev.message.id)) this.addMessages(ev.chat_id, [ev.message]);
    else this.emit('messages', { chatId: ev.chat_id, added: [], updated: [ev.message.id], removed: [] });
    const dialog = this.dialogs.get(ev.chat_id);
    if (dialog && dialog.top_message && dialog.top_message.id === ev.message.id) {
      dialog.top_message = ev.message;
      this.emit('dialogs');
    }
  },
  delete_messages(ev) { this.dropMessages(ev.chat_id, ev.ids); },
  delete_for_me(ev) { this.dropMessages(ev.chat_id, ev.ids); },
  pin_message(ev) {
    const h = this.chats.get(ev.chat_id);
    const msg = h && h.msgs.get(ev.id);
    if (msg) this.addMessages(ev.chat_id, [{ ...msg, pinned: ev.pinned }]);
    const ref = this.refs.get(`${ev.chat_id}:${ev.id}`);
    if (ref) ref.pinned = ev.pinned;
    const dialog = this.dialogs.get(ev.chat_id);
    if (dialog && ev.pinned) dialog.pinned_msg_id = Math.max(dialog.pinned_msg_id || 0, ev.id);
    else if (dialog && dialog.pinned_msg_id === ev.id) dialog.pinned_msg_id = 0;
    const pins = this.pins.get(ev.chat_id);
    if (pins) {
      const rest = pins.filter((id) => id !== ev.id);
      this.pins.set(ev.chat_id, ev.pinned ? [ev.id, ...rest].sort((a, b) => b - a) : rest);
    }
    this.emit('pinned', ev.chat_id);
  },
  read_history(ev) {
    const dialog = this.dialogs.get(ev.chat_id);
    if (!dialog) return;
    if (this.me && ev.user_id === this.me.id) {
      dialog.read_inbox_max_id = Math.max(dialog.read_inbox_max_id || 0, ev.max_id);
      this.recountUnread(dialog);
    } else {
      dialog.read_outbox_max_id = Math.max(dialog.read_outbox_max_id || 0, ev.max_id);
      this.emit('read-outbox', ev.chat_id);
    }
    this.emit('dialogs');
  },
  join_chat(ev) {
    const old = this.dialogs.get(ev.chat.id);
    this.putDialog({ chat: { ...(old ? old.chat : {}), ...ev.chat }, top_message: old ? old.top_message : null,
      unread_count: old ? old.unread_count : 0, read_inbox_max_id: old ? old.read_inbox_max_id : 0,
      read_outbox_max_id: old ? old.read_outbox_max_id : 0, pinned: old ? old.pinned : false });
    this.ensureUsers(ev.chat.user_ids || []);
    this.members.delete(ev.chat.id);
    this.emit('joined', ev.chat.id);
    this.emit('dialogs');
  },
  leave_chat(ev) {
    this.forgetChat(ev.chat_id);
    if (ev.migrated_to) this.emit('migrated', { from: ev.chat_id, to: ev.migrated_to });
  },
  left_chat_gone(ev) { this.forgetChat(ev.chat_id); },
  too_long(ev) {
    this.chats.delete(ev.chat_id);
    this.emit('reload-chat', ev.chat_id);
  },
  profile(ev) { this.putUsers([{ ...ev.user, is_self: true }]); this.emit('me'); },
  contacts(ev) {
    this.putUsers(ev.added || []);
    for (const id of ev.removed || []) {
      const u = this.users.get(id);
      if (u) this.users.set(id, { ...u, is_contact: false });
    }
    this.emit('users');
  },
  password(ev) {
    this.password = { ...(this.password || {}), has_password: ev.has_password };
    this.emit('password');
  },
  new_authorization() { this.emit('sessions'); },
  dialog_pin(ev) {
    const dialog = this.dialogs.get(ev.chat_id);
    if (dialog) { dialog.pinned = ev.pinned; this.emit('dialogs'); }
  },
  typing(ev) {
    if (this.me && ev.user_id === this.me.id) return;
    this.setTyping(ev.chat_id, ev.user_id, ev.action !== 'cancel');
  },
  user_status(ev) {
    const user = this.users.get(ev.user_id);
    if (!user) return;
    this.users.set(ev.user_id, { ...user, online: ev.online, last_seen: ev.last_seen || user.last_seen });
    if (!ev.online) this.setTyping(-1, ev.user_id, false);
    this.emit('users');
  },
};

// ---- supergroups and channels: reactions, polls, settings, topics, read marks, scheduled ----

Object.assign(Store.prototype.handlers_, {
  message_reactions(ev) {
    const key = `${ev.chat_id}:${ev.id}`;
    if (this.me && ev.user_id === this.me.id) this.chosen.set(key, ev.chosen || []);
    this.patchMessage(ev.chat_id, ev.id, { reactions: ev.reactions || [] });
  },
  message_poll(ev) {
    this.patchMessage(ev.chat_id, ev.id, { poll: ev.poll });
  },
  chat_info(ev) {
    const full = this.full.get(ev.chat_id);
    const dialog = this.dialogs.get(ev.chat_id);
    if (full) this.full.set(ev.chat_id, { ...full, info: ev.info });
    else if (dialog && !this.isBig(dialog)) this.full.set(ev.chat_id, { info: ev.info, me: null }); // a basic group's reactions
    if (dialog && ev.title) dialog.chat.title = ev.title;
    if (ev.title) this.chatTitles.set(ev.chat_id, ev.title);
    this.emit('chat-info', ev.chat_id);
    this.emit('chat-changed', ev.chat_id);
    this.emit('dialogs');
  },
  chat_rights(ev) {
    const full = this.full.get(ev.chat_id);
    if (full) this.full.set(ev.chat_id, { ...full, me: ev.participant });
    this.emit('chat-info', ev.chat_id);
  },
  forum_topic(ev) {
    const topics = this.topics.get(ev.chat_id);
    if (topics) topics.set(ev.topic.id, ev.topic);
    this.emit('topics', ev.chat_id);
  },
  read_channel_inbox(ev) {
    const dialog = this.dialogs.get(ev.chat_id);
    if (!dialog) return;
    dialog.read_inbox_max_id = Math.max(dialog.read_inbox_max_id || 0, ev.max_id);
    this.recountUnread(dialog);
    this.emit('dialogs');
  },
  read_channel_outbox(ev) {
    const dialog = this.dialogs.get(ev.chat_id);
    if (!dialog || (this.me && ev.user_id === this.me.id)) return;
    dialog.read_outbox_max_id = Math.max(dialog.read_outbox_max_id || 0, ev.max_id);
    this.emit('read-outbox', ev.chat_id);
    this.emit('dialogs');
  },
  new_scheduled(ev) {
    const msg = ev.message;
    if (!this.scheduled.has(msg.chat_id)) this.scheduled.set(msg.chat_id, new Map());
    this.scheduled.get(msg.chat_id).set(msg.id, msg);
    this.emit('scheduled', msg.chat_id);
  },
  delete_scheduled(ev) {
    const map = this.scheduled.get(ev.chat_id);
    if (map) for (const id of ev.ids) map.delete(id);
    this.emit('scheduled', ev.chat_id);
  },
});

Object.assign(Store.prototype, {
  /** Change some fields of a message wherever it is held (history, quotes, the chat list). */
  patchMessage(chatId, id, fields) {
    const h = this.chats.get(chatId);
    const msg = h && h.msgs.get(id);
    if (msg) this.addMessages(chatId, [{ ...msg, ...fields }]);
    const key = `${chatId}:${id}`;
    if (this.refs.has(key)) this.refs.set(key, { ...this.refs.get(key), ...fields });
    const dialog = this.dialogs.get(chatId);
    if (dialog && dialog.top_message && dialog.top_message.id === id) dialog.top_message = { ...dialog.top_message, ...fields };
    this.emit('patched', { chatId, id, fields });
    if (!msg) this.emit('messages', { chatId, added: [], updated: [id], removed: [] });
  },

  /** This user's standing in a supergroup or channel ({status, admin_rights, banned_rights}). */
  standing(chatId) {
    const full = this.full.get(chatId);
    return full ? full.me : null;
  },

  info(chatId) {
    const full = this.full.get(chatId);
    return full ? full.info : null;
  },

  /** An admin right (a creator has them all). */
  hasRight(chatId, right) {
    const me = this.standing(chatId);
    if (!me) return false;
    return me.status === 'creator' || (me.status === 'admin' && !!(me.admin_rights && me.admin_rights[right]));
  },

  isAdmin(chatId) {
    const me = this.standing(chatId);
    return !!me && (me.status === 'creator' || me.status === 'admin');
  },

  /** A member right in a supergroup (a BannedRights name), as the server decides it. */
  may(chatId, right) {
    const dialog = this.dialogs.get(chatId);
    if (!dialog || !this.isBig(dialog)) return true;
    const me = this.standing(chatId);
    if (!me) return dialog.chat.kind !== 'channel';
    if (dialog.chat.kind === 'channel') return right === 'send_messages' ? this.hasRight(chatId, 'post_messages') : this.hasRight(chatId, right);
    if (!['creator', 'admin', 'member', 'restricted'].includes(me.status)) return false;
    if (['pin_messages', 'change_info', 'invite_users', 'manage_topics'].includes(right) && this.hasRight(chatId, right)) return true;
    if (!['pin_messages', 'change_info', 'invite_users', 'manage_topics'].includes(right) && this.isAdmin(chatId)) return true;
    if (me.banned_rights && me.banned_rights[right]) return false;
    const info = this.info(chatId);
    return !(info && info.default_banned_rights && info.default_banned_rights[right]);
  },

  isMember(chatId) {
    const dialog = this.dialogs.get(chatId);
    if (!dialog || dialog.preview) return false;
    const me = this.standing(chatId);
    return !me || ['creator', 'admin', 'member', 'restricted'].includes(me.status);
  },

  dropMessages(chatId, ids) {
    this.removeMessages(chatId, ids);
    const dialog = this.dialogs.get(chatId);
    if (dialog && dialog.top_message && ids.includes(dialog.top_message.id)) {
      const h = this.chats.get(chatId);
      const last = h && h.ids.length ? h.msgs.get(h.ids[h.ids.length - 1]) : null;
      dialog.top_message = last;
      if (!last) this.emit('refresh-dialog', chatId);
    }
    if (dialog) this.recountUnread(dialog);
    this.emit('dialogs');
  },
  forgetChat(chatId) {
    this.full.delete(chatId);
    this.pins.delete(chatId);
    this.dialogs.delete(chatId);
    this.chats.delete(chatId);
    this.members.delete(chatId);
    this.emit('chat-gone', chatId);
    this.emit('dialogs');
  },
});
