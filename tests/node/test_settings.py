"""Validation of launcher input, without starting any node."""

from __future__ import annotations

import inspect
import keyword
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinoff.actor import Actor, supervision
from spinoff.examples.example1 import ExampleProcess
from spinoff.examples.example2 import ExampleActor
from spinoff.examples.example2 import ExampleProcess as RemoteGreeter
from spinoff.node import NO_MESSAGE, LaunchError, NodeSettings
from spinoff.node.launch import check_port_free
from spinoff.node.remoting_options import RemotingOptions
from spinoff.node.settings import (
    check_actor_arguments,
    load_actor,
    parse_actor_name,
    parse_address,
    parse_log_level,
    parse_message,
    parse_params,
    parse_supervision,
)
from spinoff.remoting import Hub, generate_keys
from tests.node.processes import free_port

# -- --params ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("   ", {}),
        ("other_actor='localhost:9700/other'", {"other_actor": "localhost:9700/other"}),
        ("a='x=1, y=2', b=3", {"a": "x=1, y=2", "b": 3}),
        ("n=-1.5, flag=True, nothing=None", {"n": -1.5, "flag": True, "nothing": None}),
        (
            "pair=(1, 'a'), items=[1, 2], table={'k': [b'v']}",
            {
                "pair": (1, "a"),
                "items": [1, 2],
                "table": {"k": [b"v"]},
            },
        ),
        ("s={1, 2}, z=1+2j", {"s": {1, 2}, "z": 1 + 2j}),
        ("trailing=1,", {"trailing": 1}),
        ('text="it\'s"', {"text": "it's"}),
    ],
)
def test_params_parse_literals(text: str, expected: dict[str, Any]) -> None:
    assert parse_params(text) == expected


def test_params_unquoted_address_hints_quotes() -> None:
    text = "other_actor=localhost:9700/other"

    with pytest.raises(LaunchError) as caught:
        parse_params(text)

    assert str(caught.value).endswith("; quote string values")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("x=f()", "the value of 'x' (f()) is not a Python literal"),
        ("x=os.system('true')", "is not a Python literal"),
        ("x=name", "the value of 'x' (name) is not a Python literal"),
        ("x=1+1", "is not a Python literal"),
        ("x=[i for i in ()]", "is not a Python literal"),
        ("'value'", "has no key"),
        ("**{'a': 1}", "'**' is not supported"),
        ("x=1, x=2", "the key 'x' repeats"),
        ("x=", "syntax error"),
        ("x=1) + f(y=2", "not a list of key=literal pairs"),
        ("x=(", "syntax error"),
    ],
)
def test_params_reject_non_literals(text: str, problem: str) -> None:
    with pytest.raises(LaunchError) as caught:
        parse_params(text)

    message = str(caught.value)
    assert message.startswith(f"invalid --params {text!r}: ")
    assert problem in message
    assert "key=literal" in message
    assert "\n" not in message


def literal_values() -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text()
        | st.binary()
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.lists(children, max_size=4).map(tuple)
            | st.dictionaries(st.text(max_size=5), children, max_size=4)
        ),
        max_leaves=10,
    )


keys = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda key: not keyword.iskeyword(key)
)


@given(st.dictionaries(keys, literal_values(), max_size=5))
def test_params_round_trip(params: dict[str, Any]) -> None:
    text = ", ".join(f"{key}={value!r}" for key, value in params.items())

    assert parse_params(text) == params


# -- --message -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'start'", "start"),
        ("42", 42),
        ("('hello', 1)", ("hello", 1)),
        (" None ", None),
    ],
)
def test_message_parses_literal(text: str, expected: Any) -> None:
    assert parse_message(text) == expected


@pytest.mark.parametrize("text", ["hello", "print(1)", "", "('a',"])
def test_message_rejects_non_literal(text: str) -> None:
    with pytest.raises(LaunchError, match="not a Python literal; expected a Python"):
        parse_message(text)


@given(literal_values())
def test_message_round_trip(value: Any) -> None:
    assert parse_message(repr(value)) == value


# -- --remoting -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (":9700", "localhost:9700"),
        ("localhost:9700", "localhost:9700"),
        ("127.0.0.1:1", "127.0.0.1:1"),
        ("127.0.0.1:65535", "127.0.0.1:65535"),
        ("[::1]:9700", "[::1]:9700"),
    ],
)
def test_address_accepts_host_and_port(text: str, expected: str) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("9700", "the port is missing"),
        ("localhost", "the port is missing"),
        ("localhost:", "the port '' is not a number"),
        ("localhost:http", "the port 'http' is not a number"),
        ("localhost:-1", "the port '-1' is not a number"),
        ("localhost:0", "the port 0 is out of range"),
        ("localhost:65536", "the port 65536 is out of range"),
        ("a/b:9700", "the host 'a/b' contains '/' or whitespace"),
    ],
)
def test_address_rejects_invalid(text: str, problem: str) -> None:
    with pytest.raises(LaunchError) as caught:
        parse_address(text)

    assert str(caught.value).startswith(f"invalid --remoting {text!r}: {problem}")


def test_port_check_detects_listener() -> None:
    import socket

    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()

        with pytest.raises(LaunchError, match=f"the port {port} is already in use"):
            check_port_free(f"127.0.0.1:{port}")

    check_port_free(f"127.0.0.1:{port}")


def test_port_check_rejects_unknown_host() -> None:
    with pytest.raises(LaunchError, match="does not resolve"):
        check_port_free("no-such-host.invalid:9700")


# -- --actor ----------------------------------------------------------------------


def test_actor_loads_class() -> None:
    assert load_actor("spinoff.examples.example1.ExampleProcess") is ExampleProcess


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("ExampleProcess", "no module part"),
        ("no_such_module_x.Actor", "module 'no_such_module_x' not found"),
        ("spinoff.examples.nope.Actor", "module 'spinoff.examples.nope' not found"),
        (
            "spinoff.examples.example1.Nope",
            "module 'spinoff.examples.example1' has no attribute 'Nope'",
        ),
        ("spinoff.examples.example1", "names a module, not a class"),
        ("spinoff.examples.example1.dbg", "'dbg' is a function that is not an actor"),
        (
            "tests.node.actors.NotAnActor",
            "'NotAnActor' is a class that is not an actor",
        ),
    ],
)
def test_actor_rejects_invalid(path: str, problem: str) -> None:
    with pytest.raises(LaunchError) as caught:
        load_actor(path)

    message = str(caught.value)
    assert message.startswith(f"invalid --actor {path!r}: {problem}")
    assert "\n" not in message


def test_actor_error_lists_actors_of_module() -> None:
    with pytest.raises(LaunchError, match="actors in that module: ExampleActor, Exa"):
        load_actor("spinoff.examples.example2.Nope")


def test_actor_import_error_names_dependency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "needs_dependency.py").write_text("import missing_dependency_x\n")
    (tmp_path / "broken_module.py").write_text(
        "raise RuntimeError('broken at import')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(LaunchError) as missing:
        load_actor("needs_dependency.Actor")
    with pytest.raises(LaunchError) as broken:
        load_actor("broken_module.Actor")

    assert (
        "importing module 'needs_dependency' failed: No module named "
        "'missing_dependency_x'" in str(missing.value)
    )
    assert (
        "importing module 'broken_module' failed: RuntimeError: broken at import"
        in str(broken.value)
    )
    for name in ("needs_dependency", "broken_module"):
        sys.modules.pop(name, None)


# -- arguments, names, supervision and levels ----------------------------------------


def test_arguments_checked_against_run() -> None:
    check_actor_arguments(RemoteGreeter, {"other_actor": "x"})

    with pytest.raises(LaunchError, match="missing a required argument: 'other_actor'"):
        check_actor_arguments(RemoteGreeter, {})
    with pytest.raises(LaunchError, match="unexpected keyword argument 'extra'"):
        check_actor_arguments(RemoteGreeter, {"other_actor": "x", "extra": 1})


def test_arguments_rejected_without_pre_start() -> None:
    with pytest.raises(LaunchError, match=r"Actor.pre_start\(\) takes no parameters"):
        check_actor_arguments(Actor, {"x": 1})
    with pytest.raises(LaunchError, match="unexpected keyword argument 'x'"):
        check_actor_arguments(ExampleActor, {"x": 1})


@pytest.mark.parametrize("name", ["", "a/b", "$1"])
def test_name_rejects_invalid(name: str) -> None:
    with pytest.raises(LaunchError, match="not a valid actor name"):
        parse_actor_name(name)


def test_supervision_choices() -> None:
    assert parse_supervision("stop") is supervision.Stop
    assert parse_supervision("Restart") is supervision.Restart
    assert parse_supervision("resume") is supervision.Resume
    with pytest.raises(LaunchError, match="expected one of stop, restart, resume"):
        parse_supervision("escalate")


def test_log_levels() -> None:
    assert parse_log_level("debug") == 10
    assert parse_log_level("WARNING") == 30
    assert parse_log_level("5") == 5
    with pytest.raises(LaunchError, match="unknown log level"):
        parse_log_level("loud")


# -- NodeSettings -------------------------------------------------------------------


def test_settings_parse_everything() -> None:
    settings = NodeSettings.parse(
        actor="spinoff.examples.example2.ExampleProcess",
        remoting=":9700",
        name="greeter",
        params="other_actor='localhost:9701/other'",
        message="('hello', 1)",
        supervise="restart",
        max_restarts=3,
        restart_window=10.0,
        keep_running=True,
        log_level="info",
    )

    assert settings.actor is RemoteGreeter
    assert settings.address == "localhost:9700"
    assert settings.node_label == "localhost:9700"
    assert settings.name == "greeter"
    assert settings.params == {"other_actor": "localhost:9701/other"}
    assert settings.message == ("hello", 1)
    assert settings.supervision == supervision.Restart(max=3, within=10.0)
    assert settings.keep_running is True
    assert settings.log_level == 20
    assert repr(settings.factory) == (
        "ExampleProcess.using(other_actor='localhost:9701/other')"
    )


def test_settings_defaults() -> None:
    settings = NodeSettings.parse(actor="spinoff.examples.example1.ExampleProcess")

    assert settings.address is None
    assert settings.node_label == "local"
    assert settings.message is NO_MESSAGE
    assert settings.supervision is supervision.Stop
    assert settings.factory is ExampleProcess
    assert settings.build_hub() is None


@pytest.mark.parametrize(
    ("options", "option_name"),
    [
        ({"max_restarts": 0, "supervise": "restart"}, "--max-restarts"),
        ({"restart_window": 0.0, "supervise": "restart"}, "--restart-window"),
        ({"respawn_delay": -1.0}, "--respawn-delay"),
        ({"stop_timeout": 0.0}, "--stop-timeout"),
        ({"framework_log_level": "chatty"}, "--framework-log-level"),
    ],
)
def test_settings_reject_bad_numbers(options: dict[str, Any], option_name: str) -> None:
    with pytest.raises(LaunchError, match=f"^invalid {option_name} "):
        NodeSettings.parse(actor="spinoff.examples.example1.ExampleProcess", **options)


# -- remoting options ----------------------------------------------------------------


def test_remoting_defaults_match_hub() -> None:
    hub_defaults = inspect.signature(Hub).parameters

    assert (
        hub_defaults["heartbeat_interval"].default
        == RemotingOptions.DEFAULT_HEARTBEAT_INTERVAL
    )
    assert (
        hub_defaults["heartbeat_timeout"].default
        == RemotingOptions.DEFAULT_HEARTBEAT_TIMEOUT
    )
    assert (
        hub_defaults["connect_timeout"].default
        == RemotingOptions.DEFAULT_CONNECT_TIMEOUT
    )
    assert RemotingOptions.DEFAULT_HEARTBEAT_TIMEOUT == 1.0
    assert RemotingOptions.DEFAULT_CONNECT_TIMEOUT == 30.0


def test_remoting_default_hub_options() -> None:
    settings = NodeSettings.parse(actor="spinoff.examples.example1.ExampleProcess")

    assert settings.remoting.hub_options() == {
        "heartbeat_interval": 0.1,
        "heartbeat_timeout": 1.0,
        "connect_timeout": 30.0,
    }


def test_remoting_options_map_to_hub() -> None:
    options = RemotingOptions.parse(
        heartbeat_interval=0.5,
        heartbeat_timeout=2.0,
        connect_timeout=7.5,
        allow=["fractions.Fraction"],
    )

    assert options.hub_options() == {
        "heartbeat_interval": 0.5,
        "heartbeat_timeout": 2.0,
        "connect_timeout": 7.5,
        "allowed_classes": (Fraction,),
    }


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"heartbeat_interval": 0.0}, "invalid --heartbeat-interval 0.0"),
        (
            {"heartbeat_interval": 1.0, "heartbeat_timeout": 2.0},
            "must be more than twice --heartbeat-interval (1.0 s)",
        ),
        ({"connect_timeout": 0.0}, "invalid --connect-timeout 0.0: must be positive"),
        ({"connect_timeout": float("nan")}, "invalid --connect-timeout nan"),
        ({"allow": ["fractions"]}, "invalid --allow 'fractions': no module part"),
        ({"allow": ["fractions.Nope"]}, "importing it failed: AttributeError"),
        ({"allow": ["math.pi"]}, "invalid --allow 'math.pi': is a float"),
        ({"curve_authorized_keys": "keys"}, "needs --curve-secret-key"),
        (
            {"curve_secret_key": "a", "curve_server_keys": ["127.0.0.1:9700"]},
            "expected HOST:PORT=FILE",
        ),
    ],
)
def test_remoting_options_rejected(options: dict[str, Any], expected: str) -> None:
    with pytest.raises(LaunchError) as caught:
        RemotingOptions.parse(**options)

    assert expected in str(caught.value)


def test_curve_keys_loaded(tmp_path: Path) -> None:
    public_file, secret_file = generate_keys(tmp_path, "node")
    (tmp_path / "peers").mkdir()
    other_public, _ = generate_keys(tmp_path / "peers", "peer")
    options = RemotingOptions.parse(
        curve_secret_key=str(secret_file),
        curve_authorized_keys=str(tmp_path / "peers"),
        curve_server_keys=[f"127.0.0.1:9701={other_public}"],
    )

    curve = options.hub_options()["curve"]

    assert curve.public_key == public_file.read_text().split('"')[1].encode()
    assert len(curve.authorized_keys) == 1
    assert set(curve.server_keys) == {"127.0.0.1:9701"}


def test_curve_key_errors_one_line(tmp_path: Path) -> None:
    public_file, _ = generate_keys(tmp_path, "node")
    missing = RemotingOptions.parse(curve_secret_key=str(tmp_path / "none"))
    public_only = RemotingOptions.parse(curve_secret_key=str(public_file))

    with pytest.raises(LaunchError) as not_found:
        missing.hub_options()
    with pytest.raises(LaunchError) as no_secret:
        public_only.hub_options()

    assert "loading the CURVE keys failed" in str(not_found.value)
    assert "holds no secret key" in str(no_secret.value)
    assert "\n" not in str(no_secret.value)
