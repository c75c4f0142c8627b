"""How the pack's actions find and authenticate to the API (config.schema.yaml, and
StackStorm's action environment), checked on the settings and against a `wfops serve`
that requires API keys."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "pack_actions"))

from pack_helpers import (  # noqa: E402
    SERVE_UNAVAILABLE,
    WfopsServer,
    preserved_environ,
    run_action,
    serve_available,
)

from wfops.pack_client.settings import NO_API_URL, ConnectionSettings, SettingsError  # noqa: E402

ENV = {"ST2_ACTION_API_URL": "https://st2.local/api/v1", "ST2_ACTION_AUTH_TOKEN": "tok"}


def test_stackstorms_action_environment_is_the_default():
    settings = ConnectionSettings.resolve({}, ENV)
    assert (settings.api_url, settings.auth_token, settings.api_key) == ("https://st2.local/api/v1", "tok", None)
    assert settings.cacert is True and settings.source == "ST2_ACTION_API_URL"


def test_sensor_environment():
    settings = ConnectionSettings.resolve({}, {"ST2_API_URL": "http://st2/api/v1/", "ST2_AUTH_TOKEN": "t"})
    assert (settings.api_url, settings.auth_token) == ("http://st2/api/v1", "t")


def test_the_config_comes_first_and_keeps_the_environments_token_to_itself():
    settings = ConnectionSettings.resolve({"api_url": "https://other/api/v1"}, ENV)
    assert settings.api_url == "https://other/api/v1"
    assert settings.auth_token is None and settings.api_key is None
    settings = ConnectionSettings.resolve({"api_url": "https://other/api/v1", "auth_token": "mine"}, ENV)
    assert settings.auth_token == "mine"


def test_api_key_wins_over_tokens():
    settings = ConnectionSettings.resolve({"api_key": "k", "auth_token": "t"}, ENV)
    assert (settings.api_key, settings.auth_token) == ("k", None)
    settings = ConnectionSettings.resolve({"api_key": "k"}, ENV)
    assert (settings.api_url, settings.api_key, settings.auth_token) == ("https://st2.local/api/v1", "k", None)


def test_tls_options(tmp_path):
    assert ConnectionSettings.resolve({"verify_ssl": False, "ca_cert": "/nope"}, ENV).cacert is False
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert ConnectionSettings.resolve({"verify_ssl": True, "ca_cert": str(bundle)}, ENV).cacert == str(bundle)
    with pytest.raises(SettingsError, match='ca_cert "/nope" .* is not a file'):
        ConnectionSettings.resolve({"ca_cert": "/nope"}, ENV)


def test_bad_settings():
    with pytest.raises(SettingsError) as e:
        ConnectionSettings.resolve({}, {})
    assert str(e.value) == NO_API_URL
    with pytest.raises(SettingsError, match="is not an http:// or https:// URL"):
        ConnectionSettings.resolve({"api_url": "st2.local"}, {})


def test_actions_report_settings_errors():
    with preserved_environ():
        os.environ.pop("ST2_ACTION_API_URL", None)
        os.environ.pop("ST2_API_URL", None)
        assert run_action("audit", {}, id="x") == (False, {"error": NO_API_URL, "status": 400})
        ok, result = run_action("pause", {"api_url": "ftp://x"}, ids=["x"])
        assert not ok and "is not an http:// or https:// URL" in result["error"]


def test_unreachable_api():
    with preserved_environ():
        ok, result = run_action("status", {"api_url": "http://127.0.0.1:9/api/v1"}, id="x")
    assert not ok and result["status"] == 502
    assert result["error"].startswith("Cannot reach the API at http://127.0.0.1:9/api/v1")


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory):
    pytest.importorskip("st2client")
    if not serve_available():
        pytest.skip(SERVE_UNAVAILABLE)
    server = WfopsServer(tmp_path_factory.mktemp("keyed"), api_keys="s3cret").start()
    yield server
    server.stop()


def test_api_key(keyed_server):
    with preserved_environ():
        ok, result = run_action("status", {"api_url": keyed_server.url}, id="0123456789abcdef01234567")
        assert (ok, result) == (False, {"error": "Unauthorized - One of Token or API key required.", "status": 401})
        ok, result = run_action("status", {"api_url": keyed_server.url, "api_key": "wrong"},
                                id="0123456789abcdef01234567")
        assert not ok and result["status"] == 401
        ok, result = run_action("status", {"api_url": keyed_server.url, "api_key": "s3cret"},
                                id="0123456789abcdef01234567")
        assert (ok, result) == (False, {"error": 'Unable to identify resource with id "0123456789abcdef01234567".',
                                        "status": 404})
