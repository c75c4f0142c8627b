"""Child-process side of the ``python-script`` runner: run one Python action and write its
outcome to a file.

Run as a script, with the standard library only (it must not import wfops):

    python -u python_wrapper.py INPUT_JSON OUTPUT_JSON

INPUT_JSON holds ``file_path``, ``pack``, ``pack_path``, ``parameters``, ``config`` and
``log_level``. The action module is imported, the one action class in it (a subclass of
``st2common.runners.base_action.Action`` in StackStorm packs) is instantiated with the pack
config and ``run(**parameters)`` is called. OUTPUT_JSON receives ``{"status": true | false |
null, "result": ...}``, or ``{"error": ..., "traceback": ...}`` when the action could not be
loaded or raised. The action's own prints go to stdout and stderr untouched.

When ``st2common`` is not installed, a minimal stand-in for
``st2common.runners.base_action`` is provided so that StackStorm actions import unchanged.
"""

from __future__ import annotations

import abc
import importlib.util
import inspect
import json
import logging
import os
import sys
import traceback
import types

# As StackStorm: a 2-tuple whose first item is not a bool is refused with this exit code.
INVALID_STATUS_EXIT_CODE = 220
LOG_FORMAT = "%(name)-12s: %(levelname)-8s %(message)s"


class ActionService:
    """What an action reaches through ``self.action_service``: an in-memory datastore
    (values live for the duration of this one run)."""

    def __init__(self, pack: str, class_name: str):
        self._pack = pack
        self._class_name = class_name
        self._values: dict[str, object] = {}

    def _key(self, name: str, local: bool) -> str:
        return "%s.%s:%s" % (self._pack, self._class_name, name) if local else name

    def get_user_info(self) -> dict:
        return {"username": os.environ.get("USER", "")}

    def list_values(self, local=True, prefix=None, limit=None, offset=None):
        scope_prefix = self._key("", local)
        items = [
            {"name": key[len(scope_prefix):], "value": value}
            for key, value in sorted(self._values.items())
            if key.startswith(scope_prefix) and key[len(scope_prefix):].startswith(prefix or "")
        ]
        start = offset or 0
        return items[start : start + limit if limit else None]

    def get_value(self, name, local=True, scope="system", decrypt=False):
        return self._values.get(self._key(name, local))

    def set_value(self, name, value, ttl=None, local=True, scope="system", encrypt=False):
        self._values[self._key(name, local)] = value
        return True

    def delete_value(self, name, local=True, scope="system"):
        return self._values.pop(self._key(name, local), None) is not None


def action_logger(class_name: str, log_level: str) -> logging.Logger:
    """StackStorm's logger for Python actions: everything at ``log_level`` and above to stderr."""
    logger = logging.getLogger("actions.python.%s" % class_name)
    level = getattr(logging, str(log_level).upper(), logging.DEBUG)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(handler)
    logger.setLevel(level)
    for handler in logger.handlers:
        handler.setLevel(level)
    return logger


class StandInAction(abc.ABC):
    """Stand-in for ``st2common.runners.base_action.Action``."""

    description = None

    def __init__(self, config=None, action_service=None):
        self.config = config or {}
        self.action_service = action_service
        self.logger = action_logger(type(self).__name__, _LOG_LEVEL)

    @abc.abstractmethod
    def run(self, **kwargs):
        pass


StandInAction.__name__ = StandInAction.__qualname__ = "Action"
_LOG_LEVEL = "DEBUG"


def install_st2common_stand_in() -> type:
    """The ``Action`` base class: StackStorm's when importable, else the stand-in."""
    try:
        from st2common.runners.base_action import Action  # type: ignore[import-not-found]

        return Action
    except Exception:  # noqa: BLE001 - absent, or present but unusable here
        pass
    for name in ("st2common", "st2common.runners", "st2common.runners.base_action"):
        module = types.ModuleType(name)
        module.__path__ = []  # a package, so that submodule imports resolve
        sys.modules[name] = module
    base_action = sys.modules["st2common.runners.base_action"]
    base_action.Action = StandInAction
    StandInAction.__module__ = "st2common.runners.base_action"
    sys.modules["st2common"].runners = sys.modules["st2common.runners"]
    sys.modules["st2common.runners"].base_action = base_action
    return StandInAction


def load_action_class(file_path: str, base_class: type) -> type:
    """The action class of the module at ``file_path``.

    The candidates are the classes defined in that module that have a ``run`` method;
    subclasses of ``base_class`` are preferred, then the first by name (as StackStorm).
    """
    module_name = os.path.splitext(os.path.basename(file_path))[0]
    try:
        spec = importlib.util.spec_from_file_location(module_name, file_path)
        if spec is None or spec.loader is None:
            raise ImportError("not a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(module_name, module)
        spec.loader.exec_module(module)
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise type(exc)(
            'Failed to load action class from file "%s" (action file most likely doesn\'t '
            "exist or contains invalid syntax): %s" % (file_path, exc)
        ) from exc
    candidates = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__ and callable(getattr(cls, "run", None))
    ]
    preferred = [cls for cls in candidates if issubclass(cls, base_class)] or candidates
    if not preferred:
        raise Exception('File "%s" has no action class or the file doesn\'t exist.' % file_path)
    return preferred[0]


def instantiate(action_cls: type, config: dict, service: ActionService):
    try:
        return action_cls(config=config, action_service=service)
    except TypeError as exc:
        # Older actions take only ``config``; the service is then assigned afterwards.
        if "action_service" not in str(exc):
            raise
        instance = action_cls(config=config)
        instance.action_service = service
        return instance


def json_safe(value):
    """``value`` if it is JSON-serialisable, else its ``str()`` (as StackStorm)."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


def _action_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` without this wrapper's own frames at its top."""
    here = os.path.realpath(__file__)
    tb = exc.__traceback__
    while tb is not None and os.path.realpath(tb.tb_frame.f_code.co_filename) == here:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _write(path: str, payload: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as stream:
        json.dump(payload, stream)
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    global _LOG_LEVEL
    input_path, output_path = argv
    with open(input_path, encoding="utf-8") as stream:
        request = json.load(stream)
    _LOG_LEVEL = request.get("log_level") or "DEBUG"
    file_path = request["file_path"]

    lib_dir = os.path.join(request.get("pack_path") or "", "actions", "lib")
    for path in (lib_dir, os.path.dirname(os.path.realpath(file_path))):
        if os.path.isdir(path) and path not in sys.path:
            sys.path.insert(0, path)

    try:
        base_class = install_st2common_stand_in()
        action_cls = load_action_class(file_path, base_class)
        service = ActionService(request.get("pack") or "", action_cls.__name__)
        instance = instantiate(action_cls, request.get("config") or {}, service)
        output = instance.run(**(request.get("parameters") or {}))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, as StackStorm does
        trace = _action_traceback(exc)
        sys.stderr.write(trace)
        sys.stderr.flush()
        _write(output_path, {"error": "%s: %s" % (type(exc).__name__, exc), "traceback": trace})
        return 1

    status = None
    result = output
    if isinstance(output, tuple) and len(output) == 2:
        status, result = output
        if not isinstance(status, bool):
            message = (
                "Status returned from the action run() method must either be True or False, "
                "got: %s" % (status,)
            )
            sys.stderr.write(message + "\n")
            _write(output_path, {"error": message})
            return INVALID_STATUS_EXIT_CODE
    _write(output_path, {"status": status, "result": json_safe(result)})
    return 0


if __name__ == "__main__":
    # Running as a script puts this directory (wfops/runners) first on sys.path, where its
    # modules would shadow the action's own imports (e.g. a module named `base`).
    if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
        sys.path.pop(0)
    # Leave no __pycache__ behind in pack directories.
    sys.dont_write_bytecode = True
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)
