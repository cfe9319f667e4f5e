"""What may travel between nodes, checked on the codec without sockets."""

from __future__ import annotations

import collections
import dataclasses
import enum
import io
import os
import pickle
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinoff.actor import Actor, Node, Ref
from spinoff.remoting import UnserializableMessage
from spinoff.remoting._serialization import Codec, Rejected, restore_ref

pytestmark = pytest.mark.timeout(60)

HERE = "127.0.0.1:7000"
THERE = "127.0.0.1:7001"


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int


@dataclasses.dataclass(slots=True)
class Slotted:
    name: str
    items: list[Any]


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Pair(NamedTuple):
    left: Any
    right: Any


class Idle(Actor):
    def receive(self, message: Any) -> None:
        pass


class _RunsCommand:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("echo this must not run",))


@pytest.fixture
def node() -> Iterator[Node]:
    node = Node()
    node.address = HERE
    yield node
    node.stop()


def codec_for(node: Node, *allowed: Any) -> Codec:
    codec = Codec(allowed)
    codec.node = node
    return codec


def round_trip(sender: Codec, receiver: Codec, message: Any) -> Any:
    data = sender.encode("/target", message, f"{THERE}/target")
    decoder = receiver.decoder(data)
    try:
        path, decoded = decoder.load(0, len(data))
    finally:
        decoder.close()
    assert path == "/target"
    return decoded


def decode(codec: Codec, data: bytes) -> Any:
    decoder = codec.decoder(data)
    try:
        return decoder.load(0, len(data))[1]
    finally:
        decoder.close()


plain_data = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary(),
    lambda children: (
        st.lists(children)
        | st.tuples(children, children)
        | st.dictionaries(st.text(), children)
        | st.frozensets(st.integers())
    ),
    max_leaves=30,
)


@given(plain_data)
def test_plain_data_round_trips(message: Any) -> None:
    node = Node()
    node.address = HERE
    codec = codec_for(node)

    assert round_trip(codec, codec, message) == message


def test_allowed_classes_round_trip(node: Node) -> None:
    codec = codec_for(node, Point, Slotted, Color, Pair, collections.OrderedDict)
    message = (
        Point(1, 2),
        Slotted("s", [1, 2]),
        Color.GREEN,
        Pair("a", "b"),
        collections.OrderedDict(a=1),
    )

    decoded = round_trip(codec, codec, message)

    assert decoded == message
    assert type(decoded[3]) is Pair
    assert decoded[2] is Color.GREEN


def test_remote_ref_stays_remote(node: Node) -> None:
    codec = codec_for(node)
    ref = node.lookup(f"{THERE}/other")

    decoded = round_trip(codec, codec, ("hello", ref))[1]

    assert decoded == ref
    assert decoded.uri.node == THERE
    assert decoded._cell is None


def test_local_ref_comes_home(node: Node) -> None:
    codec = codec_for(node)
    local = node.spawn(Idle, name="idle")

    decoded = round_trip(codec, codec, local)

    assert decoded == local
    assert decoded._cell is local._cell


@pytest.mark.parametrize(
    ("message", "type_name"),
    [
        (1j, "builtins.complex"),
        (collections.defaultdict(int), "collections.defaultdict"),
        (Point(1, 2), "test_serialization.Point"),
        (Point, "builtins.type"),
        (len, "builtins.builtin_function_or_method"),
        (_RunsCommand(), "test_serialization._RunsCommand"),
    ],
)
def test_sender_rejects_unallowed_objects(
    node: Node, message: Any, type_name: str
) -> None:
    codec = codec_for(node)

    with pytest.raises(UnserializableMessage) as raised:
        codec.encode("/target", ("wrapped", message), f"{THERE}/target")

    assert raised.value.type_name.endswith(type_name)
    assert raised.value.target == f"{THERE}/target"
    assert "allowed_classes" in str(raised.value)
    assert isinstance(raised.value, TypeError)


def test_too_deep_message_fails(node: Node) -> None:
    codec = codec_for(node)
    message: list[Any] = []
    for _ in range(100_000):
        message = [message]

    with pytest.raises(UnserializableMessage, match="nested too deeply"):
        codec.encode("/target", message, f"{THERE}/target")


def test_receiver_rejects_unallowed_class(node: Node) -> None:
    sender = codec_for(node, Point)
    receiver = codec_for(node)

    with pytest.raises(Rejected) as raised:
        round_trip(sender, receiver, Point(1, 2))

    assert raised.value.type_name.endswith("test_serialization.Point")


def test_receiver_rejects_other_globals(node: Node) -> None:
    data = pickle.dumps(("/target", _RunsCommand()), protocol=5)

    with pytest.raises(Rejected) as raised:
        decode(codec_for(node), data)

    assert raised.value.type_name in ("posix.system", "nt.system")


def test_receiver_rejects_persistent_ids(node: Node) -> None:
    class _WithPersistentId(pickle.Pickler):
        def persistent_id(self, obj: Any) -> Any:
            return "id" if obj == "marked" else None

    buffer = io.BytesIO()
    _WithPersistentId(buffer, protocol=5).dump(("/target", "marked"))

    with pytest.raises(pickle.UnpicklingError):
        decode(codec_for(node), buffer.getvalue())


def test_crafted_state_spares_actor_ref(node: Node) -> None:
    local = node.spawn(Idle, name="idle")
    uri_before = local.uri

    class _Marker:
        pass

    class _Crafted(pickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            if isinstance(obj, _Marker):
                # restore_ref, then BUILD with slot state aimed at the ref.
                return restore_ref, (f"{HERE}/idle",), (None, {"_uri": "changed"})
            return NotImplemented

    buffer = io.BytesIO()
    _Crafted(buffer, protocol=5).dump(("/target", _Marker()))
    decoded = decode(codec_for(node), buffer.getvalue())

    assert isinstance(decoded, Ref)
    assert decoded._uri == "changed"
    assert local.uri == uri_before
    assert node.lookup(f"{HERE}/idle") is local


def test_codec_requires_classes() -> None:
    with pytest.raises(TypeError, match="allowed_classes must contain classes"):
        Codec([Point(1, 2)])  # type: ignore[list-item]
