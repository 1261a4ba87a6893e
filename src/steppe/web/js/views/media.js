// Media in the chat: photos (a blurred 90 px preview under the size that fits), albums as a
// grid, documents with a download link, audio and video players, and what bots send (location,
// venue, contact, dice, poll). Uploads still going show their local preview, progress and a
// cancel button. Everything registers as bubble parts (views/messages.js).

import { h, icon } from '../dom.js';
import { bindDownload, bindSrc, formatSize, largest, pickSize } from '../files.js';
import { meta, registerBubblePart } from './messages.js';
import { openViewer } from './viewer.js';

const BOX = 420; // the largest a photo shows in a bubble, in CSS pixels
const ALBUM_ROWS = { 2: [2], 3: [1, 2], 4: [2, 2], 5: [2, 3], 6: [3, 3], 7: [2, 2, 3], 8: [2, 3, 3], 9: [3, 3, 3], 10: [3, 3, 4] };

registerBubblePart({ id: 'media', render: mediaPart }, 'reply');
registerBubblePart({ id: 'attachment', render: attachmentPart }, 'text');

const isPhoto = (msg) => msg.media && msg.media.type === 'photo';
const isDoc = (msg) => msg.media && msg.media.type === 'document';

function mediaPart(msg, view) {
  if (msg.outgoing) return outgoingPart(msg, view);
  const album = view.album;
  if (album && album.every(isPhoto)) return photoAlbum(album, msg, view);
  if (album && album.some(isDoc)) return docList(album, view);
  if (isPhoto(msg)) return singlePhoto(msg, view);
  if (isDoc(msg)) return documentPart(msg, view);
  return null;
}

/** The photo's sizes as a box that fits in `box` px (never upscaled past 1:1 of the largest). */
function fit(w, h, box = BOX) {
  const scale = Math.min(1, box / w, box / h);
  let W = Math.round(w * scale);
  let H = Math.round(h * scale);
  if (W < 160 && w) { H = Math.round(H * (160 / W)); W = 160; } // tiny or very tall: keep it tappable
  return { W, H: Math.min(H, 560) };
}

function captionless(msg, view, album = null) {
  const text = album ? album.some((m) => m.text) : !!msg.text;
  if (!text) {
    view.metaPlaced = true;
    view.bubbleClasses.push('media-only');
  }
  view.bubbleClasses.push('has-media');
  return !text;
}

/** One photo in a box: the blurred 90 px size at once, the size that fits on top when loaded. */
function photoBox(urls, photo, { W, H }, msgId) {
  const box = h('div', { class: 'photo', role: 'button', tabindex: '0', 'aria-label': 'Open photo', dataset: { msgId: String(msgId || '') } });
  const thumb = (photo.sizes || []).find((s) => s.type === 's');
  const best = pickSize(photo.sizes, Math.max(W, H) * (devicePixelRatio || 1));
  if (thumb && best && thumb.file_id !== best.file_id && !urls.cached(best.file_id)) {
    box.append(bindSrc(urls, h('img', { class: 'photo-blur', alt: '', draggable: 'false' }), thumb.file_id));
  }
  if (best) {
    const img = h('img', { class: 'photo-img', alt: 'Photo', draggable: 'false', dataset: { fileId: best.file_id, size: best.type } });
    bindSrc(urls, img, best.file_id, { onload: () => box.classList.add('loaded') });
    if (img.complete && img.getAttribute('src')) box.classList.add('loaded');
    box.append(img);
  }
  box.style.aspectRatio = `${W} / ${H}`;
  return box;
}

function singlePhoto(msg, view) {
  const photo = msg.media.photo;
  const big = largest(photo.sizes) || { w: 1, h: 1 };
  const size = fit(big.w, big.h);
  const bare = captionless(msg, view);
  const box = photoBox(view.store.urls, photo, size, msg.id);
  box.style.width = `${size.W}px`;
  const open = () => openViewer(view.ctx, [{ msg, photo }], 0);
  box.addEventListener('click', open);
  box.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
  const wrap = h('div', { class: 'media-wrap' }, box);
  if (bare) wrap.append(h('div', { class: 'meta-overlay' }, meta(msg, view)));
  return wrap;
}

function rowsFor(n) {
  return ALBUM_ROWS[n] || [n];
}

function photoAlbum(album, msg, view) {
  const bare = captionless(msg, view, album);
  const grid = h('div', { class: 'album' });
  const items = album.map((m) => ({ msg: m, photo: m.media.photo }));
  let at = 0;
  for (const count of rowsFor(items.length)) {
    const row = h('div', { class: 'album-row' });
    let sum = 0;
    for (const item of items.slice(at, at + count)) {
      const index = at + row.childElementCount;
      const big = largest(item.photo.sizes) || { w: 1, h: 1 };
      const ratio = Math.max(0.6, Math.min(2.2, big.w / big.h));
      sum += ratio;
      const cell = photoBox(view.store.urls, item.photo, { W: Math.round(BOX / count), H: Math.round(BOX / count / ratio) }, item.msg.id);
      cell.classList.add('album-cell');
      cell.style.flexGrow = String(ratio);
      cell.style.aspectRatio = '';
      cell.msgRef = item.msg;
      const open = () => openViewer(view.ctx, items, index);
      cell.addEventListener('click', open);
      cell.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
      row.append(cell);
    }
    row.style.aspectRatio = String(Math.max(sum, 1.2));
    grid.append(row);
    at += count;
  }
  const wrap = h('div', { class: 'media-wrap' }, grid);
  if (bare) wrap.append(h('div', { class: 'meta-overlay' }, meta(msg, view)));
  return wrap;
}

// ---- documents -------------------------------------------------------------------------------

function extOf(name) {
  const m = /\.([A-Za-z0-9]{1,5})$/.exec(name || '');
  return m ? m[1].toLowerCase() : '';
}

const DOC_COLORS = { pdf: 'doc-red', doc: 'doc-blue', docx: 'doc-blue', txt: 'doc-blue', xls: 'doc-green', xlsx: 'doc-green', csv: 'doc-green',
  zip: 'doc-orange', rar: 'doc-orange', '7z': 'doc-orange', gz: 'doc-orange', tar: 'doc-orange' };

function docRow(urls, doc, msgId) {
  const ext = extOf(doc.name);
  const color = DOC_COLORS[ext] || 'doc-accent';
  const label = `Download ${doc.name || 'file'}`;
  const iconLink = bindDownload(urls, h('a', { class: `doc-icon ${color}`, download: doc.name || 'file', 'aria-label': label, title: label },
    h('span', { class: 'doc-ext', text: ext.slice(0, 4) || 'file' }), icon('down', 'doc-down')), doc.file_id);
  const nameLink = bindDownload(urls, h('a', { class: 'doc-name', download: doc.name || 'file', text: doc.name || 'file', title: doc.name || 'file' }), doc.file_id);
  const sub = [formatSize(doc.size), doc.mime_type].filter(Boolean).join(' · ');
  return h('div', { class: 'doc', dataset: { msgId: String(msgId || '') } }, iconLink,
    h('div', { class: 'doc-body' }, nameLink, h('div', { class: 'doc-sub', text: sub })));
}

function player(urls, doc) {
  const mime = doc.mime_type || '';
  if ((doc.kind === 'video' || doc.kind === 'animation') && /^video\/(mp4|webm|ogg)$/.test(mime)) {
    const video = h('video', { class: 'doc-video', controls: true, preload: 'metadata', playsInline: true });
    if (doc.kind === 'animation') { video.loop = true; video.muted = true; video.autoplay = true; video.controls = false; }
    if (doc.w && doc.h) video.style.aspectRatio = `${doc.w} / ${doc.h}`;
    return bindSrc(urls, video, doc.file_id);
  }
  if ((doc.kind === 'audio' || doc.kind === 'voice') && /^audio\//.test(mime)) {
    return bindSrc(urls, h('audio', { class: 'doc-audio', controls: true, preload: 'none' }), doc.file_id);
  }
  return null;
}

function documentPart(msg, view) {
  const doc = msg.media.document;
  view.bubbleClasses.push('has-doc');
  const play = player(view.store.urls, doc);
  return h('div', { class: 'media-doc' }, play, docRow(view.store.urls, doc, msg.id));
}

function docList(album, view) {
  view.bubbleClasses.push('has-doc');
  return h('div', { class: 'media-doc doc-list' }, album.map((m) => (isDoc(m) ? docRow(view.store.urls, m.media.document, m.id) : null)));
}

// ---- uploads in progress ---------------------------------------------------------------------

function ring(upload, cancel) {
  const R = 20;
  const C = 2 * Math.PI * R;
  const SVG = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 48 48');
  svg.setAttribute('class', 'ring-svg');
  const arc = document.createElementNS(SVG, 'circle');
  for (const [k, v] of Object.entries({ cx: 24, cy: 24, r: R, 'stroke-dasharray': C.toFixed(2), class: 'ring-arc' })) arc.setAttribute(k, v);
  svg.append(arc);
  const pct = h('span', { class: 'ring-pct' });
  const show = (p) => {
    arc.setAttribute('stroke-dashoffset', (C * (1 - Math.max(0.03, p))).toFixed(2));
    pct.textContent = `${Math.round(p * 100)}%`;
  };
  show(upload.progress);
  const off = upload.on('progress', (p) => { show(p); if (p >= 1) off(); });
  return h('button', { type: 'button', class: 'ring', 'aria-label': 'Cancel upload', title: 'Cancel upload',
    onclick: (e) => { e.stopPropagation(); cancel(); } }, svg, icon('close', 'ring-x'), pct);
}

function outgoingPart(msg, view) {
  const out = msg.outgoing;
  const cancel = () => view.ctx.actions.cancelMedia(view.chatId, msg.random_id);
  const entries = out.entries;
  if (entries.every((e) => e.kind === 'photo')) {
    const bare = captionless(msg, view);
    const grid = h('div', { class: entries.length > 1 ? 'album' : 'album single' });
    let at = 0;
    for (const count of rowsFor(entries.length)) {
      const row = h('div', { class: 'album-row' });
      let sum = 0;
      for (const e of entries.slice(at, at + count)) {
        const ratio = entries.length > 1 ? Math.max(0.6, Math.min(2.2, (e.w || 1) / (e.h || 1))) : (e.w || 1) / (e.h || 1);
        sum += ratio;
        const cell = h('div', { class: 'photo album-cell loaded uploading' },
          e.preview ? h('img', { class: 'photo-img', alt: '', src: e.preview, draggable: 'false' }) : null,
          msg.failed ? null : ring(e.upload, cancel));
        cell.style.flexGrow = String(ratio);
        row.append(cell);
      }
      row.style.aspectRatio = String(entries.length > 1 ? Math.max(sum, 1.2) : sum);
      grid.append(row);
      at += count;
    }
    if (entries.length === 1) {
      const { W } = fit(entries[0].w || 320, entries[0].h || 240);
      grid.style.width = `${W}px`;
    }
    const wrap = h('div', { class: 'media-wrap' }, grid);
    if (bare) wrap.append(h('div', { class: 'meta-overlay' }, meta(msg, view)));
    return wrap;
  }
  view.bubbleClasses.push('has-doc');
  return h('div', { class: 'media-doc doc-list' }, entries.map((e) => h('div', { class: 'doc uploading' },
    msg.failed ? h('div', { class: 'doc-icon doc-red' }, icon('error')) : ring(e.upload, cancel),
    h('div', { class: 'doc-body' }, h('div', { class: 'doc-name', text: e.file.name }),
      h('div', { class: 'doc-sub', text: [formatSize(e.file.size), e.file.type].filter(Boolean).join(' · ') })))));
}

// ---- what bots send: location, venue, contact, dice (polls are views/posts.js) ---------------

function attachmentPart(msg) {
  if (msg.venue || msg.location) {
    const loc = msg.location;
    const href = loc ? `https://www.openstreetmap.org/?mlat=${loc.latitude}&mlon=${loc.longitude}#map=16/${loc.latitude}/${loc.longitude}` : null;
    return h('div', { class: 'attach-card' }, h('div', { class: 'attach-icon' }, icon('pin')),
      h('div', { class: 'attach-body' },
        h('div', { class: 'attach-title', text: msg.venue ? msg.venue.title : 'Location' }),
        h('div', { class: 'attach-sub', text: msg.venue ? msg.venue.address : `${loc.latitude.toFixed(5)}, ${loc.longitude.toFixed(5)}` }),
        href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer', text: 'Open map' }) : null));
  }
  if (msg.contact) {
    const c = msg.contact;
    return h('div', { class: 'attach-card' }, h('div', { class: 'attach-icon' }, icon('person')),
      h('div', { class: 'attach-body' }, h('div', { class: 'attach-title', text: [c.first_name, c.last_name].filter(Boolean).join(' ') }),
        h('a', { href: `tel:${c.phone_number.replace(/[^+\d]/g, '')}`, text: c.phone_number })));
  }
  if (msg.dice) {
    return h('div', { class: 'dice' }, h('span', { class: 'dice-emoji', text: msg.dice.emoji }), h('span', { class: 'dice-value', text: String(msg.dice.value) }));
  }
  return null;
}
