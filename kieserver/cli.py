"""The `kieserver` command: serve, deploy, hash-password."""
from __future__ import annotations

import argparse
import getpass
import os
import sys


def _serve(args):
    env = os.environ
    if args.config:
        env["KIESERVER_CONFIG"] = os.path.abspath(args.config)
    if args.home:
        env["KIESERVER_HOME"] = os.path.abspath(args.home)
    if args.database:
        env["KIESERVER_DATABASE_URL"] = args.database
    # create the schema once before the workers start (they all open the same store)
    from kieserver.config import load_config
    from kieserver.store import db
    import kieserver.store.models  # noqa: F401 - registers the core tables
    cfg = load_config()
    db.open_store(cfg.database_url or None, cfg.home)
    db.close_store()
    from gunicorn.app.wsgiapp import run
    sys.argv = ["gunicorn", "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers),
                "--threads", str(args.threads), "--timeout", "120", "--graceful-timeout", "10",
                "--access-logfile", "-" if args.access_log else "/dev/null",
                "kieserver.wsgi:application"]
    run()


def _deploy(args):
    import requests
    with open(args.kjar, "rb") as f:
        data = f.read()
    url = args.url.rstrip("/") + f"/containers/{args.container}"
    r = requests.put(url, data=data, auth=(args.user, args.password),
                     headers={"Content-Type": "application/java-archive", "Accept": "application/json"},
                     timeout=300)
    print(r.text)
    return 0 if r.status_code == 201 else 1


def _hash(args):
    from kieserver.config import hash_password
    pw = args.password or getpass.getpass("Password: ")
    print(hash_password(pw))


def main(argv=None):
    p = argparse.ArgumentParser(prog="kieserver", description="A KIE-Server-compatible runtime")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run the server (gunicorn)")
    s.add_argument("--host", default=os.environ.get("KIESERVER_HOST", "0.0.0.0"))
    s.add_argument("--port", type=int, default=int(os.environ.get("KIESERVER_PORT", "8080")))
    s.add_argument("--home", help="directory for the SQLite file (default ./var)")
    s.add_argument("--config", help="YAML configuration file (default conf/kieserver.yaml)")
    s.add_argument("--database", help="database URL, e.g. postgresql://postgres@127.0.0.1:5432/test")
    s.add_argument("--workers", type=int, default=int(os.environ.get("KIESERVER_WORKERS", "2")))
    s.add_argument("--threads", type=int, default=int(os.environ.get("KIESERVER_THREADS", "4")))
    s.add_argument("--access-log", action="store_true")
    s.set_defaults(func=_serve)
    d = sub.add_parser("deploy", help="deploy a kjar over HTTP as a new container")
    d.add_argument("kjar")
    d.add_argument("--container", required=True)
    d.add_argument("--url", default="http://localhost:8080/kie-server/services/rest/server")
    d.add_argument("--user", default="kieserver")
    d.add_argument("--password", default="kieserver1!")
    d.set_defaults(func=_deploy)
    h = sub.add_parser("hash-password", help="print a password hash for conf/kieserver.yaml")
    h.add_argument("password", nargs="?")
    h.set_defaults(func=_hash)
    args = p.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
