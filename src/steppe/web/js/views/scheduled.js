// Scheduled messages: pick when to send (the Send button's menu), and the list of what waits
// (edit the text or the time, send now, cancel). The server delivers them at their time.

import { describe } from '../actions.js';
import { confirmDialog, h, modal, replace, toast } from '../dom.js';
import { parseMarkdown, toMarkdown } from '../format.js';
import { summary } from './common.js';

/** A datetime-local value (local time) for a unix time. */
function localValue(unix) {
  const d = new Date(unix * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function fromLocal(value) {
  const t = new Date(value).getTime();
  return Number.isFinite(t) ? Math.floor(t / 1000) : 0;
}

/** Ask for a time in the future; resolves to unix seconds, or null. */
export function scheduleDialog({ title = 'Schedule message', initial = null, ok = 'Schedule' } = {}) {
  return new Promise((resolve) => {
    let picked = null;
    const m = modal({ title, cls: 'picker schedule-dialog', onclose: () => resolve(picked) });
    const start = initial || Math.floor(Date.now() / 1000 / 60) * 60 + 3600;
    const input = h('input', { class: 'picker-input title-input', type: 'datetime-local', value: localValue(start), 'aria-label': 'Send at',
      min: localValue(Math.floor(Date.now() / 1000) + 60) });
    const presets = h('div', { class: 'chips presets' }, [['In 1 hour', 3600], ['In 3 hours', 3 * 3600], ['Tomorrow', 86400]].map(([label, secs]) => h('button', {
      type: 'button', class: 'chip', text: label, onclick: () => { input.value = localValue(Math.floor(Date.now() / 1000 / 60) * 60 + secs); } })));
    const go = h('button', { type: 'button', class: 'btn-primary', text: ok, onclick: () => {
      const when = fromLocal(input.value);
      if (when <= Date.now() / 1000 + 5) { toast('Pick a time in the future', 'error'); return; }
      picked = when;
      m.close();
    } });
    m.body.append(h('p', { class: 'picker-help', text: 'The message is sent at this time, also when you are offline.' }), input, presets,
      h('div', { class: 'modal-actions' }, go));
    setTimeout(() => input.focus(), 0);
  });
}

/** The messages waiting to be sent in a chat. */
export async function scheduledDialog(ctx, chatId) {
  const m = modal({ title: 'Scheduled Messages', cls: 'picker scheduled-list' });
  const list = h('div', { class: 'scheduled-rows' }, h('div', { class: 'muted', text: 'Loading…' }));
  m.body.append(list);
  const draw = () => {
    const items = [...(ctx.store.scheduled.get(chatId)?.values() || [])].sort((a, b) => a.schedule_date - b.schedule_date);
    if (!items.length) { replace(list, h('div', { class: 'muted', text: 'Nothing is scheduled here.' })); return; }
    replace(list, items.map((msg) => h('div', { class: 'scheduled-row', dataset: { id: String(msg.id) } },
      h('div', { class: 'scheduled-when', text: new Date(msg.schedule_date * 1000).toLocaleString() }),
      h('div', { class: 'scheduled-text', text: summary(msg, 200) || 'Message' }),
      h('div', { class: 'form-buttons' },
        msg.text !== undefined && !msg.poll ? h('button', { type: 'button', class: 'btn-small', text: 'Edit', onclick: () => editOne(msg) }) : null,
        h('button', { type: 'button', class: 'btn-small', text: 'Reschedule', onclick: async () => {
          const when = await scheduleDialog({ title: 'Reschedule', initial: msg.schedule_date, ok: 'Save' });
          if (when) await ctx.actions.editScheduled(chatId, msg.id, { schedule_date: when });
        } }),
        h('button', { type: 'button', class: 'btn-small', text: 'Send now', onclick: () => ctx.actions.sendScheduledNow(chatId, [msg.id]) }),
        h('button', { type: 'button', class: 'btn-small danger', text: 'Cancel', onclick: async () => {
          const ok = await confirmDialog({ title: 'Cancel message', text: 'This message will not be sent.', ok: 'Delete', danger: true });
          if (ok) await ctx.actions.deleteScheduled(chatId, [msg.id]);
        } })))));
  };
  const editOne = (msg) => {
    const e = modal({ title: 'Edit scheduled message', cls: 'picker' });
    const box = h('textarea', { class: 'field-input', rows: 4, 'aria-label': 'Scheduled text' });
    box.value = toMarkdown(msg.text || '', msg.entities || []);
    e.body.append(box, h('div', { class: 'modal-actions' }, h('button', { type: 'button', class: 'btn-primary', text: 'Save', onclick: async () => {
      const { text, entities } = parseMarkdown(box.value);
      if (!text) { toast('The message is empty', 'error'); return; }
      if (await ctx.actions.editScheduled(chatId, msg.id, { text, entities })) e.close();
    } })));
    setTimeout(() => box.focus(), 0);
  };
  const off = ctx.store.on('scheduled', (id) => { if (id === chatId) draw(); });
  const observer = new MutationObserver(() => { if (!m.el.isConnected) { off(); observer.disconnect(); } });
  observer.observe(document.body, { childList: true });
  try {
    await ctx.actions.loadScheduled(chatId);
  } catch (err) {
    replace(list, h('div', { class: 'muted', text: describe(err) }));
    return;
  }
  draw();
}
