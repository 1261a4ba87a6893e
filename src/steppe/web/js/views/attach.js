// Sending files: the dialog that shows what was picked or dropped (photos as a grid, other files
// as rows), "send as photos" or as files, grouped as an album or not, and a caption; and the drop
// zones shown while files are dragged over a chat.

import { h, icon, modal, replace, toast } from '../dom.js';
import { formatSize, photoCapable } from '../files.js';
import { parseMarkdown } from '../format.js';

const CAPTION_MAX = 1024;

/** Width and height of an image file (through a blob: URL, which the CSP allows). */
function measure(url) {
  return new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve({ w: img.naturalWidth, h: img.naturalHeight });
    img.onerror = () => resolve(null);
    img.src = url;
  });
}

/**
 * Ask how to send `files` to the open chat. `asPhotos` is the starting choice; the composer's
 * text becomes the caption and its reply target is kept.
 */
export async function attachDialog(ctx, fileList, { asPhotos = true } = {}) {
  const composer = ctx.chatView.composer;
  const chatId = composer.chatId;
  const all = [...fileList];
  const files = all.filter((f) => f.size > 0);
  if (files.length < all.length) toast(files.length ? 'Empty files were left out' : 'The file is empty', 'error');
  if (!files.length || chatId === null) return;
  const entries = await Promise.all(files.map(async (file) => {
    const capable = photoCapable(file);
    const preview = file.type.startsWith('image/') ? URL.createObjectURL(file) : null;
    const dims = preview ? await measure(preview) : null;
    return { file, capable: capable && !!dims, preview, w: dims ? dims.w : 0, h: dims ? dims.h : 0 };
  }));
  const anyPhoto = entries.some((e) => e.capable);
  let photos = asPhotos && anyPhoto;
  let group = true;
  let sent = false;

  const m = modal({ title: 'Send', cls: 'attach', onclose: () => {
    if (sent) return;
    entries.forEach((e) => e.preview && URL.revokeObjectURL(e.preview));
    // Cancelled: the caption goes back into the message box it came from.
    if (caption.value && composer.chatId === chatId && !composer.input.value) composer.setText(caption.value);
  } });
  const heading = m.el.querySelector('.modal-head h2');
  const previews = h('div', { class: 'attach-previews' });
  const caption = h('textarea', { class: 'attach-caption field-input', rows: 1, placeholder: 'Add a caption…', 'aria-label': 'Caption', maxLength: 4096 });
  caption.value = composer.takeText();
  const counter = h('span', { class: 'attach-counter' });
  const asPhotosBox = h('input', { type: 'checkbox', checked: photos, onchange: () => { photos = asPhotosBox.checked; draw(); } });
  const groupBox = h('input', { type: 'checkbox', checked: group, onchange: () => { group = groupBox.checked; draw(); } });
  const sendBtn = h('button', { type: 'button', class: 'btn-primary attach-send', text: 'Send', onclick: () => send() });
  const options = h('div', { class: 'attach-options' },
    anyPhoto ? h('label', { class: 'check' }, asPhotosBox, h('span', { text: 'Send as photos (compressed)' })) : null,
    files.length > 1 ? h('label', { class: 'check' }, groupBox, h('span', { text: 'Group items as an album' })) : null);

  const kindOf = (e) => (photos && e.capable ? 'photo' : 'document');

  function title() {
    const kinds = new Set(entries.map(kindOf));
    const n = entries.length;
    if (kinds.size > 1) return `Send ${n} items`;
    if (kinds.has('photo')) return n === 1 ? 'Send Photo' : `Send ${n} Photos`;
    return n === 1 ? 'Send File' : `Send ${n} Files`;
  }

  function draw() {
    heading.textContent = title();
    const pics = entries.filter((e) => kindOf(e) === 'photo');
    const docs = entries.filter((e) => kindOf(e) !== 'photo');
    replace(previews,
      pics.length ? h('div', { class: `attach-grid n${Math.min(pics.length, 3)}` }, pics.map((e) => h('div', { class: 'attach-photo' },
        h('img', { src: e.preview, alt: e.file.name, draggable: 'false' })))) : null,
      docs.map((e) => h('div', { class: 'doc attach-doc' },
        e.preview ? h('img', { class: 'doc-thumb', src: e.preview, alt: '' }) : h('div', { class: 'doc-icon doc-accent' }, icon('file')),
        h('div', { class: 'doc-body' }, h('div', { class: 'doc-name', text: e.file.name }),
          h('div', { class: 'doc-sub', text: [formatSize(e.file.size), e.file.type].filter(Boolean).join(' · ') })))));
    count();
  }

  function count() {
    const left = CAPTION_MAX - caption.value.trim().length;
    counter.textContent = left < 100 ? String(left) : '';
    counter.classList.toggle('over', left < 0);
  }

  async function send() {
    const { text, entities } = parseMarkdown(caption.value);
    if (text.length > CAPTION_MAX) {
      toast(`The caption is too long (${text.length} of ${CAPTION_MAX} characters)`, 'error');
      return;
    }
    sent = true;
    const replyTo = composer.takeReply();
    m.close();
    entries.filter((e) => kindOf(e) !== 'photo' && e.preview && !e.capable).forEach((e) => { URL.revokeObjectURL(e.preview); e.preview = null; });
    ctx.chatView.stickToBottom();
    await ctx.actions.sendMedia(chatId, entries.map((e) => ({ file: e.file, kind: kindOf(e), preview: e.preview, w: e.w, h: e.h })),
      { text, entities, replyTo, group });
  }

  caption.addEventListener('input', () => {
    count();
    caption.style.height = 'auto';
    caption.style.height = `${Math.min(caption.scrollHeight, 160)}px`;
  });
  caption.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  m.body.append(previews, options, h('div', { class: 'attach-bottom' }, h('div', { class: 'attach-caption-wrap' }, caption, counter), sendBtn));
  draw();
  setTimeout(() => { caption.focus(); caption.setSelectionRange(caption.value.length, caption.value.length); }, 0);
}

/** Drop zones over the chat while files are dragged in: "as photos" and "as files". */
export function dropZones(ctx, target) {
  let depth = 0;
  const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files');
  const zone = (kind, iconName, title, sub) => h('div', { class: `drop-zone drop-${kind}`, dataset: { kind },
    ondragover: (e) => { e.preventDefault(); e.currentTarget.classList.add('over'); },
    ondragleave: (e) => e.currentTarget.classList.remove('over'),
    ondrop: (e) => drop(e, kind === 'photos') },
  icon(iconName), h('div', { class: 'drop-title', text: title }), h('div', { class: 'drop-sub', text: sub }));
  const photosZone = zone('photos', 'photo', 'Drop files here', 'to send them as photos');
  const filesZone = zone('files', 'file', 'Drop files here', 'to send them without compression');
  const overlay = h('div', { class: 'drop-zones' }, photosZone, filesZone);
  const hide = () => { depth = 0; overlay.classList.remove('shown'); photosZone.classList.remove('over'); filesZone.classList.remove('over'); };
  function drop(e, asPhotos) {
    e.preventDefault();
    e.stopPropagation();
    hide();
    const files = e.dataTransfer ? [...e.dataTransfer.files] : [];
    if (files.length) attachDialog(ctx, files, { asPhotos });
  }
  target.addEventListener('dragenter', (e) => {
    if (!hasFiles(e) || ctx.chatView.chatId === null || !ctx.chatView.composer.canSend()) return;
    e.preventDefault();
    depth += 1;
    const types = [...(e.dataTransfer.items || [])].map((i) => i.type);
    photosZone.hidden = types.length > 0 && !types.some((t) => t.startsWith('image/'));
    overlay.classList.add('shown');
  });
  target.addEventListener('dragover', (e) => { if (hasFiles(e) && overlay.classList.contains('shown')) e.preventDefault(); });
  target.addEventListener('dragleave', () => { depth -= 1; if (depth <= 0) hide(); });
  target.addEventListener('drop', (e) => { if (overlay.classList.contains('shown')) drop(e, !photosZone.hidden); });
  addEventListener('dragend', hide);
  return overlay;
}
