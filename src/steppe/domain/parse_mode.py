"""parse_mode: HTML, MarkdownV2 and Markdown turned into plain text plus entities, following
Telegram's parsers, with Telegram's error texts ("can't parse entities: ...").

Offsets are UTF-16 code units; the byte offsets in error messages are UTF-8, as Telegram's are.
"""

from __future__ import annotations

import html
import re

from steppe.domain.entities import Entity
from steppe.domain.errors import RpcError

MODES = ("html", "markdownv2", "markdown")


def parse_error(text: str) -> RpcError:
    return RpcError(400, "ENTITIES_PARSE_FAILED", f"can't parse entities: {text}")


def parse(text: str, mode: str | None) -> tuple[str, list[Entity]]:
    """`text` with its markup removed and the entities it described (mode None: as is)."""
    if not mode:
        return text, []
    low = mode.lower()
    if low == "html":
        return _Html(text).run()
    if low == "markdownv2":
        return _MarkdownV2(text).run()
    if low == "markdown":
        return _Markdown(text).run()
    raise RpcError(400, "PARSE_MODE_INVALID", f"unsupported parse_mode \"{mode[:32]}\"")


class _Out:
    """Plain text being built, with its length in UTF-16 units."""

    def __init__(self, source: str):
        self.source = source
        self.parts: list[str] = []
        self.units = 0
        self.entities: list[Entity] = []

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.units += sum(2 if ord(ch) > 0xFFFF else 1 for ch in s)

    def entity(self, type_: str, start: int, **extra: object) -> None:
        if self.units > start:
            self.entities.append(Entity(type=type_, offset=start, length=self.units - start,
                                        **extra))  # type: ignore[arg-type]

    def byte(self, i: int) -> int:
        return len(self.source[:i].encode("utf-8"))

    def result(self) -> tuple[str, list[Entity]]:
        ents = sorted(self.entities, key=lambda e: (e.offset, -e.length))
        return "".join(self.parts), ents


def _link(url: str) -> dict[str, object] | None:
    """text_link / text_mention arguments for an href, or None when it is no usable link."""
    url = url.strip()
    m = re.fullmatch(r"tg://user\?id=(\d{1,19})", url)
    if m:
        return {"type": "text_mention", "user_id": int(m.group(1))}
    if not url or any(ch.isspace() for ch in url):
        return None
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", url):
        url = "http://" + url
    if not re.match(r"(https?|tg|mailto|ton)://?", url, re.IGNORECASE):
        return None
    return {"type": "text_link", "url": url}


# ---- HTML ---------------------------------------------------------------------------------

_HTML_TYPES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
               "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
               "del": "strikethrough", "tg-spoiler": "spoiler", "code": "code", "pre": "pre",
               "a": "a", "span": "spoiler", "blockquote": "blockquote", "tg-emoji": "custom_emoji"}
_ATTR = re.compile(r"\s*([A-Za-z_][\w-]*)\s*(?:=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")


class _Html:
    def __init__(self, text: str):
        self.src = text
        self.out = _Out(text)
        self.stack: list[tuple[str, int, dict[str, str]]] = []

    def run(self) -> tuple[str, list[Entity]]:
        src, i, n = self.src, 0, len(self.src)
        while i < n:
            ch = src[i]
            if ch == "<":
                i = self._tag(i)
            elif ch == "&":
                i = self._char_ref(i)
            else:
                j = i
                while j < n and src[j] not in "<&":
                    j += 1
                self.out.add(src[i:j])
                i = j
        if self.stack:
            raise parse_error(f"Can't find end tag corresponding to start tag \"{self.stack[-1][0]}\"")
        return self.out.result()

    def _char_ref(self, i: int) -> int:
        m = re.match(r"&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});", self.src[i:])
        if m:
            name = m.group(1)
            if name.startswith("#") or name.lower() in ("lt", "gt", "amp", "quot", "apos", "nbsp"):
                value = html.unescape(m.group(0))
                if value != m.group(0):
                    self.out.add(value)
                    return i + len(m.group(0))
        self.out.add("&")
        return i + 1

    def _tag(self, i: int) -> int:
        end = self.src.find(">", i)
        if end < 0:
            raise parse_error(f"Unclosed start tag at byte offset {self.out.byte(i)}")
        body = self.src[i + 1:end]
        if body.startswith("/"):
            self._close(body[1:].strip().lower(), i)
            return end + 1
        m = re.match(r"[A-Za-z][\w-]*", body)
        name = m.group(0).lower() if m else ""
        if name not in _HTML_TYPES:
            raise parse_error(f"Unsupported start tag \"{name or body[:16]}\" at byte offset "
                              f"{self.out.byte(i)}")
        attrs: dict[str, str] = {}
        rest = body[len(name):].rstrip("/")
        pos = 0
        while rest[pos:].strip():
            am = _ATTR.match(rest, pos)
            if am is None or am.end() == pos:
                raise parse_error(f"Empty attribute name in the tag \"{name}\" at byte offset "
                                  f"{self.out.byte(i)}")
            value = am.group(2) or ""
            if value[:1] in "\"'":
                value = value[1:-1]
            attrs[am.group(1).lower()] = html.unescape(value)
            pos = am.end()
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise parse_error(f"Tag \"span\" must have class \"tg-spoiler\" at byte offset "
                              f"{self.out.byte(i)}")
        self.stack.append((name, self.out.units, attrs))
        return end + 1

    def _close(self, name: str, i: int) -> None:
        if not self.stack:
            raise parse_error(f"Unexpected end tag at byte offset {self.out.byte(i)}")
        open_name, start, attrs = self.stack[-1]
        if name != open_name:
            raise parse_error(f"Unmatched end tag at byte offset {self.out.byte(i)}, expected "
                              f"\"</{open_name}>\", found \"</{name}>\"")
        self.stack.pop()
        kind = _HTML_TYPES[name]
        if kind == "a":
            link = _link(attrs.get("href", ""))
            if link is not None:
                type_ = str(link.pop("type"))
                self.out.entity(type_, start, **link)
        elif kind == "pre":
            language = None
            inner = [e for e in self.out.entities if e.type == "code" and e.offset == start
                     and e.offset + e.length == self.out.units]
            for e in inner:
                self.out.entities.remove(e)
                language = e.language
            self.out.entity("pre", start, language=language)
        elif kind == "code":
            lang = attrs.get("class", "")
            language = lang[9:] if lang.startswith("language-") and len(lang) > 9 else None
            if self.stack and self.stack[-1][0] == "pre" and self.stack[-1][1] == start:
                self.out.entities.append(Entity("code", start, max(0, self.out.units - start),
                                                language=language))
            else:
                self.out.entity("code", start)
        elif kind == "blockquote":
            self.out.entity("expandable_blockquote" if "expandable" in attrs else "blockquote",
                            start)
        elif kind == "custom_emoji":
            emoji_id = attrs.get("emoji-id", "")
            if emoji_id.isdigit():
                self.out.entity("custom_emoji", start, custom_emoji_id=emoji_id)
        else:
            self.out.entity(kind, start)


# ---- MarkdownV2 ---------------------------------------------------------------------------

_V2_NAMES = {"bold": "Bold", "italic": "Italic", "underline": "Underline",
             "strikethrough": "Strikethrough", "spoiler": "Spoiler", "code": "Code",
             "pre": "Pre", "text_link": "TextUrl", "custom_emoji": "CustomEmoji"}
_RESERVED = "_*[]()~`>#+-=|{}.!"


class _MarkdownV2:
    def __init__(self, text: str):
        self.src = text
        self.out = _Out(text)
        self.stack: list[tuple[str, int, int, str | None]] = []  # type, start, byte pos, arg
        self.quote_start: int | None = None

    def _top(self) -> str | None:
        return self.stack[-1][0] if self.stack else None

    def _is_end(self, i: int) -> bool:
        src, top = self.src, self._top()
        c, nxt = src[i], src[i + 1:i + 2]
        return {
            "bold": c == "*", "italic": c == "_" and nxt != "_", "code": c == "`",
            "pre": src.startswith("```", i), "text_link": c == "]",
            "underline": src.startswith("__", i), "strikethrough": c == "~",
            "spoiler": src.startswith("||", i), "custom_emoji": c == "]",
        }.get(top or "", False)

    def run(self) -> tuple[str, list[Entity]]:
        src, n, i = self.src, len(self.src), 0
        while i < n:
            c = src[i]
            at_line_start = i == 0 or src[i - 1] == "\n"
            if c == "\n" and self.quote_start is not None and not src.startswith(">", i + 1):
                self._end_quote()
            if c == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
                self.out.add(src[i + 1])
                i += 2
                continue
            if c == ">" and at_line_start and self._top() not in ("code", "pre"):
                if self.quote_start is None:
                    self.quote_start = self.out.units
                i += 1
                continue
            reserved = "`" if self._top() in ("code", "pre") else _RESERVED
            if c not in reserved:
                self.out.add(c)
                i += 1
                continue
            if self.stack and self._is_end(i):
                i = self._close(i)
            else:
                i = self._open(i)
        if self.stack:
            type_, _, pos, _ = self.stack[-1]
            raise parse_error(f"Can't find end of {_V2_NAMES[type_]} entity at byte offset {pos}")
        if self.quote_start is not None:
            self._end_quote()
        return self.out.result()

    def _end_quote(self) -> None:
        assert self.quote_start is not None
        self.out.entity("blockquote", self.quote_start)
        self.quote_start = None

    def _open(self, i: int) -> int:
        src, c = self.src, self.src[i]
        pos = self.out.byte(i)
        arg: str | None = None
        if c == "_" and src.startswith("__", i):
            type_, i = "underline", i + 2
        elif c == "_":
            type_, i = "italic", i + 1
        elif c == "*":
            type_, i = "bold", i + 1
        elif c == "~":
            type_, i = "strikethrough", i + 1
        elif c == "|" and src.startswith("||", i):
            type_, i = "spoiler", i + 2
        elif c == "[":
            type_, i = "text_link", i + 1
        elif c == "!" and src.startswith("![", i):
            type_, i = "custom_emoji", i + 2
        elif c == "`" and src.startswith("```", i):
            type_, i = "pre", i + 3
            m = re.match(r"[^\s`]+(?=\n)", src[i:])
            if m:
                arg, i = m.group(0), i + len(m.group(0))
            if src[i:i + 1] == "\n":
                i += 1
        elif c == "`":
            type_, i = "code", i + 1
        else:
            raise parse_error(f"Character '{c}' is reserved and must be escaped with the "
                              "preceding '\\'")
        if type_ in (t for t, *_ in self.stack):
            raise parse_error(f"Can't find end of {_V2_NAMES[type_]} entity at byte offset "
                              f"{self.stack[[t for t, *_ in self.stack].index(type_)][2]}")
        self.stack.append((type_, self.out.units, pos, arg))
        return i

    def _close(self, i: int) -> int:
        type_, start, pos, arg = self.stack.pop()
        if type_ in ("text_link", "custom_emoji"):
            i += 1
            url = ""
            if self.src.startswith("(", i):
                url, i = self._url(i + 1, pos, type_)
            if type_ == "custom_emoji":
                m = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                if not m:
                    raise parse_error(f"Custom emoji entity must contain a tg://emoji URL at "
                                      f"byte offset {pos}")
                self.out.entity("custom_emoji", start, custom_emoji_id=m.group(1))
            else:
                link = _link(url or "".join(self.out.parts)[start:])
                if link is not None:
                    kind = str(link.pop("type"))
                    self.out.entity(kind, start, **link)
            return i
        width = {"underline": 2, "spoiler": 2, "pre": 3}.get(type_, 1)
        if type_ == "pre":
            self.out.entity("pre", start, language=arg)
        else:
            self.out.entity(type_, start)
        return i + width

    def _url(self, i: int, pos: int, type_: str) -> tuple[str, int]:
        src, out = self.src, []
        while i < len(src) and src[i] != ")":
            if src[i] == "\\" and i + 1 < len(src):
                i += 1
            out.append(src[i])
            i += 1
        if i >= len(src):
            raise parse_error(f"Can't find end of a url at byte offset {pos}")
        return "".join(out), i + 1


# ---- Markdown (legacy) --------------------------------------------------------------------

class _Markdown:
    def __init__(self, text: str):
        self.src = text
        self.out = _Out(text)

    def run(self) -> tuple[str, list[Entity]]:
        src, n, i = self.src, len(self.src), 0
        while i < n:
            c = src[i]
            if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
                self.out.add(src[i + 1])
                i += 2
                continue
            if c not in "_*`[":
                self.out.add(c)
                i += 1
                continue
            i = self._entity(i)
        return self.out.result()

    def _entity(self, i: int) -> int:
        src, n, c = self.src, len(self.src), self.src[i]
        begin = self.out.byte(i)
        end_char = "]" if c == "[" else c
        is_pre = c == "`" and src.startswith("```", i)
        language = None
        i += 3 if is_pre else 1
        if is_pre:
            m = re.match(r"[^\s`]+(?=[\s])", src[i:])
            if m:
                language, i = m.group(0), i + len(m.group(0))
            if src[i:i + 1] in ("\n", "\r"):
                i += 1
        start = self.out.units
        while i < n and not (src.startswith("```", i) if is_pre else src[i] == end_char):
            self.out.add(src[i])
            i += 1
        if i >= n:
            raise parse_error(f"Can't find end of the entity starting at byte offset {begin}")
        i += 3 if is_pre else 1
        if c == "[":
            url = ""
            if src.startswith("(", i):
                close = src.find(")", i)
                if close < 0:
                    raise parse_error(f"Can't find end of the entity starting at byte offset "
                                      f"{begin}")
                url, i = src[i + 1:close], close + 1
            link = _link(url)
            if link is not None:
                kind = str(link.pop("type"))
                self.out.entity(kind, start, **link)
        elif is_pre:
            self.out.entity("pre", start, language=language)
        else:
            self.out.entity({"_": "italic", "*": "bold", "`": "code"}[c], start)
        return i
