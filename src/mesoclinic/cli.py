"""The ``mesoclinic`` command: demo, serve, token (create, list, revoke), 2fa reset, worker,
backup, restore, manage."""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence

SETTINGS = "mesoclinic.config.settings"
LOOPBACK_NAMES = {"localhost"}
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 4
"""gunicorn processes and threads per process for `serve`; chosen from W4 (the mixed
clinic-day load) on a 2-core machine, see docs/benchmarks.md."""


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _setup_django(*, host: str | None = None) -> None:
    """Configure Django for serving on ``host`` (or for a one-off command when None).

    Serving uses collected, hashed static files; on a loopback address plain-HTTP cookies
    are allowed, so the laptop demo works without TLS.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    if host is not None:
        os.environ.setdefault("MESOCLINIC_STATIC_MANIFEST", "1")
    if host is not None and _is_loopback(host):
        os.environ.setdefault("MESOCLINIC_INSECURE_HTTP", "1")
    import django

    django.setup()


def _default_public_address(host: str, port: int) -> None:
    """Links in messages point at the address served, unless the clinic set its own."""
    if os.environ.get("MESOCLINIC_PUBLIC_URL") or os.environ.get("MESOCLINIC_PUBLIC_BASE_URL"):
        return
    name = host
    if not _is_loopback(host):
        if host in {"0.0.0.0", "::", "[::]"}:  # noqa: S104 -- recognising, not binding
            name = socket.gethostname()
        print(
            f"Warning: MESOCLINIC_PUBLIC_URL is not set; emailed links will point at "
            f"http://{name}:{port}. Set it to the clinic's public address (https://…).",
            file=sys.stderr,
            flush=True,
        )
    os.environ["MESOCLINIC_PUBLIC_URL"] = f"http://{name}:{port}"


def _prepare_database() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def _serve(host: str, port: int, workers: int, threads: int = DEFAULT_THREADS) -> int:
    """Run gunicorn (threaded workers) in the foreground until interrupted."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "mesoclinic.config.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--graceful-timeout",
        "10",
    ]
    print(f"Serving mesoclinic at http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    server = subprocess.Popen(command, env=os.environ | _metrics_environment())  # noqa: S603 -- our own argv list, no shell
    # A plain `kill` of this process stops the server too, as Ctrl+C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        _stop_process(server)


def _metrics_environment() -> dict[str, str]:
    """A fresh directory where gunicorn's processes keep their metrics (prometheus-client's
    multiprocess mode), so ``/metrics`` adds up all of them; each request is logged by the
    app (JSON, with its request id), so gunicorn writes no access log of its own."""
    import shutil
    from pathlib import Path

    from django.conf import settings

    directory = Path(settings.HOME) / "run" / "prometheus"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(mode=0o700, parents=True)
    return {"PROMETHEUS_MULTIPROC_DIR": str(directory)}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _start_worker() -> subprocess.Popen[bytes]:
    """Start ``mesoclinic worker`` (background tasks: messages, reminders) as a subprocess."""
    print("Starting the background worker (messages and reminders)", flush=True)
    return subprocess.Popen(
        [sys.executable, "-m", "mesoclinic.cli", "worker"], env=os.environ.copy()
    )


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    """Ask a child process to stop; kill it if it has not within 15 seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def command_demo(args: argparse.Namespace) -> int:
    # The demo logins are one step (password only): the second factor is for real clinics.
    os.environ.setdefault("MESOCLINIC_REQUIRE_2FA", "0")
    # Deposits can be "paid" online with the sandbox's test cards; no money moves.
    os.environ.setdefault("MESOCLINIC_PAYMENT_PROVIDER", "sandbox")
    _default_public_address(args.host, args.port)
    _setup_django(host=args.host)
    _prepare_database()
    from mesoclinic.demo.loader import demo_load

    logins = demo_load()
    print("Demo clinic loaded. Staff logins (demo only):")
    for login in logins:
        print(f"  {login.username:<14} {login.password:<18} {login.role}")
    if args.no_serve:
        return 0
    print(f"Online booking for clients: http://{args.host}:{args.port}/book/", flush=True)
    return _serve_with_worker(args)


def command_worker(args: argparse.Namespace) -> int:
    """Run background tasks (django-tasks-db's ``db_worker``, all queues) until interrupted.

    Beside it run the timed jobs (stale-message recovery, the maintenance scan); with
    ``--once``, run only the tasks that are due, then stop.
    """
    _setup_django()
    from django.core.management import call_command

    from mesoclinic.messaging.worker import start_periodic_jobs

    if not args.once:
        print("mesoclinic worker running (Ctrl+C to stop)", flush=True)
        start_periodic_jobs()
    call_command(
        "db_worker",
        queue_name="*",
        interval=args.interval,
        batch=args.once,
        reload=False,
        startup_delay=not args.once,
    )
    return 0


def command_serve(args: argparse.Namespace) -> int:
    _default_public_address(args.host, args.port)
    _setup_django(host=args.host)
    _prepare_database()
    return _serve_with_worker(args)


def _serve_with_worker(args: argparse.Namespace) -> int:
    """Serve; beside it the background worker, unless ``--no-worker`` (one runs elsewhere)."""
    worker = None if args.no_worker else _start_worker()
    try:
        return _serve(args.host, args.port, args.workers, args.threads)
    finally:
        if worker is not None:
            _stop_process(worker)


def command_token(args: argparse.Namespace) -> int:
    """Print a new API token (only the token, on one line: scripts read it)."""
    _setup_django()
    from mesoclinic.core.errors import DomainError
    from mesoclinic.people.services import api_token_create

    try:
        print(api_token_create(username=args.username, days=args.days))
    except DomainError as error:
        print(f"mesoclinic: {error.message}", file=sys.stderr)
        return 1
    return 0


def command_token_revoke(args: argparse.Namespace) -> int:
    """Revoke one token by its first characters, or every token of ``--user``."""
    _setup_django()
    from mesoclinic.core.errors import DomainError
    from mesoclinic.people.services import api_token_revoke, api_token_revoke_all

    if bool(args.prefix) == bool(args.user):
        print("mesoclinic: give a token prefix or --user USERNAME (not both)", file=sys.stderr)
        return 2
    try:
        if args.user:
            count = api_token_revoke_all(actor=None, username=args.user)
            print(f"Revoked {count} token(s) of {args.user}")
        else:
            token = api_token_revoke(actor=None, prefix=args.prefix)
            print(f"Revoked {token.prefix}… of {token.user.get_username()}")
    except DomainError as error:
        print(f"mesoclinic: {error.message}", file=sys.stderr)
        return 1
    return 0


def command_token_list(args: argparse.Namespace) -> int:
    """List the tokens that still work: prefix, user, created, expires, last used."""
    _setup_django()
    from mesoclinic.people.selectors import api_tokens_live

    for token in api_tokens_live(username=args.username):
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        print(
            f"{token.prefix}…  {token.user.get_username():<16} "
            f"created {token.created_at:%Y-%m-%d}  expires {token.expires_at:%Y-%m-%d}  "
            f"last used {used}"
        )
    return 0


def command_two_factor_reset(args: argparse.Namespace) -> int:
    """Remove a user's authenticator and recovery codes (lost phone); they enrol again."""
    _setup_django()
    from django.contrib.auth import get_user_model

    from mesoclinic.people.identity import two_factor_reset

    user = get_user_model().objects.filter(username=args.username).first()
    if user is None:
        print(f"mesoclinic: no user named {args.username!r}", file=sys.stderr)
        return 1
    removed = two_factor_reset(actor=None, user=user)
    print(f"Removed {removed} second-factor device(s) of {args.username}")
    return 0


def command_backup(args: argparse.Namespace) -> int:
    """Write one archive (database, media, secret key, manifest) and record the attempt
    (settings page, ``/metrics``); print its path last."""
    _setup_django()
    from pathlib import Path

    from mesoclinic.core.backup_runs import backup_record_run

    run, error = backup_record_run(
        trigger="manual",
        output=Path(args.output) if args.output else None,
        passphrase_file=Path(args.passphrase_file) if args.passphrase_file else None,
    )
    if error is not None:
        print(f"mesoclinic: backup failed: {error}", file=sys.stderr)
        return 1
    print(run.path)
    return 0


def command_restore(args: argparse.Namespace) -> int:
    """Restore an archive into an empty home and database, after checking all of it."""
    _setup_django()
    from pathlib import Path

    from mesoclinic.core.backup import BackupError, PassphraseRequired, backup_passphrase, restore

    try:
        passphrase = backup_passphrase(Path(args.passphrase_file) if args.passphrase_file else None)
        try:
            manifest = restore(Path(args.file), passphrase=passphrase)
        except PassphraseRequired:
            if not sys.stdin.isatty():
                raise
            import getpass

            manifest = restore(Path(args.file), passphrase=getpass.getpass("Passphrase: "))
    except BackupError as error:
        print(f"mesoclinic: restore refused: {error}", file=sys.stderr)
        return 1
    print(
        f"Restored the backup of {manifest['created_at']} "
        f"(mesoclinic {manifest['mesoclinic_version']}, {len(manifest['files'])} files); "
        "migrated and restarted the calendar clocks."
    )
    return 0


def command_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["mesoclinic manage", *args.arguments])
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mesoclinic", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="migrate, load the demo clinic and serve it")
    demo.add_argument("--no-serve", action="store_true", help="load the demo and stop")
    serve = commands.add_parser("serve", help="serve with gunicorn (production server)")
    for sub in (demo, serve):
        sub.add_argument("--host", default="127.0.0.1")
        sub.add_argument("--port", type=int, default=8000)
        sub.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
        sub.add_argument(
            "--threads", type=int, default=DEFAULT_THREADS, help="threads per worker process"
        )
        sub.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start the background worker (a separate `mesoclinic worker` runs)",
        )
    demo.set_defaults(handler=command_demo)
    serve.set_defaults(handler=command_serve)

    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="print a new API token for a staff user")
    create.add_argument("username")
    create.add_argument(
        "--days", type=int, default=None, help="days the token works (default 90, at most 366)"
    )
    create.set_defaults(handler=command_token)
    revoke = token_commands.add_parser(
        "revoke", help="revoke a token by its first characters, or all of --user"
    )
    revoke.add_argument("prefix", nargs="?", default="")
    revoke.add_argument("--user", default="", help="revoke every token of this user")
    revoke.set_defaults(handler=command_token_revoke)
    listing = token_commands.add_parser("list", help="list the tokens that still work")
    listing.add_argument("username", nargs="?", default=None)
    listing.set_defaults(handler=command_token_list)

    two_factor = commands.add_parser("2fa", help="second factor (authenticator app)")
    two_factor_commands = two_factor.add_subparsers(dest="two_factor_command", required=True)
    reset = two_factor_commands.add_parser(
        "reset", help="remove a user's authenticator and recovery codes (lost phone)"
    )
    reset.add_argument("username")
    reset.set_defaults(handler=command_two_factor_reset)

    worker = commands.add_parser("worker", help="run background tasks (messages, reminders)")
    worker.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
    worker.add_argument("--once", action="store_true", help="run the tasks that are due, then stop")
    worker.set_defaults(handler=command_worker)

    backup = commands.add_parser(
        "backup", help="write one archive of the database, media and secret key"
    )
    backup.add_argument(
        "--output", default="", help="archive path (default $MESOCLINIC_HOME/backups/…tar.gz)"
    )
    backup.add_argument(
        "--passphrase-file",
        default="",
        help="encrypt with the passphrase on this file's first line "
        "(or set MESOCLINIC_BACKUP_PASSPHRASE_FILE / MESOCLINIC_BACKUP_PASSPHRASE)",
    )
    backup.set_defaults(handler=command_backup)
    restore = commands.add_parser(
        "restore", help="restore an archive into an empty MESOCLINIC_HOME and database"
    )
    restore.add_argument("file")
    restore.add_argument(
        "--passphrase-file",
        default="",
        help="passphrase of an encrypted archive (else the environment, else asked)",
    )
    restore.set_defaults(handler=command_restore)

    manage = commands.add_parser("manage", help="Django management commands", add_help=False)
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=command_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mesoclinic`` console script."""
    args = _parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
