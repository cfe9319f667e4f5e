# spinoff/examples/example2_local.py
# The original local variant of example 2, unchanged.
# The code keeps the original style, so the linter, formatter and type
# checker skip it.
# ruff: noqa
# fmt: off
# mypy: ignore-errors
from spinoff.actor.process import Process
from spinoff.util.logging import dbg

from .example2 import ExampleProcess, ExampleActor


class LocalApp(Process):
    def run(self):
        dbg("spawning ExampleActor")
        actor1 = self.spawn(ExampleActor)

        dbg("spawning ExampleProcess")
        self.spawn(ExampleProcess.using(other_actor=actor1))

        yield self.get()  # so that the entire app wouldn't exit immediately
