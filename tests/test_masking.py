"""Secret masking (wfops.masking)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfops.masking import MASKED_ATTRIBUTE_VALUE, mask_secrets, secret_parameter_names
from wfops.packs import ActionRegistry
from wfops.packs import registry as registry_module

PACKS = Path(__file__).parent / "fixtures" / "packs"
# Only this pack: other test modules keep packs of their own next to it.
FIXTUREPACK = PACKS / "fixturepack"


@pytest.fixture(scope="module")
def registry() -> ActionRegistry:
    return ActionRegistry.from_paths([str(FIXTUREPACK)], [(registry_module.BUILTIN_CORE_PACK, "core")])


@pytest.fixture(scope="module")
def secret(registry):
    return registry.get("fixturepack.secret")


def test_mask_is_st2s():
    assert MASKED_ATTRIBUTE_VALUE == "********"


def test_secret_parameter_names(secret, registry):
    # sudo_password is secret in the local runner's own parameters.
    assert secret_parameter_names(secret) == ["password", "pin", "sudo_password"]
    assert secret_parameter_names(registry.get("core.noop")) == []


def test_secret_values_are_masked_and_others_kept(secret):
    given = {"password": "hunter2", "pin": 1234, "cmd": "echo ok", "timeout": 5, "unknown": "x"}
    assert mask_secrets(secret, given) == {
        "password": "********",
        "pin": "********",
        "cmd": "echo ok",
        "timeout": 5,
        "unknown": "x",
    }
    assert given["password"] == "hunter2"  # the input is not changed


def test_nested_secrets_in_objects_and_arrays(secret):
    given = {
        "options": {"user": "ann", "token": "t0k3n"},
        "keys": [{"id": "a", "value": "s1"}, {"id": "b", "value": "s2"}],
    }
    masked = mask_secrets(secret, given)
    assert masked == {
        "options": {"user": "ann", "token": "********"},
        "keys": [{"id": "a", "value": "********"}, {"id": "b", "value": "********"}],
    }
    masked["options"]["user"] = "changed"
    assert given["options"]["user"] == "ann"


def test_values_not_shaped_as_declared_are_masked_whole(secret):
    assert mask_secrets(secret, {"options": "user=ann,token=t0k3n"}) == {"options": "********"}
    assert mask_secrets(secret, {"keys": {"value": "s"}}) == {"keys": "********"}


def test_secret_none_is_masked_too(secret):
    # As StackStorm: the presence of a secret is not revealed either way.
    assert mask_secrets(secret, {"password": None}) == {"password": "********"}
