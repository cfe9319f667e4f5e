"""The `Actor` base class and `Props`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from spinoff.actor import _context, supervision
from spinoff.actor.exceptions import Unhandled

if TYPE_CHECKING:
    from spinoff.actor._cell import Cell
    from spinoff.actor._node import Node
    from spinoff.actor._ref import Ref

__all__ = ["Actor", "Props"]


class Props:
    """How to build an actor: its class and the arguments for `pre_start`.

    Made by ``MyActor.using(*args, **kwargs)``. For a `Process` the arguments
    go to `run` instead.
    """

    __slots__ = ("args", "cls", "kwargs")

    def __init__(self, cls: type[Actor], args: tuple[Any, ...], kwargs: dict[str, Any]):
        self.cls = cls
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        arguments = [repr(arg) for arg in self.args]
        arguments += [f"{key}={value!r}" for key, value in self.kwargs.items()]
        return f"{self.cls.__name__}.using({', '.join(arguments)})"


class Actor:
    """Base class of actors.

    Subclasses override `receive` and optionally `pre_start`, `post_stop` and
    `supervise`. Each of `receive`, `pre_start` and `post_stop` may be a plain
    method, a generator that yields Deferreds, or an ``async def`` coroutine.
    While one of them runs, the actor takes no next message.

    Actors are built by the runtime through `spawn`; calling an actor class
    directly raises `TypeError`.
    """

    __slots__ = ("__dict__", "_cell")

    _cell: Cell
    _is_process = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Actor:
        cell = _context.constructing
        if cell is None:
            raise TypeError(
                f"{cls.__name__} is an actor: start it with spawn({cls.__name__}) "
                f"or spawn({cls.__name__}.using(...)) instead of calling the class"
            )
        self = super().__new__(cls)
        self._cell = cell
        return self

    @classmethod
    def using(cls, *args: Any, **kwargs: Any) -> Props:
        """Return `Props` that spawn this class with these `pre_start` arguments."""
        return Props(cls, args, kwargs)

    # -- hooks ------------------------------------------------------------------

    def pre_start(self, *args: Any, **kwargs: Any) -> Any:
        """Run before the first message, with the arguments given to `using`."""
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.using() was given arguments "
                f"{args!r} {kwargs!r} but pre_start() takes none; define pre_start"
            )

    def receive(self, message: Any) -> Any:
        """Handle one message; raise `Unhandled` for a message it does not handle."""
        raise Unhandled(message)

    def post_stop(self) -> Any:
        """Run after the children have stopped, before watchers are notified."""

    def supervise(self, exc: BaseException) -> supervision.Decision | None:
        """Decide the fate of a failed child; `Default` unless overridden."""
        return supervision.Default

    # -- context ------------------------------------------------------------------

    @property
    def ref(self) -> Ref:
        """This actor's own ref."""
        return self._cell.ref

    @property
    def parent(self) -> Ref:
        """The supervisor's ref (the node's guardian for a top-level actor)."""
        parent = self._cell.parent
        assert parent is not None
        return parent.ref

    @property
    def children(self) -> list[Ref]:
        """Refs of the live children, in spawn order."""
        children = self._cell.children
        return [child.ref for child in children.values()] if children else []

    @property
    def node(self) -> Node:
        """The node this actor runs on."""
        return self._cell.node

    def spawn(self, factory: Any, name: str | None = None) -> Ref:
        """Start a child from a class, `Props` or a callable returning an actor.

        Raises `NameConflict` if a live sibling has `name`, and
        `InvalidActorName` for a name that is empty, contains ``/`` or starts
        with ``$``. Construction and `pre_start` run after this returns;
        their failures go to `supervise` like any other.
        """
        return self._cell.spawn(factory, name)

    def watch(self, ref: Ref) -> Ref:
        """Receive ``('terminated', ref)`` once the actor stops.

        An actor that is already dead, or on a node found dead, is reported at
        once. Returns `ref`.
        """
        cell = self._cell
        if cell.watching is None:
            cell.watching = set()
        cell.watching.add(ref)
        cell.node.watch(ref, cell.ref)
        return ref

    def unwatch(self, ref: Ref) -> None:
        """Stop watching `ref`."""
        cell = self._cell
        if cell.watching:
            cell.watching.discard(ref)
        cell.node.unwatch(ref, cell.ref)

    def stop(self) -> None:
        """Stop this actor once the current message is handled."""
        self._cell.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._cell.ref.uri}>"


def to_factory(
    factory: Any,
) -> tuple[Callable[[], Any], tuple[tuple[Any, ...], dict[str, Any]] | None]:
    """Split what `spawn` accepts into a constructor and its hook arguments."""
    if isinstance(factory, Props):
        return factory.cls, (factory.args, factory.kwargs)
    if callable(factory):
        return factory, None
    raise TypeError(
        f"spawn expects an Actor subclass, Props or a callable returning an "
        f"actor, got {factory!r}"
    )
