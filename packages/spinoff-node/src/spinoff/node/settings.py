"""Validation of launcher input: actor paths, parameters, messages and addresses.

Every parser raises `LaunchError`, whose text is a single line that names the
option, the rejected value and the expected form, so that the command-line
front ends can print it as is. Nothing here binds a socket or spawns an
actor: the launcher checks all of its input before it does either.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import logging
import sys
import types
from typing import Any

from spinoff.actor import Actor, supervision
from spinoff.actor.process import Process

__all__ = [
    "LaunchError",
    "check_actor_arguments",
    "load_actor",
    "parse_actor_name",
    "parse_address",
    "parse_log_level",
    "parse_message",
    "parse_params",
    "parse_supervision",
]

PARAMS_FORM = "comma-separated key=literal pairs such as \"name='x', count=3\""
MESSAGE_FORM = "a Python literal such as 'start', 42 or ('hello', 1)"
ACTOR_FORM = "module.Class naming a subclass of spinoff.actor.Actor"
ADDRESS_FORM = "[host]:port such as 127.0.0.1:9700 or :9700"


class LaunchError(ValueError):
    """Invalid launcher input.

    Attributes:
        option: the option that carried the value, such as ``--actor``.
        value: the rejected value as given.
        problem: what is wrong with it.
        hint: the expected form or the way to fix it.
    """

    def __init__(self, option: str, value: object, problem: str, hint: str) -> None:
        super().__init__(option, value, problem, hint)
        self.option = option
        self.value = value
        self.problem = problem
        self.hint = hint

    def __str__(self) -> str:
        return f"invalid {self.option} {self.value!r}: {self.problem}; {self.hint}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def load_actor(path: str, option: str = "--actor") -> type[Actor]:
    """Import ``module.Class`` and return the class, which must be an actor.

    Raises:
        LaunchError: the path has no module part, the module is not found or
            fails to import (the message carries the underlying error, such as
            a missing dependency), the attribute does not exist, or it is not
            a subclass of `Actor`.
    """
    module_name, dot, attribute = path.strip().rpartition(".")
    if not dot or not module_name or not attribute:
        raise LaunchError(option, path, "no module part", f"expected {ACTOR_FORM}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise LaunchError(
                option,
                path,
                f"module {missing!r} not found",
                "check the spelling, install the package or run from the "
                "directory that contains the module",
            ) from None
        raise LaunchError(
            option,
            path,
            f"importing module {module_name!r} failed: {_one_line(str(exc))}",
            "install the missing module",
        ) from None
    except Exception as exc:
        raise LaunchError(
            option,
            path,
            f"importing module {module_name!r} failed: "
            f"{type(exc).__name__}: {_one_line(str(exc))}",
            "fix the module so that it imports",
        ) from None
    try:
        found = getattr(module, attribute)
    except AttributeError:
        if _is_module(path):
            raise LaunchError(
                option, path, "names a module, not a class", _actor_hint(path)
            ) from None
        raise LaunchError(
            option,
            path,
            f"module {module_name!r} has no attribute {attribute!r}",
            _actor_hint(module),
        ) from None
    if isinstance(found, types.ModuleType):
        raise LaunchError(
            option, path, "names a module, not a class", _actor_hint(found)
        )
    if not (isinstance(found, type) and issubclass(found, Actor)):
        kind = "class" if isinstance(found, type) else type(found).__name__
        raise LaunchError(
            option,
            path,
            f"{attribute!r} is a {kind} that is not an actor",
            _actor_hint(module),
        )
    return found


def _is_module(path: str) -> bool:
    try:
        return importlib.util.find_spec(path) is not None
    except (ImportError, ValueError):
        return False


def _actor_hint(module: object) -> str:
    if isinstance(module, str):
        try:
            module = importlib.import_module(module)
        except Exception:
            return f"expected {ACTOR_FORM}"
    names = sorted(
        name
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, Actor)
        and value.__module__ == getattr(module, "__name__", None)
    )
    if names:
        return f"expected {ACTOR_FORM}; actors in that module: {', '.join(names)}"
    return f"expected {ACTOR_FORM}"


def parse_params(text: str, option: str = "--params") -> dict[str, Any]:
    """Parse ``"key=literal, ..."`` into keyword arguments.

    Values are Python literals (strings, bytes, numbers, tuples, lists,
    dicts, sets, booleans and None), read with `ast.literal_eval`, so they
    may contain ``=`` and commas inside strings. Nothing is evaluated: a
    name, call or operator other than a sign or a complex number is rejected.
    An empty or blank text gives no arguments.

    Raises:
        LaunchError: the text is not a list of ``key=literal`` pairs, a key
            repeats, or a value is not a literal.
    """
    if not text.strip():
        return {}
    hint = f"expected {PARAMS_FORM}"
    try:
        # Parsing the pairs as the arguments of a call lets the Python parser
        # split them, so commas and '=' inside literals need no special care.
        tree = ast.parse(f"f({text}\n)", mode="eval")
    except SyntaxError as exc:
        raise LaunchError(
            option, text, f"syntax error: {exc.msg}", f"{hint}; quote string values"
        ) from None
    call = tree.body
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "f"
    ):
        raise LaunchError(option, text, "not a list of key=literal pairs", hint)
    if call.args:
        raise LaunchError(
            option, text, f"{ast.unparse(call.args[0])!r} has no key", hint
        )
    params: dict[str, Any] = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            raise LaunchError(option, text, "'**' is not supported", hint)
        if keyword.arg in params:
            raise LaunchError(option, text, f"the key {keyword.arg!r} repeats", hint)
        try:
            params[keyword.arg] = ast.literal_eval(keyword.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise LaunchError(
                option,
                text,
                f"the value of {keyword.arg!r} ({ast.unparse(keyword.value)}) "
                "is not a Python literal",
                f"{hint}; quote strings",
            ) from None
    return params


def parse_message(text: str, option: str = "--message") -> Any:
    """Parse a Python literal, such as ``'start'`` or ``('hello', 1)``.

    Raises:
        LaunchError: the text is not a single Python literal.
    """
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise LaunchError(
            option,
            text,
            "not a Python literal",
            f"expected {MESSAGE_FORM}; quote strings, as in \"'start'\"",
        ) from None


def parse_address(text: str, option: str = "--remoting") -> str:
    """Validate ``[host]:port`` and return ``host:port``.

    An empty host means ``localhost``, as in the original spinoff, where
    ``-r :9700`` binds ``localhost:9700``.

    Raises:
        LaunchError: the port is missing, not a number or out of range, or
            the host contains ``/`` or whitespace.
    """
    host, colon, port = text.strip().rpartition(":")
    if not colon:
        raise LaunchError(
            option, text, "the port is missing", f"expected {ADDRESS_FORM}"
        )
    if not port.isascii() or not port.isdigit():
        raise LaunchError(
            option,
            text,
            f"the port {port!r} is not a number",
            f"expected {ADDRESS_FORM}",
        )
    if not 1 <= int(port) <= 65535:
        raise LaunchError(
            option,
            text,
            f"the port {int(port)} is out of range",
            "expected a port from 1 to 65535",
        )
    if "/" in host or any(char.isspace() for char in host):
        raise LaunchError(
            option,
            text,
            f"the host {host!r} contains '/' or whitespace",
            f"expected {ADDRESS_FORM}",
        )
    return f"{host or 'localhost'}:{int(port)}"


def parse_actor_name(name: str, option: str = "--name") -> str:
    """Check a top-level actor name: non-empty, no ``/``, no leading ``$``.

    Raises:
        LaunchError: the name breaks one of those rules.
    """
    if not name or "/" in name or name.startswith("$"):
        raise LaunchError(
            option,
            name,
            "not a valid actor name",
            "expected a non-empty name without '/' that does not start with '$'",
        )
    return name


def parse_supervision(choice: str, option: str = "--supervise") -> supervision.Decision:
    """Map ``stop``, ``restart`` or ``resume`` to a supervision decision.

    ``restart`` returns an unlimited `supervision.Restart`; callers that want
    a restart limit build ``Restart(max=..., within=...)`` themselves.

    Raises:
        LaunchError: any other value.
    """
    decisions = {
        "stop": supervision.Stop,
        "restart": supervision.Restart,
        "resume": supervision.Resume,
    }
    try:
        return decisions[choice.strip().lower()]
    except KeyError:
        raise LaunchError(
            option, choice, "unknown policy", f"expected one of {', '.join(decisions)}"
        ) from None


def parse_log_level(text: str, option: str = "--log-level") -> int:
    """Map a `logging` level name (any case) or number to its number.

    Raises:
        LaunchError: an unknown name.
    """
    value = text.strip()
    if value.isdigit():
        return int(value)
    names = logging.getLevelNamesMapping()
    level = names.get(value.upper())
    if level is None:
        raise LaunchError(
            option,
            text,
            "unknown log level",
            "expected DEBUG, INFO, WARNING, ERROR or CRITICAL",
        )
    return level


def check_actor_arguments(
    actor: type[Actor],
    params: dict[str, Any],
    text: str | None = None,
    option: str = "--params",
) -> None:
    """Check that `params` fit the signature that receives them.

    A `Process` gets them in `run`, any other actor in `pre_start`. `text` is
    the option value to quote in the error; by default `params` are shown.

    Raises:
        LaunchError: an unexpected or missing argument.
    """
    method_name = "run" if issubclass(actor, Process) else "pre_start"
    method = getattr(actor, method_name)
    quoted = text
    if quoted is None:
        quoted = ", ".join(f"{key}={value!r}" for key, value in params.items())
    if method is Actor.pre_start:
        if params:
            raise LaunchError(
                option,
                quoted,
                f"{actor.__name__}.pre_start() takes no parameters",
                "drop --params or define pre_start with these parameters",
            )
        return
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):
        return  # a builtin or otherwise opaque callable: let the call decide
    try:
        signature.bind(None, **params)
    except TypeError as exc:
        raise LaunchError(
            option,
            quoted,
            f"{actor.__name__}.{method_name}{signature} does not accept them: {exc}",
            f"expected {PARAMS_FORM} that match those parameters",
        ) from None


def add_working_directory_to_path() -> None:
    """Make modules in the current directory importable, as ``python -m`` does."""
    if "" not in sys.path:
        sys.path.insert(0, "")
