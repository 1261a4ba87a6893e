"""Reading a Bot API request: query string merged with a form, JSON or multipart body; every
value coerced the lenient way the official server does it."""

from __future__ import annotations

import gzip
import re
import zlib
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qsl

import msgspec

from steppe.botapi.errors import bad

T = TypeVar("T")
_DISPOSITION = re.compile(r';\s*([\w*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
TRUE = frozenset({"true", "yes", "1"})


class Upload(NamedTuple):
    filename: str
    content_type: str
    data: bytes


class Params:
    def __init__(self, values: dict[str, Any] | None = None,
                 files: dict[str, Upload] | None = None):
        self.values = values or {}
        self.files = files or {}

    def has(self, name: str) -> bool:
        return name in self.values or name in self.files

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def str(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                raise bad(f"{name} is empty" if name != "text" else "message text is empty")
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else msgspec.json.encode(value).decode()

    def need(self, name: str) -> str:
        value = self.str(name, required=True)
        assert value is not None
        return value

    def int(self, name: str, *, required: bool = False, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad(f"{name} is empty")
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            try:
                as_float = float(str(value))
            except ValueError:
                raise bad(f"invalid {name} specified") from None
            if not as_float.is_integer():
                raise bad(f"invalid {name} specified") from None
            return int(as_float)

    def need_int(self, name: str) -> int:
        value = self.int(name, required=True)
        assert value is not None
        return value

    def float(self, name: str, *, required: bool = False) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad(f"{name} is empty")
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad(f"invalid {name} specified") from None

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in TRUE

    def json(self, name: str) -> Any:
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value.strip() == "":
            return None
        try:
            return msgspec.json.decode(value)
        except msgspec.DecodeError:
            raise bad(f"can't parse {name} JSON object") from None

    def struct(self, name: str, type_: type[T]) -> T | None:
        value = self.json(name)
        if value is None:
            return None
        try:
            return msgspec.convert(value, type_, strict=False)
        except msgspec.ValidationError as exc:
            raise bad(f"can't parse {name}: {exc}") from None

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value is None or value == "":
            raise bad(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if re.fullmatch(r"-?\d{1,20}", text):
            return int(text)
        if text.startswith("@") and len(text) > 1:
            return text
        raise bad("chat not found")

    def file(self, name: str) -> Upload | str | None:
        """An upload (named like the parameter, or `attach://part`), or a file id / URL."""
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = self.files.get(value[9:])
            if upload is None:
                raise bad(f"file attach://{value[9:]} not found in the request")
            return upload
        if name in self.files:
            return self.files[name]
        return value if isinstance(value, str) and value else None


def parse(query: bytes, content_type: str, encoding: str, body: bytes) -> Params:
    values: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    for k, v in parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True):
        values[k] = v
    if encoding:
        body = _decompress(encoding, body)
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json":
        if body.strip():
            try:
                obj = msgspec.json.decode(body)
            except msgspec.DecodeError:
                raise bad("can't parse JSON object") from None
            if not isinstance(obj, dict):
                raise bad("JSON object expected")
            values.update(obj)
    elif kind == "multipart/form-data":
        form, files = _multipart(content_type, body)
        values.update(form)
    elif body.strip():
        for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            values[k] = v
    return Params(values, files)


def _decompress(encoding: str, body: bytes) -> bytes:
    enc = encoding.strip().lower()
    try:
        if enc == "gzip":
            return gzip.decompress(body)
        if enc == "deflate":
            return zlib.decompress(body)
    except (OSError, zlib.error):
        raise bad("can't decompress the request body") from None
    return body


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, Upload]]:
    params = {k.lower(): _unquote(v) for k, v in _DISPOSITION.findall(";" + content_type.split(";", 1)[-1])}
    boundary = params.get("boundary")
    if not boundary:
        raise bad("multipart boundary is missing")
    values: dict[str, str] = {}
    files: dict[str, Upload] = {}
    for part in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        if part.startswith(b"\r\n"):
            part = part[2:]
        elif part.startswith(b"\n"):
            part = part[1:]
        head, sep, data = part.partition(b"\r\n\r\n")
        if not sep:
            head, sep, data = part.partition(b"\n\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").splitlines():
            key, _, val = line.partition(":")
            headers[key.strip().lower()] = val.strip()
        disp = headers.get("content-disposition", "")
        attrs = {k.lower(): _unquote(v) for k, v in _DISPOSITION.findall(disp[disp.find(";"):])}
        name = attrs.get("name")
        if not name:
            continue
        if "filename" in attrs:
            files[name] = Upload(attrs["filename"], headers.get("content-type", ""), data)
        else:
            values[name] = data.decode("utf-8", "replace")
    return values, files
