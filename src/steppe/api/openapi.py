"""The OpenAPI document and the readable API page, both generated from the registry."""

from __future__ import annotations

import html
from typing import Any

import msgspec

from steppe import __version__
from steppe.api.registry import Registry

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "integer"}, "type": {"type": "string"},
        "message": {"type": "string"}, "retry_after": {"type": "integer"}},
        "required": ["code", "type"]}},
}


def openapi(registry: Registry) -> dict[str, Any]:
    methods = sorted(registry.methods.values(), key=lambda m: m.name)
    schemas, components = msgspec.json.schema_components(
        [m.params for m in methods], ref_template="#/components/schemas/{name}")
    paths: dict[str, Any] = {}
    for method, schema in zip(methods, schemas, strict=True):
        op: dict[str, Any] = {
            "operationId": method.name,
            "summary": method.doc.splitlines()[0] if method.doc else method.name,
            "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
            "responses": {
                "200": {"description": "`{\"result\": ...}`"},
                "default": {"description": "an error",
                            "content": {"application/json": {"schema": ERROR_SCHEMA}}},
            },
        }
        if method.auth:
            op["security"] = [{"bearer": []}]
        paths[f"/api/{method.name}"] = {"post": op}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Steppe client API", "version": __version__,
                 "description": "Every method is also callable as a WebSocket frame on /api/ws."},
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def docs_page(registry: Registry) -> str:
    doc = openapi(registry)
    rows = []
    for path, item in doc["paths"].items():
        op = item["post"]
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        ref = schema.get("$ref", "").rsplit("/", 1)[-1]
        fields = doc["components"]["schemas"].get(ref, {}).get("properties", {})
        required = set(doc["components"]["schemas"].get(ref, {}).get("required", []))
        params = ", ".join(
            f"<code>{html.escape(k)}</code>{'' if k in required else '?'}" for k in fields) or "—"
        lock = "🔒" if "security" in op else ""
        rows.append(f"<tr><td><code>{html.escape(path[5:])}</code> {lock}</td><td>{params}</td>"
                    f"<td>{html.escape(op['summary'])}</td></tr>")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Steppe API</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
td{{padding:4px 10px;border-bottom:1px solid #ddd;vertical-align:top}}code{{color:#0b5394}}</style>
</head><body><h1>Steppe client API</h1>
<p>Call a method as <code>POST /api/&lt;method&gt;</code> with a JSON body and
<code>Authorization: Bearer &lt;token&gt;</code> (🔒), or as a WebSocket frame on <code>/api/ws</code>:
<code>{{"id": 1, "method": "...", "params": {{...}}}}</code>. Answers are <code>{{"result": ...}}</code>
or <code>{{"error": {{"code": 400, "type": "MESSAGE_TOO_LONG"}}}}</code>. Live updates arrive on the
WebSocket as <code>{{"update": {{...}}}}</code>. The machine-readable form is
<a href="/openapi.json">/openapi.json</a>.</p>
<p>The WebSocket: a socket silent for 30 s or more is pinged, and dropped if it stays silent for
another 30 s. The
server closes with 4000 (TOO_SLOW: the socket did not read its updates; reconnect and call
<code>updates.getDifference</code>), 4001 (AUTH_KEY_UNREGISTERED: the session ended), 1012 (the
server is restarting), 1009 (a frame over the size limit), 1002 or 1007 (not WebSocket, or text
that is not UTF-8).</p>
<table><tr><th>method</th><th>parameters</th><th>what it does</th></tr>{''.join(rows)}</table>
</body></html>"""
