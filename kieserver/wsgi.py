"""WSGI entry point for gunicorn: `gunicorn kieserver.wsgi:application`.

Configuration comes from KIESERVER_CONFIG (YAML path) and KIESERVER_* environment variables, which
`kieserver serve` sets from its options.  Each worker process opens the store on start.
"""
from kieserver.app import create_app

application = create_app()
