// The full-size photo viewer: the largest size over a dark backdrop, the sender and date on top,
// the caption below; ← and → move within the album, Esc (or a click beside the photo) closes.

import { h, icon, iconButton } from '../dom.js';
import { bindDownload, bindSrc, largest, pickSize } from '../files.js';
import { formatTime, renderText, separatorDate } from '../format.js';
import { senderAvatar, senderName } from './common.js';

let current = null;

/** `items`: [{msg, photo}], shown from `index`. */
export function openViewer(ctx, items, index) {
  if (current) current.close();
  const store = ctx.store;
  const urls = store.urls;
  let at = index;
  const stage = h('div', { class: 'viewer-stage' });
  const who = h('div', { class: 'viewer-who' });
  const count = h('div', { class: 'viewer-count' });
  const caption = h('div', { class: 'viewer-caption' });
  const downloadLink = () => h('a', { class: 'icon-btn viewer-download', 'aria-label': 'Download', title: 'Download' }, icon('down'));
  let download = downloadLink();
  const prev = h('button', { type: 'button', class: 'viewer-nav prev', 'aria-label': 'Previous photo', onclick: (e) => { e.stopPropagation(); go(-1); } }, icon('back'));
  const next = h('button', { type: 'button', class: 'viewer-nav next', 'aria-label': 'Next photo', onclick: (e) => { e.stopPropagation(); go(1); } }, icon('back'));
  const close = () => {
    el.remove();
    document.removeEventListener('keydown', onKey, true);
    current = null;
  };
  const el = h('div', { class: 'viewer', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Photo viewer',
    onclick: (e) => { if (e.target === el || e.target === stage) close(); } },
  h('div', { class: 'viewer-top' }, who, h('div', { class: 'viewer-actions' }, download,
    iconButton('close', 'Close', close, 'viewer-close'))),
  stage, prev, next, h('div', { class: 'viewer-bottom' }, count, caption));

  function show() {
    const { msg, photo } = items[at];
    const big = largest(photo.sizes);
    const preview = pickSize(photo.sizes, 320);
    who.replaceChildren(senderAvatar(store, msg.sender_id),
      h('div', {}, h('div', { class: 'viewer-name', text: senderName(store, msg.sender_id) }),
        h('div', { class: 'viewer-date', text: `${separatorDate(msg.date)} at ${formatTime(msg.date)}` })));
    const frame = h('div', { class: 'viewer-frame' });
    if (big) frame.style.aspectRatio = `${big.w} / ${big.h}`;
    if (preview && big && preview.file_id !== big.file_id) frame.append(bindSrc(urls, h('img', { class: 'viewer-preview', alt: '' }), preview.file_id));
    if (big) {
      const img = h('img', { class: 'viewer-img', alt: 'Photo', dataset: { fileId: big.file_id, size: big.type } });
      bindSrc(urls, img, big.file_id, { onload: () => frame.classList.add('loaded') });
      frame.append(img);
      const fresh = downloadLink(); // a new link: the previous photo's click handler goes with the old one
      fresh.setAttribute('download', `photo_${msg.id}.jpg`);
      download.replaceWith(fresh);
      download = fresh;
      bindDownload(urls, fresh, big.file_id);
    }
    stage.replaceChildren(frame);
    count.textContent = items.length > 1 ? `${at + 1} of ${items.length}` : '';
    caption.replaceChildren(msg.text ? renderText(msg.text, msg.entities || [], h('span')) : '');
    prev.hidden = at === 0;
    next.hidden = at === items.length - 1;
    const ahead = items[at + 1];
    const top = ahead ? largest(ahead.photo.sizes) : null;
    if (top) urls.get(top.file_id).catch(() => {}); // sign the next one early
  }

  function go(step) {
    const to = at + step;
    if (to < 0 || to >= items.length) return;
    at = to;
    show();
  }

  function onKey(e) {
    if (e.key === 'Escape') { e.stopPropagation(); e.preventDefault(); close(); }
    else if (e.key === 'ArrowLeft') { e.preventDefault(); go(-1); }
    else if (e.key === 'ArrowRight') { e.preventDefault(); go(1); }
  }

  document.addEventListener('keydown', onKey, true);
  document.body.append(el);
  current = { close, el };
  show();
  el.querySelector('.viewer-close').focus();
  return current;
}
