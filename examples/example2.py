# spinoff/examples/example2.py
# The original example 2, changed only where Python 3 requires it: the
# helpers come from spinoff.util.async_ (``async`` is a keyword now), and
# ``lookup``, which the original used without importing, is imported.
# The code keeps the original style, so the linter, formatter and type
# checker skip it.
# ruff: noqa
# fmt: off
# mypy: ignore-errors
from spinoff.actor import Actor, lookup
from spinoff.actor.process import Process
from spinoff.util.logging import dbg
from spinoff.util.async_ import sleep, with_timeout


class ExampleProcess(Process):
    def run(self, other_actor):
        other_actor = lookup(other_actor) if isinstance(other_actor, str) else other_actor
        while True:
            dbg("sending greeting to %r" % (other_actor,))
            other_actor << ('hello!', self.ref)

            dbg("waiting for ack from %r" % (other_actor,))
            yield with_timeout(5.0, self.get('ack'))

            dbg("got 'ack' from %r; now sleeping a bit..." % (other_actor,))
            yield sleep(1.0)


class ExampleActor(Actor):
    def pre_start(self):
        dbg("starting")

    def receive(self, msg):
        content, sender = msg
        dbg("%r from %r" % (content, sender))
        sender << 'ack'

    def post_stop(self):
        dbg("stopping")
