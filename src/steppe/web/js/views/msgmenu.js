// What can be done to one message from its context menu: reply, edit, copy, pin, forward, delete;
// and to a message still being sent: send again or drop. `view` is the ChatView.

import { confirmDialog, h, showMenu, toast } from '../dom.js';
import { largest } from '../files.js';
import { pickChat } from './pickers.js';
import { canClosePoll, reactionStrip, reactorsDialog } from './posts.js';

/** The file behind a media message, for "Download": {fileId, name}. */
function fileOf(msg) {
  if (msg.media && msg.media.type === 'document') return { fileId: msg.media.document.file_id, name: msg.media.document.name || 'file' };
  if (msg.media && msg.media.type === 'photo') {
    const big = largest(msg.media.photo.sizes);
    return big ? { fileId: big.file_id, name: `photo_${msg.id}.jpg` } : null;
  }
  return null;
}

async function download(store, file) {
  try {
    const url = await store.urls.get(file.fileId);
    const a = h('a', { href: url, download: file.name, class: 'file-input' });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    toast('The file is not available', 'error');
  }
}

/** `ids`: the messages the row shows (an album is several). */
export function messageMenu(view, e, msg, ids = [msg.id]) {
  const { store, actions } = view.ctx;
  const chatId = view.chatId;
  const dialog = view.dialog;
  const kind = dialog ? dialog.chat.kind : 'private';
  const big = kind === 'supergroup' || kind === 'channel';
  const member = store.isMember(chatId);
  const own = msg.sender_id === store.me.id;
  const text = !msg.action;
  const selected = window.getSelection()?.toString();
  const file = fileOf(msg);
  const editable = text && !msg.fwd_from && !msg.via_bot_id && !msg.poll && !msg.dice && !msg.location && !msg.contact;
  const canEdit = editable && (kind === 'channel' ? store.hasRight(chatId, 'edit_messages') : own);
  const canReply = text && member && (!big || store.may(chatId, 'send_messages'));
  const canPin = text && member && (!big || store.may(chatId, 'pin_messages'));
  const canDelete = !big || (kind === 'supergroup' && own) || store.hasRight(chatId, 'delete_messages');
  const reactions = (msg.reactions || []).reduce((n, r) => n + r.count, 0);
  showMenu(e.clientX, e.clientY, [
    text && member && !msg.pending ? { el: reactionStrip(view.ctx, chatId, msg) } : null,
    canReply ? { icon: 'reply', label: 'Reply', action: () => view.composer.reply(msg) } : null,
    canEdit ? { icon: 'pencil', label: msg.media && !msg.text ? 'Add Caption' : 'Edit', action: () => view.composer.edit(msg) } : null,
    text && (selected || msg.text) ? { icon: 'copy', label: selected ? 'Copy Selected Text' : 'Copy Text', action: () => copy(selected || msg.text) } : null,
    file && ids.length === 1 ? { icon: 'down', label: 'Download', action: () => download(store, file) } : null,
    canPin ? { icon: 'pin', label: msg.pinned ? 'Unpin' : 'Pin', action: () => actions.pin(chatId, msg.id, msg.pinned) } : null,
    text ? { icon: 'forward', label: 'Forward', action: () => forward(view, msg, ids) } : null,
    reactions && kind !== 'channel' ? { icon: 'smile', label: `Reactions (${reactions})`, action: () => reactorsDialog(view.ctx, chatId, msg) } : null,
    msg.poll && (store.pollChosen.get(`${chatId}:${msg.id}`) || []).length && !msg.poll.is_closed && msg.poll.type !== 'quiz'
      ? { icon: 'undo', label: 'Retract vote', action: () => actions.vote(chatId, msg.id, []) } : null,
    canClosePoll(store, chatId, msg) ? { icon: 'stop', label: 'Stop poll', action: () => actions.closePoll(chatId, msg.id) } : null,
    canDelete && member ? { icon: 'trash', label: 'Delete', danger: true, action: () => remove(view, msg, ids) } : null,
  ], 'msg-menu');
}

export function pendingMenu(view, e, item) {
  const { actions } = view.ctx;
  const find = () => actions.pendingOf(view.chatId).find((p) => p.random_id === item.random_id);
  showMenu(e.clientX, e.clientY, [
    { icon: 'send', label: 'Send again', action: () => { const p = find(); if (p) actions.deliver(p); } },
    { icon: 'trash', label: 'Delete', danger: true, action: () => { const p = find(); if (p) actions.discard(p); } },
  ]);
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast('Copied to clipboard');
  } catch (err) {
    toast('Copying is not allowed here', 'error');
  }
}

async function forward(view, msg, ids) {
  const target = await pickChat(view.ctx);
  if (!target) return;
  const sent = await view.ctx.actions.forward(view.chatId, ids, target);
  if (sent) {
    view.ctx.app.openChat(target);
    toast('Message forwarded');
  }
}

/** Delete for me, or for everyone where the server allows it (own messages; admins in groups). */
async function remove(view, msg, ids) {
  const s = view.ctx.store;
  const dialog = view.dialog;
  const own = msg.sender_id === s.me.id;
  const checks = [];
  let canRevoke = false;
  if (dialog.chat.kind === 'private' && !s.isSaved(dialog)) {
    canRevoke = true;
    checks.push({ label: `Also delete for ${s.title(dialog)}`, checked: true });
  } else if (dialog.chat.kind === 'supergroup' || dialog.chat.kind === 'channel') {
    canRevoke = true; // messages of a supergroup or channel go for everyone
  } else if (dialog.chat.kind !== 'private') {
    const me = (s.members.get(view.chatId) || []).find((m) => m.user_id === s.me.id);
    canRevoke = own || !!(me && (me.role === 'creator' || me.role === 'admin'));
    if (canRevoke) checks.push({ label: 'Delete for all members', checked: true });
  }
  const many = ids.length > 1;
  const answer = await confirmDialog({ title: many ? 'Delete album' : 'Delete message',
    text: many ? `Are you sure you want to delete these ${ids.length} items?` : 'Are you sure you want to delete this message?',
    ok: 'Delete', danger: true, checks });
  if (!answer) return;
  const revoke = canRevoke ? !!answer[0] : s.isSaved(dialog);
  await view.ctx.actions.remove(view.chatId, ids, revoke);
}
