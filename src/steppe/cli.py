"""`steppe serve` runs the server; `steppe admin ...` is for operators."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys

from steppe import cli_bots, cli_stats
from steppe.services.core import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(data_dir=args.data, max_body=args.max_body,
                    rate_per_second=args.rate_limit, rate_burst=max(1, int(args.rate_limit * 3)),
                    send_queue=args.send_queue, fsync=args.fsync == "on")


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from steppe.app import Steppe

    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings(args)
    app = Steppe(settings, database_url=args.database, bus_url=args.bus)
    url = f"http://{args.host}:{args.port}/"
    print(f"Steppe is serving {url}  (data: {os.path.abspath(args.data)}; "
          "login codes appear in this log)", flush=True)
    # uvicorn logs every WebSocket opened and closed at "info": keep that for --log-level debug.
    server_log = "warning" if args.log_level == "info" else args.log_level
    tune_gc()
    uvicorn.run(app, host=args.host, port=args.port, loop="uvloop", http="httptools",
                ws=app.websocket_protocol, ws_per_message_deflate=False,
                ws_max_size=settings.max_body, ws_ping_interval=30, ws_ping_timeout=60,
                lifespan="on", access_log=False, log_level=server_log, backlog=16384)


# Collect cyclic garbage after this many new container objects instead of Python's 700. A
# request in flight lives long enough (a commit and its flush to disk) to outlive young
# collections at 700, so under load it is promoted and full collections come every few seconds,
# each walking every live object (seen: 36 of ~100 ms in an 8 s Bot API run, 40 % of the CPU).
GC_YOUNG = int(os.environ.get("STEPPE_GC_YOUNG", "50000"))


def tune_gc() -> None:
    """For the serving process: what was built before serving (modules, the app) is kept out of
    every collection (`gc.freeze`), and young collections run far less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, 50, 100)


async def _with_app(args: argparse.Namespace, work):  # type: ignore[no-untyped-def]
    from steppe.app import Steppe

    app = Steppe(_settings(args), database_url=args.database)
    await app.core.store.open()
    try:
        return await work(app)
    finally:
        await app.core.store.close()


def admin_login_code(args: argparse.Namespace) -> None:
    async def work(app):  # type: ignore[no-untyped-def]
        return await app.services.auth.reissue_code(args.phone)

    from steppe.domain.errors import RpcError

    try:
        phone, code = asyncio.run(_with_app(args, work))
    except RpcError as err:
        sys.exit(f"{err.type}: {err.message}")
    print(f"login code for {phone}: {code} (valid 5 minutes)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="steppe", description="Steppe messenger server")
    parser.add_argument("--data", default=os.environ.get("STEPPE_DATA", "./data"),
                        help="data folder (default ./data)")
    parser.add_argument("--database", default=os.environ.get("STEPPE_DATABASE"),
                        help="database URL (default sqlite:///DATA/steppe.db)")
    parser.add_argument("--max-body", type=int, default=1 << 20, help="request size limit")
    parser.add_argument("--rate-limit", type=float, default=100.0,
                        help="requests per second per user (0: off)")
    parser.add_argument("--fsync", choices=["on", "off"], default=os.environ.get("STEPPE_FSYNC", "on"),
                        help="SQLite: on (default), a write is acknowledged once its log is on "
                             "disk; off, once committed (faster, but a power cut can lose the "
                             "last acknowledged writes; a crash of the process cannot)")
    parser.add_argument("--send-queue", type=int, default=1024,
                        help="frames queued per connection before it is dropped")
    sub = parser.add_subparsers(dest="command", required=True)

    p_serve = sub.add_parser("serve", help="run the server")
    p_serve.add_argument("--host", default=os.environ.get("STEPPE_HOST", "127.0.0.1"))
    p_serve.add_argument("--port", type=int, default=int(os.environ.get("STEPPE_PORT", "8080")))
    p_serve.add_argument("--bus", default=os.environ.get("STEPPE_BUS", "memory"))
    p_serve.add_argument("--log-level", default="info")
    p_serve.set_defaults(func=serve)

    p_admin = sub.add_parser("admin", help="operator commands")
    admin = p_admin.add_subparsers(dest="admin_command", required=True)
    p_code = admin.add_parser("login-code", help="issue a login code for a phone number")
    p_code.add_argument("phone")
    p_code.set_defaults(func=admin_login_code)
    cli_stats.add_commands(admin)
    cli_bots.add_commands(admin)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main(sys.argv[1:])
