"""Where the pack's actions and sensor find the API, and how they authenticate.

The pack config (``config.schema.yaml``: ``api_url``, ``api_key``, ``auth_token``,
``verify_ssl``, ``ca_cert``) comes first. Without ``api_url`` the code talks to the
StackStorm that runs it: ``ST2_ACTION_API_URL`` and ``ST2_ACTION_AUTH_TOKEN`` (set by
StackStorm for every action), or ``ST2_API_URL`` and ``ST2_AUTH_TOKEN`` (set for sensors).

Credentials from the environment belong to the StackStorm that set them: they are only
sent to the API URL from the same environment, never to an ``api_url`` configured in the
pack config (configure ``api_key`` or ``auth_token`` for that one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

# (url variable, token variable, api key variable): what StackStorm sets for actions, then
# for sensors (and the st2 CLI's variables).
_ENVIRONMENTS = (
    ("ST2_ACTION_API_URL", "ST2_ACTION_AUTH_TOKEN", None),
    ("ST2_API_URL", "ST2_AUTH_TOKEN", "ST2_API_KEY"),
)

NO_API_URL = (
    "No API URL for the wfops pack: set api_url in the pack config "
    "(/opt/stackstorm/configs/wfops.yaml), or run the action under StackStorm or "
    "`wfops serve`, which set ST2_ACTION_API_URL."
)


class SettingsError(ValueError):
    """The pack config cannot be used as given."""


@dataclass(frozen=True)
class ConnectionSettings:
    api_url: str
    api_key: str | None = None
    auth_token: str | None = None
    # st2client's ``cacert``: a CA bundle path, True (system trust store) or False (no
    # verification).
    cacert: str | bool = True
    source: str = "config"  # "config" or the name of the environment variable used

    @classmethod
    def resolve(cls, config: Mapping | None, environ: Mapping[str, str] | None = None) -> ConnectionSettings:
        config = config or {}
        environ = os.environ if environ is None else environ
        api_key = _text(config.get("api_key"))
        auth_token = _text(config.get("auth_token"))
        api_url = _text(config.get("api_url"))
        source = "config"
        if not api_url:
            for url_name, token_name, key_name in _ENVIRONMENTS:
                if _text(environ.get(url_name)):
                    api_url = _text(environ.get(url_name))
                    source = url_name
                    if not api_key and not auth_token:
                        api_key = _text(environ.get(key_name)) if key_name else None
                        auth_token = _text(environ.get(token_name))
                    break
        if not api_url:
            raise SettingsError(NO_API_URL)
        if not api_url.startswith(("http://", "https://")):
            raise SettingsError('api_url "%s" is not an http:// or https:// URL.' % api_url)
        return cls(
            api_url=api_url.rstrip("/"),
            api_key=api_key,
            auth_token=None if api_key else auth_token,
            cacert=_cacert(config),
            source=source,
        )


def _text(value) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _cacert(config: Mapping) -> str | bool:
    verify = config.get("verify_ssl", True)
    if isinstance(verify, str):
        verify = verify.strip().lower() not in ("false", "0", "no", "off")
    if not verify:
        return False
    ca_cert = _text(config.get("ca_cert"))
    if ca_cert:
        if not os.path.isfile(ca_cert):
            raise SettingsError('ca_cert "%s" (wfops pack config) is not a file.' % ca_cert)
        return ca_cert
    return True
