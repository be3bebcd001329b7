"""Server configuration: conf/kieserver.yaml, then environment variables, then CLI options."""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import os
import secrets

import yaml

DEFAULT_CONFIG_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                   "conf", "kieserver.yaml")

_BUILTIN = {
    "server": {"id": "default-kieserver", "name": "default-kieserver", "version": "7.74.1.Final",
               "location": "http://localhost:8080/kie-server/services/rest/server",
               "mode": "DEVELOPMENT", "mgmt_api_disabled": False, "bypass_auth_user": False,
               "max_body_bytes": 100 * 1024 * 1024, "controllers": []},
    "database": {"url": ""},
    "home": "./var",
    "extensions": ["KieServer", "BRM", "BPM", "Tasks", "Queries", "Jobs", "DMN"],
    "executor": {"enabled": True},
    # used only when no configuration file is found: the KIE docs' default user
    "users": {"kieserver": {"password": "pbkdf2_sha256$120000$a2llc2VydmVyLWRlZmF1bHQ=$"
                                        "A7GHZnQ8rE+WeyculF3qMz0Jy2DcFIFPgue6NrkTG8o=",
                            "roles": ["kie-server", "admin", "Administrators"]}},
    "groups": {},
    "tokens": {},
}

# KIE's own environment variable names
_KIE_ENV = {"KIE_SERVER_ID": ("server", "id"), "KIE_SERVER_LOCATION": ("server", "location"),
            "KIE_SERVER_MODE": ("server", "mode")}


class Config:
    """Read-only view of the merged configuration with a few typed accessors."""

    def __init__(self, data: dict):
        self.data = data

    def __getitem__(self, key):
        return self.data[key]

    def get(self, key, default=None):
        return self.data.get(key, default)

    @property
    def server(self) -> dict:
        return self.data["server"]

    @property
    def server_id(self) -> str:
        return str(self.server.get("id") or "default-kieserver")

    @property
    def mode(self) -> str:
        m = str(self.server.get("mode") or "DEVELOPMENT").upper()
        return m if m in ("DEVELOPMENT", "PRODUCTION") else "DEVELOPMENT"

    @property
    def home(self) -> str:
        return self.data.get("home") or "./var"

    @property
    def database_url(self) -> str:
        return (self.data.get("database") or {}).get("url") or ""

    def extension_enabled(self, name) -> bool:
        return name in (self.data.get("extensions") or [])

    def user_groups(self, user) -> list:
        u = (self.data.get("users") or {}).get(user) or {}
        groups = list(u.get("roles") or [])
        for g in (self.data.get("groups") or {}).get(user) or []:
            if g not in groups:
                groups.append(g)
        return groups


def _deep_merge(base, over):
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _deep_merge(base[k], v)
        else:
            base[k] = v
    return base


def _env_value(text):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def load_config(path: str | None = None, overrides: dict | None = None, environ=None) -> Config:
    environ = os.environ if environ is None else environ
    data = copy.deepcopy(_BUILTIN)
    path = path or environ.get("KIESERVER_CONFIG") or DEFAULT_CONFIG_FILE
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            loaded = yaml.safe_load(f) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: the configuration must be a YAML mapping")
        _deep_merge(data, loaded)
        if "users" in loaded:   # a configuration file's users replace the built-in default user
            data["users"] = loaded["users"] or {}
    for name, (section, key) in _KIE_ENV.items():
        if environ.get(name):
            data[section][key] = environ[name]
    for name, value in environ.items():
        if not name.startswith("KIESERVER_") or name in ("KIESERVER_CONFIG",):
            continue
        parts = name[len("KIESERVER_"):].lower().split("_", 1)
        if parts[0] == "home" and len(parts) == 1:
            data["home"] = value
        elif len(parts) == 2 and isinstance(data.get(parts[0]), dict):
            data[parts[0]][parts[1]] = _env_value(value)
    _deep_merge(data, overrides or {})
    if overrides and "users" in overrides:
        data["users"] = overrides["users"]
    return Config(data)


# ---------------------------------------------------------------------------------------------
# passwords

def hash_password(password: str, iterations: int = 120000) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    if not stored:
        return False
    if stored.startswith("pbkdf2_sha256$"):
        try:
            _, iterations, salt, digest = stored.split("$")
            got = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
            return hmac.compare_digest(got, base64.b64decode(digest))
        except (ValueError, TypeError):
            return False
    if stored.startswith("plain$"):  # for throwaway test configurations only
        return hmac.compare_digest(stored[6:], password)
    return False
