# spinoff/examples/example1.py
# The original example 1, changed only where Python 3 requires it: the
# helpers come from spinoff.util.async_ (``async`` is a keyword now).
# The code keeps the original style, so the linter, formatter and type
# checker skip it.
# ruff: noqa
# fmt: off
# mypy: ignore-errors
from spinoff.actor import Actor
from spinoff.actor.process import Process
from spinoff.util.logging import dbg
from spinoff.util.async_ import sleep, with_timeout


class ExampleProcess(Process):
    def run(self):
        child = self.spawn(ExampleActor)

        while True:
            dbg("sending greeting to %r" % (child,))
            child << ('hello!', self.ref)

            dbg("waiting for ack from %r" % (child,))
            yield with_timeout(5.0, self.get('ack'))

            dbg("got 'ack' from %r; now sleeping a bit..." % (child,))
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
