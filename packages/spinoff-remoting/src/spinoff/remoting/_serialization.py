"""Restricted pickling: what may travel between nodes, and how it is rebuilt.

A message travels as one pickle (protocol 5) of ``(path, message)``. Plain
data (None, bool, int, float, str, bytes, bytearray, tuple, list, dict, set,
frozenset) is pickled by the C pickler without any check, because it cannot
name code. Everything else passes `_Pickler.reducer_override` first:

- A `Ref` becomes a call of `restore_ref` with its full address.
- An instance of an allowed class becomes a call of `make_object` with the
  class's ``module.qualname`` key and the parts of its ``__reduce_ex__(5)``
  (constructor arguments, state, list and dict items).
- Anything else raises `UnserializableMessage` at the sender.

The receiving `_Unpickler.find_class` resolves exactly those two names, to
methods of the receiving `Codec`, and rejects every other global with
`Rejected`. So a received pickle can neither import a module nor call any
function except these two. `make_object` looks the key up in the receiver's
own allow-list, so both nodes must allow a class for it to travel.

Class objects never reach the unpickler's stack: a crafted pickle cannot set
attributes on an allowed class with the BUILD opcode. Refs rebuilt for local
actors are fresh copies for the same reason: a BUILD on one changes that copy
only, never the actor's own ref.
"""

from __future__ import annotations

import copyreg
import enum
import io
import pickle
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from spinoff.actor import Ref, Uri
from spinoff.remoting._exceptions import UnserializableMessage

if TYPE_CHECKING:
    from spinoff.actor import Node

__all__ = ["Codec", "Rejected", "make_object", "restore_ref"]

PROTOCOL = 5

# Construction modes of make_object: cls.__new__(cls, *args, **kwargs), or a
# call of the allowed class or function with the arguments.
_NEWOBJ = 0
_CALL = 1

# typeshed does not declare these two helpers of copyreg.
_copyreg_newobj = copyreg.__newobj__  # type: ignore[attr-defined]
_copyreg_newobj_ex = copyreg.__newobj_ex__  # type: ignore[attr-defined]

_MAX_NAME = 200
_CACHE_SIZE = 4096
_REUSE_LIMIT = 1 << 20


class Rejected(Exception):
    """A received pickle names a class or function that is not allowed here."""

    def __init__(self, type_name: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name


class _NotAllowed(Exception):
    """An object that the sender may not pickle; becomes `UnserializableMessage`."""

    def __init__(self, type_name: str, reason: str) -> None:
        super().__init__(type_name, reason)
        self.type_name = type_name
        self.reason = reason


def restore_ref(address: str) -> Ref:
    """Name on the wire of a ref; receivers resolve it to `Codec.restore_ref`."""
    raise RuntimeError("restore_ref is only called through a Codec")


def make_object(*parts: Any) -> Any:
    """Name on the wire of an allowed object; receivers use `Codec.make_object`."""
    raise RuntimeError("make_object is only called through a Codec")


def qualified_name(obj: object) -> str:
    """Return ``module.qualname`` of a class or function."""
    module = getattr(obj, "__module__", None) or "?"
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    return f"{module}.{name or '?'}"


class _Pickler(pickle.Pickler):
    codec: Codec

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is Ref:
            return restore_ref, (str(obj.uri),)
        if obj is restore_ref or obj is make_object:
            return NotImplemented
        return self.codec.reduce(obj)


class _Unpickler(pickle.Unpickler):
    codec: Codec

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__:
            if name == "restore_ref":
                return self.codec.restore_ref
            if name == "make_object":
                return self.codec.make_object
        raise Rejected(f"{module}.{name}"[:_MAX_NAME])


class Codec:
    """Encode messages for the wire and decode them on receipt.

    Args:
        allowed: classes (or functions that an allowed class's
            ``__reduce__`` names) that may travel besides plain data and refs.

    Raises:
        TypeError: an entry of `allowed` has no ``__module__`` and
            ``__qualname__``.
    """

    def __init__(self, allowed: Iterable[Callable[..., object]] = ()) -> None:
        self.keys: dict[object, str] = {}
        self.by_key: dict[str, object] = {}
        for obj in allowed:
            if not callable(obj) or not hasattr(obj, "__qualname__"):
                raise TypeError(
                    f"allowed_classes must contain classes, got {obj!r}; pass the "
                    "class itself, for example allowed_classes=[Greeting]"
                )
            key = qualified_name(obj)
            self.keys[obj] = key
            self.by_key[key] = obj
        self.node: Node | None = None
        self._buffer = io.BytesIO()
        self._pickler = self._new_pickler(self._buffer)
        self._encoding = False
        self._uris: dict[str, Uri] = {}
        self._unpickler_class = type("_Unpickler", (_Unpickler,), {"codec": self})
        self._file = io.BytesIO()
        self._unpickler = self._unpickler_class(self._file)
        self._decoding = False

    def _new_pickler(self, buffer: io.BytesIO) -> _Pickler:
        pickler = _Pickler(buffer, PROTOCOL)
        pickler.codec = self
        return pickler

    # -- sending --------------------------------------------------------------

    def encode(self, path: str, message: Any, target: str) -> bytes:
        """Pickle ``(path, message)``.

        Args:
            path: the actor path on the receiving node.
            message: the message.
            target: the full address of the receiver, for error messages.

        Raises:
            UnserializableMessage: `message` contains an object that may not
                travel, or pickling it failed.
        """
        nested = self._encoding
        if nested:
            # A __reduce__ method sent a message while its object was pickled.
            buffer = io.BytesIO()
            pickler = self._new_pickler(buffer)
        else:
            buffer = self._buffer
            buffer.seek(0)
            buffer.truncate()
            pickler = self._pickler
            pickler.clear_memo()
        self._encoding = True
        try:
            pickler.dump((path, message))
        except _NotAllowed as exc:
            raise UnserializableMessage(target, exc.type_name, exc.reason) from None
        except RecursionError:
            raise UnserializableMessage(
                target, qualified_name(type(message)), "it is nested too deeply"
            ) from None
        except Exception as exc:
            raise UnserializableMessage(
                target, qualified_name(type(message)), f"pickling failed: {exc}"
            ) from exc
        finally:
            self._encoding = nested
        return buffer.getvalue()

    def reduce(self, obj: Any) -> tuple[Any, tuple[Any, ...]]:
        """Return the reduction of a non-plain object, or raise `_NotAllowed`."""
        kind = type(obj)
        key = self.keys.get(kind)
        if key is None:
            raise _NotAllowed(qualified_name(kind), _why_not(obj))
        reducer = copyreg.dispatch_table.get(kind)
        if isinstance(obj, enum.Enum):
            # Rebuild members by value: some Python 3.11 releases reduce them
            # to getattr(cls, name), which would need getattr to be allowed.
            reduced: Any = (kind, (obj.value,))
        elif reducer is not None:
            reduced = reducer(obj)
        else:
            reduced = obj.__reduce_ex__(PROTOCOL)
        if not isinstance(reduced, tuple) or not 2 <= len(reduced) <= 6:
            raise _NotAllowed(key, f"{key} reduces to {reduced!r}, a global name")
        func, args, state, list_items, dict_items, setter = reduced + (None,) * (
            6 - len(reduced)
        )
        if setter is not None:
            raise _NotAllowed(key, f"{key} reduces with a state setter")
        keywords: dict[str, Any] | None = None
        if func is _copyreg_newobj:
            builder, how, positional = args[0], _NEWOBJ, list(args[1:])
        elif func is _copyreg_newobj_ex:
            builder, how = args[0], _NEWOBJ
            positional, keywords = list(args[1]), dict(args[2])
        else:
            builder, how, positional = func, _CALL, list(args)
        return make_object, (
            self._key_of(builder, key),
            how,
            tuple(positional),
            keywords,
            state,
            list(list_items) if list_items is not None else None,
            list(dict_items) if dict_items is not None else None,
        )

    def _key_of(self, obj: object, owner: str) -> str:
        try:
            key = self.keys.get(obj)
        except TypeError:
            key = None
        if key is None:
            name = qualified_name(obj)
            raise _NotAllowed(
                name, f"{owner} is rebuilt by {name}, which is not allowed"
            )
        return key

    # -- receiving ------------------------------------------------------------

    def decoder(self, frame: bytes) -> Decoder:
        """Return a `Decoder` for the pickles inside `frame`; close it after use.

        Frames up to `_REUSE_LIMIT` bytes are copied into one buffer that the
        codec keeps with its unpickler, because building an unpickler costs
        more than unpickling a small message. Larger frames, and frames
        decoded while another decoder is open, get their own.
        """
        if self._decoding or len(frame) > _REUSE_LIMIT:
            return Decoder(self, io.BytesIO(frame), None)
        self._decoding = True
        file = self._file
        file.seek(0)
        file.write(frame)
        file.truncate()
        return Decoder(self, file, self._unpickler)

    def restore_ref(self, address: object) -> Ref:
        """Rebuild a ref on receipt: local again if it names an actor of this node."""
        if type(address) is not str:
            raise ValueError(f"a ref address must be a string, got {type(address)}")
        uri = self._uris.get(address)
        if uri is None:
            uri = Uri.parse(address)
            if len(self._uris) >= _CACHE_SIZE:
                self._uris.clear()
            self._uris[address] = uri
        node = self.node
        assert node is not None, "the hub is not attached to a node"
        ref = node.lookup(uri)
        cell = ref._cell
        if cell is not None:
            return Ref(node, None, cell)
        return ref

    def make_object(
        self,
        key: object,
        how: object,
        args: object,
        kwargs: object,
        state: object,
        list_items: object,
        dict_items: object,
    ) -> object:
        """Rebuild an instance of an allowed class; raise `Rejected` for others."""
        target = self.by_key.get(key) if type(key) is str else None
        if target is None:
            raise Rejected(str(key)[:_MAX_NAME])
        if type(args) is not tuple or not (kwargs is None or type(kwargs) is dict):
            raise ValueError(f"malformed arguments for {key}")
        obj: Any
        if how == _NEWOBJ and isinstance(target, type):
            obj = target.__new__(target, *args, **(kwargs or {}))
        elif how == _CALL and kwargs is None:
            obj = target(*args)  # type: ignore[operator]
        else:
            raise ValueError(f"malformed construction of {key}")
        if state is not None:
            _set_state(obj, state)
        if list_items is not None:
            if type(list_items) is not list:
                raise ValueError(f"malformed list items for {key}")
            obj.extend(list_items)
        if dict_items is not None:
            if type(dict_items) is not list:
                raise ValueError(f"malformed dict items for {key}")
            for item_key, value in dict_items:
                obj[item_key] = value
        return obj


class Decoder:
    """Unpickle the messages of one frame, each from its own byte range."""

    __slots__ = ("_codec", "_file", "_shared", "_unpickler")

    def __init__(
        self, codec: Codec, file: io.BytesIO, unpickler: _Unpickler | None
    ) -> None:
        self._codec = codec
        self._file = file
        self._shared = unpickler is not None
        self._unpickler = unpickler

    def load(self, start: int, end: int) -> tuple[str, Any]:
        """Return ``(path, message)`` pickled in ``frame[start:end]``.

        Raises:
            Rejected: the pickle names a class that is not allowed.
            ValueError: the pickle is malformed or not a ``(path, message)``.
            Exception: whatever else the unpickler raises on corrupt input.
        """
        file = self._file
        unpickler = self._unpickler
        if unpickler is None:
            unpickler = self._unpickler = self._codec._unpickler_class(file)
        file.seek(start)
        try:
            result = unpickler.load()
        except BaseException:
            # The unpickler may hold part of the broken pickle; start afresh.
            self._replace_unpickler()
            raise
        if file.tell() != end:
            self._replace_unpickler()
            raise ValueError("the pickle does not fill its entry")
        if type(result) is not tuple or len(result) != 2 or type(result[0]) is not str:
            raise ValueError("expected a (path, message) pair")
        return result

    def _replace_unpickler(self) -> None:
        self._unpickler = self._codec._unpickler_class(self._file)
        if self._shared:
            self._codec._unpickler = self._unpickler

    def close(self) -> None:
        """Hand the shared buffer and unpickler back to the codec.

        NOTE: the shared unpickler keeps the objects of the last small frame
        in its memo until later pickles overwrite them. Clearing it with
        ``unpickler.memo = {}`` crashes CPython 3.11 on the next load.
        """
        if self._shared:
            self._codec._decoding = False
        self._unpickler = None


def _why_not(obj: object) -> str:
    if isinstance(obj, type):
        return (
            f"the class {qualified_name(obj)} itself cannot travel, only instances "
            "of allowed classes"
        )
    if callable(obj) and hasattr(obj, "__qualname__"):
        return f"the callable {qualified_name(obj)} cannot travel"
    return f"{qualified_name(type(obj))} is not allowed to travel"


def _set_state(obj: Any, state: Any) -> None:
    """Apply pickled state as the BUILD opcode of `pickle` does."""
    setstate = getattr(obj, "__setstate__", None)
    if setstate is not None:
        setstate(state)
        return
    slot_state = None
    if type(state) is tuple and len(state) == 2:
        state, slot_state = state
    if state:
        if type(state) is not dict:
            raise ValueError("malformed instance state")
        instance_dict = obj.__dict__
        for name, value in state.items():
            instance_dict[sys.intern(name) if type(name) is str else name] = value
    if slot_state:
        if type(slot_state) is not dict:
            raise ValueError("malformed slot state")
        for name, value in slot_state.items():
            setattr(obj, name, value)
