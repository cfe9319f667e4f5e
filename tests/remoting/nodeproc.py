"""A spinoff node in its own process, driven by the remoting tests.

Run as ``python -m tests.remoting.nodeproc --address 127.0.0.1:0 [...]`` from
the repository root. The node prints one JSON object per line on stdout: first
``{"event": "ready", "address": ...}`` once its hub is bound, then one line
per thing the test may check (messages received, terminations, events of
the event stream). It reads one JSON command per line on stdin; see
`Commands`. Lists in commands become tuples, and ``{"ref": address}``
becomes a ref.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import threading
import time
from typing import Any

import zmq.auth
from twisted.internet import reactor as global_reactor

from spinoff.actor import Node, NodeDown, Ref, set_default_node
from spinoff.actor.events import (
    DeadLetter,
    Events,
    MessageRejected,
    RemoteDeadLetter,
    RemotingFault,
)
from spinoff.remoting import AddressInUse, CurveKeys, Hub
from tests.remoting import actors

reactor: Any = global_reactor

_ACTORS = {
    "Collector": actors.Collector,
    "Echo": actors.Echo,
    "Hopper": actors.Hopper,
    "Probe": actors.Probe,
}


def emit(**fields: Any) -> None:
    """Write one event line for the test."""
    sys.stdout.write(json.dumps(fields, default=repr) + "\n")
    sys.stdout.flush()


def _decode(value: Any, node: Node) -> Any:
    if isinstance(value, list):
        return tuple(_decode(item, node) for item in value)
    if isinstance(value, dict) and set(value) == {"ref"}:
        return node.lookup(value["ref"])
    return value


class _LogToTest(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        emit(event="log", logger=record.name, message=record.getMessage())


class Commands:
    """The commands a test can send; each is a method named after its ``op``."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.exiting = False

    def spawn(self, name: str, actor: str) -> None:
        self.node.spawn(_ACTORS[actor], name=name)

    def spawn_example(self, name: str, actor: str, params: dict[str, Any]) -> None:
        module = importlib.import_module("examples.example2")
        factory = getattr(module, actor)
        self.node.spawn(factory.using(**params) if params else factory, name=name)

    def tell(self, to: str, message: Any) -> None:
        self.node.lookup(to) << _decode(message, self.node)

    def tell_many(self, to: str, sender: str, count: int) -> None:
        ref = self.node.lookup(to)
        for number in range(count):
            ref << ("seq", sender, number)

    def greet(self, to: str, text: str, reply_to: str) -> None:
        greeting = actors.Greeting(text, self.node.lookup(reply_to))
        self.node.lookup(to) << greeting

    def send_unserializable(self, to: str) -> None:
        try:
            self.node.lookup(to) << ("not plain", 1j)
        except TypeError as exc:
            emit(event="send_failed", error=type(exc).__name__, text=str(exc))

    def ask(self, to: str, message: Any, tag: str, timeout: float = 10.0) -> None:
        d = self.node.lookup(to).ask(_decode(message, self.node), timeout)
        d.addCallbacks(
            lambda answer: emit(event="answer", tag=tag, answer=answer),
            lambda failure: emit(
                event="ask_failed",
                tag=tag,
                error=type(failure.value).__name__,
                text=str(failure.value),
            ),
        )

    def count(self, to: str, sender: str, tag: str) -> None:
        """Ask a `Collector` how many messages of `sender` it received, in order."""
        d = self.node.lookup(to).ask(lambda reply_to: ("count", sender, reply_to), 10.0)
        d.addCallbacks(
            lambda answer: emit(event="answer", tag=tag, answer=answer),
            lambda failure: emit(event="ask_failed", tag=tag, text=str(failure.value)),
        )

    def send_big(self, to: str, size: int, tag: str) -> None:
        data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        d = self.node.lookup(to).ask(lambda reply_to: ("big", data, reply_to), 60.0)
        d.addCallbacks(
            lambda answer: emit(event="answer", tag=tag, answer=answer),
            lambda failure: emit(event="ask_failed", tag=tag, text=str(failure.value)),
        )

    def sender(self, name: str, to: str, count: int) -> None:
        self.node.spawn(actors.Sender.using(to, count, name), name=name)

    def watch(self, target: str, tag: str) -> None:
        self.node.spawn(actors.Watcher.using(target, tag), name=f"watcher-{tag}")

        def terminated(ref: Ref, reason: BaseException | None) -> None:
            emit(
                event="termination",
                tag=tag,
                ref=str(ref.uri),
                reason=str(reason) if isinstance(reason, NodeDown) else None,
            )

        self.node.on_termination(self.node.lookup(target), terminated)

    def stop_actor(self, to: str) -> None:
        self.node.lookup(to).stop()

    def block(self, seconds: float) -> None:
        emit(event="blocking", seconds=seconds)
        time.sleep(seconds)
        emit(event="unblocked")

    def fresh_nodes(self, count: int, to: str, messages: int) -> None:
        """Send `messages` from each of `count` new nodes, one after another."""
        self._fresh_node(0, count, to, messages)

    def _fresh_node(self, index: int, count: int, to: str, messages: int) -> None:
        if index == count:
            emit(event="fresh_done", count=count)
            return
        node = Node(hub=Hub("127.0.0.1:0"))
        sender = f"fresh-{index}"
        target = node.lookup(to)
        for number in range(messages):
            target << ("seq", sender, number)
        d = target.ask(lambda reply_to: ("count", sender, reply_to), 10.0)

        def counted(answer: Any) -> Any:
            emit(event="fresh", sender=sender, received=answer[0], in_order=answer[1])
            return node.stop()

        def failed(failure: Any) -> Any:
            emit(event="fresh", sender=sender, error=str(failure.value))
            return node.stop()

        d.addCallbacks(counted, failed)
        d.addCallback(lambda _: self._fresh_node(index + 1, count, to, messages))

    def mesh(self, peers: list[str], count: int) -> None:
        """Send `count` messages to each peer's collector, then ask for the counts."""
        me = self.node.address
        assert me is not None
        for peer in peers:
            target = self.node.lookup(f"{peer}/collector")
            for number in range(count):
                target << ("seq", me, number)
        for peer in peers:
            target = self.node.lookup(f"{peer}/collector")
            d = target.ask(lambda reply_to: ("count", me, reply_to), 30.0)
            d.addCallbacks(
                lambda answer, peer=peer: emit(
                    event="mesh", peer=peer, received=answer[0], in_order=answer[1]
                ),
                lambda failure, peer=peer: emit(
                    event="mesh", peer=peer, error=str(failure.value)
                ),
            )

    def exit(self) -> None:
        if self.exiting:
            return
        self.exiting = True
        d = self.node.stop()
        d.addBoth(lambda _: emit(event="stopped"))
        d.addBoth(lambda _: reactor.stop())


def _read_commands(commands: Commands) -> None:
    """Run on a thread: hand each stdin line to the reactor; exit at EOF."""
    for line in sys.stdin:
        if line.strip():
            reactor.callFromThread(_run_command, commands, line)
    # The test closed stdin or died: stop as on the exit command.
    reactor.callFromThread(commands.exit)


def _run_command(commands: Commands, line: str) -> None:
    command = json.loads(line)
    op = command.pop("op")
    try:
        getattr(commands, op)(**command)
    except Exception as exc:
        emit(event="command_failed", op=op, error=type(exc).__name__, text=str(exc))


def _report_events() -> None:
    def remote_dead_letter(event: RemoteDeadLetter) -> None:
        ref = event.ref if isinstance(event.ref, str) else str(event.ref.uri)
        emit(
            event="RemoteDeadLetter",
            ref=ref,
            message=repr(event.message)[:200],
            reason=event.reason,
        )

    def fault(event: RemotingFault) -> None:
        emit(
            event=type(event).__name__,
            peer=event.peer,
            reason=event.reason,
            type_name=getattr(event, "type_name", None),
        )

    def dead_letter(event: DeadLetter) -> None:
        emit(event="DeadLetter", ref=str(event.ref.uri), message=repr(event.message))

    Events.subscribe(RemoteDeadLetter, remote_dead_letter)
    Events.subscribe(RemotingFault, fault)
    Events.subscribe(DeadLetter, dead_letter)
    assert issubclass(MessageRejected, RemotingFault)


def _bind(arguments: argparse.Namespace, options: dict[str, Any]) -> Hub:
    # Ports that a killed node held can stay busy for a moment; retry.
    for attempt in range(50):
        try:
            return Hub(arguments.address, **options)
        except AddressInUse:
            if attempt == 49:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", default="127.0.0.1:0")
    parser.add_argument("--heartbeat-interval", type=float)
    parser.add_argument("--heartbeat-timeout", type=float)
    parser.add_argument("--connect-timeout", type=float)
    parser.add_argument("--max-message-size", type=int)
    parser.add_argument("--send-queue-size", type=int)
    parser.add_argument("--allow", action="append", default=[])
    parser.add_argument("--curve-secret")
    parser.add_argument("--curve-authorized")
    parser.add_argument("--curve-server-key", help="public key file to dial peers")
    parser.add_argument("--spawn", action="append", default=[], help="NAME=ACTOR")
    parser.add_argument("--log", action="append", default=[], help="logger name")
    arguments = parser.parse_args()

    options: dict[str, Any] = {}
    if arguments.heartbeat_interval is not None:
        options["heartbeat_interval"] = arguments.heartbeat_interval
    if arguments.heartbeat_timeout is not None:
        options["heartbeat_timeout"] = arguments.heartbeat_timeout
    if arguments.connect_timeout is not None:
        options["connect_timeout"] = arguments.connect_timeout
    if arguments.max_message_size is not None:
        options["max_message_size"] = arguments.max_message_size
    if arguments.send_queue_size is not None:
        options["send_queue_size"] = arguments.send_queue_size
    if arguments.allow:
        options["allowed_classes"] = [
            getattr(importlib.import_module(module), name)
            for module, name in (path.split(":") for path in arguments.allow)
        ]
    if arguments.curve_secret:
        server_keys = None
        if arguments.curve_server_key:
            public_key, _ = zmq.auth.load_certificate(arguments.curve_server_key)
            server_keys = {"*": public_key}
        options["curve"] = CurveKeys.load(
            arguments.curve_secret,
            authorized_keys=arguments.curve_authorized,
            server_keys=server_keys,
        )
    for name in arguments.log:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(_LogToTest())

    actors.report = emit
    _report_events()
    node = Node(hub=_bind(arguments, options))
    set_default_node(node)
    for spec in arguments.spawn:
        name, actor = spec.split("=")
        node.spawn(_ACTORS[actor], name=name)
    threading.Thread(target=_read_commands, args=(Commands(node),), daemon=True).start()
    emit(event="ready", address=node.address)
    reactor.run()


if __name__ == "__main__":
    main()
