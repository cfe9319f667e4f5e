"""The ``spinoff-node`` command: start a node that runs one actor.

``spinoff-node run -a module.Class [-r [host]:port] [-n name] [-i params]
[-m message] [-s stop|restart|resume] [-k]`` checks every option, binds the
remoting port if asked to, spawns the actor and runs until the actor stops
or the process gets SIGINT or SIGTERM. Invalid input is reported as one line
on stderr with exit status 2; see `spinoff.node.runner.ExitStatus` for the
others.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Annotated, NoReturn

import typer

# Typer vendors Click as typer._click and does not export this class itself.
from typer._click.exceptions import NoArgsIsHelpError

from spinoff.node.launch import DEFAULTS, NodeSettings
from spinoff.node.logs import configure_logging
from spinoff.node.remoting_options import RemotingOptions
from spinoff.node.runner import ExitStatus, serve
from spinoff.node.settings import LaunchError, add_working_directory_to_path

__all__ = ["app", "main"]

PROG = "spinoff-node"

app = typer.Typer(
    name=PROG,
    help="Start spinoff nodes: actor systems that talk to each other over ZeroMQ.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version() -> str:
    try:
        return metadata.version("spinoff-node")
    except metadata.PackageNotFoundError:
        return "unknown (spinoff-node is not installed)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"{PROG} {_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Start spinoff nodes: actor systems that talk to each other over ZeroMQ."""


_EPILOG = (
    "Logging: application loggers, which include the actors' dbg lines, log at"
    " --log-level (DEBUG by default); the framework loggers spinoff.actor,"
    " spinoff.node, spinoff.remoting, spinoff.util and twisted log at"
    " --framework-log-level (INFO by default). Each line shows the time, the"
    " node, the level and the logger."
)


@app.command(no_args_is_help=True, epilog=_EPILOG)
def run(
    actor: Annotated[
        str,
        typer.Option(
            "-a",
            "--actor",
            metavar="MODULE.CLASS",
            help="Actor class to spawn, such as"
            " spinoff.examples.example1.ExampleProcess. Modules in the current"
            " directory are importable.",
        ),
    ],
    remoting: Annotated[
        str | None,
        typer.Option(
            "-r",
            "--remoting",
            metavar="[HOST]:PORT",
            help="Enable remoting on this address; HOST defaults to localhost."
            " Without it the node is local only.",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "-n",
            "--name",
            metavar="NAME",
            help="Name of the actor; its address is [HOST:PORT]/NAME.",
        ),
    ] = None,
    params: Annotated[
        str | None,
        typer.Option(
            "-i",
            "--params",
            metavar="KEY=LITERAL,...",
            help="Keyword arguments for pre_start (run for a Process), as Python"
            " literals: \"other_actor='localhost:9700/other', count=3\".",
        ),
    ] = None,
    message: Annotated[
        str | None,
        typer.Option(
            "-m",
            "--message",
            metavar="LITERAL",
            help="Python literal sent to the actor after each spawn, such as"
            " \"'start'\" or \"('hello', 1)\".",
        ),
    ] = None,
    supervise: Annotated[
        str,
        typer.Option(
            "-s",
            "--supervise",
            metavar="stop|restart|resume",
            # Checked by NodeSettings.parse rather than by a Click choice, so
            # that a wrong value gets the same one-line error as other options.
            help="What the node does when the actor fails: stop it, restart it"
            " (at most --max-restarts times per --restart-window) or resume it.",
        ),
    ] = DEFAULTS.supervise,
    keep_running: Annotated[
        bool,
        typer.Option(
            "-k",
            "--keep-running",
            help="Respawn the actor whenever it stops, instead of exiting.",
        ),
    ] = False,
    max_restarts: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="With -s restart: restarts allowed within --restart-window; one"
            " more stops the actor.",
        ),
    ] = DEFAULTS.max_restarts,
    restart_window: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            help="With -s restart: the window, in seconds, for --max-restarts.",
        ),
    ] = DEFAULTS.restart_window,
    respawn_delay: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            help="With -k: seconds between a stop and the respawn.",
        ),
    ] = DEFAULTS.respawn_delay,
    stop_timeout: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            help="Seconds to wait for the actors and the hub to stop on exit;"
            " after that the process exits with status 3.",
        ),
    ] = DEFAULTS.stop_timeout,
    heartbeat_interval: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            help="Seconds between heartbeats to each connected node.",
        ),
    ] = RemotingOptions.DEFAULT_HEARTBEAT_INTERVAL,
    heartbeat_timeout: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            help="Seconds of silence after which a connected peer node counts as"
            " dead and watchers of its actors get ('terminated', ref); more than"
            " twice --heartbeat-interval.",
        ),
    ] = RemotingOptions.DEFAULT_HEARTBEAT_TIMEOUT,
    connect_timeout: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            help="Seconds to wait for a new peer node to complete the handshake,"
            " while this node keeps dialing it. Messages sent meanwhile wait and"
            " arrive in order; after that they become dead letters and watchers of"
            " its actors get ('terminated', ref). Nodes may start in either order"
            " within this time.",
        ),
    ] = RemotingOptions.DEFAULT_CONNECT_TIMEOUT,
    allow: Annotated[
        list[str] | None,
        typer.Option(
            metavar="MODULE.CLASS",
            help="Class that messages from other nodes may contain, besides plain"
            " data and refs. Repeat the option for more classes.",
        ),
    ] = None,
    curve_secret_key: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="This node's CURVE .key_secret file (python -m spinoff.remoting"
            " keygen DIR NAME writes one); enables authentication and encryption.",
        ),
    ] = None,
    curve_authorized_keys: Annotated[
        str | None,
        typer.Option(
            metavar="DIR",
            help="With --curve-secret-key: folder of the .key files of the nodes"
            " allowed to connect. Default: only nodes with this node's key pair.",
        ),
    ] = None,
    curve_server_key: Annotated[
        list[str] | None,
        typer.Option(
            metavar="HOST:PORT=FILE",
            help="With --curve-secret-key: the .key file of a peer whose key pair"
            " differs from this node's. Repeat the option for more peers.",
        ),
    ] = None,
    log_level: Annotated[
        str,
        typer.Option(
            metavar="LEVEL",
            help="Level of application loggers, including the actors' dbg lines.",
        ),
    ] = DEFAULTS.log_level,
    framework_log_level: Annotated[
        str,
        typer.Option(
            metavar="LEVEL",
            help="Level of the spinoff.* and twisted loggers.",
        ),
    ] = DEFAULTS.framework_log_level,
) -> None:
    """Start a node, spawn ACTOR on it and run until the actor stops.

    SIGINT and SIGTERM stop every actor, tell the peer nodes and exit with 0,
    as does a normal stop of the actor. The exit status is 1 when a failure
    stopped the actor, 2 on invalid input and 3 when stopping took longer
    than --stop-timeout. Log lines go to stderr.
    """
    add_working_directory_to_path()
    settings = NodeSettings.parse(
        actor=actor,
        remoting=remoting,
        name=name,
        params=params,
        message=message,
        supervise=supervise,
        max_restarts=max_restarts,
        restart_window=restart_window,
        keep_running=keep_running,
        respawn_delay=respawn_delay,
        stop_timeout=stop_timeout,
        log_level=log_level,
        framework_log_level=framework_log_level,
        heartbeat_interval=heartbeat_interval,
        heartbeat_timeout=heartbeat_timeout,
        connect_timeout=connect_timeout,
        allow=allow or (),
        curve_secret_key=curve_secret_key,
        curve_authorized_keys=curve_authorized_keys,
        curve_server_keys=curve_server_key or (),
    )
    settings.check_port()
    runner = settings.build_runner()
    configure_logging(
        settings.node_label, settings.log_level, settings.framework_log_level
    )
    raise typer.Exit(int(serve(runner)))


def _fail(message: str, status: int) -> NoReturn:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(status)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Run the command line; the console script ``spinoff-node`` calls this.

    Errors in the input, including those that Typer itself detects, are
    printed as one line without a traceback.
    """
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=list(argv) if argv is not None else None,
            prog_name=PROG,
            standalone_mode=False,
        )
    except LaunchError as exc:
        _fail(str(exc), ExitStatus.BAD_INPUT)
    except typer.Abort:
        _fail("aborted", 1)
    except NoArgsIsHelpError as exc:
        exc.show()  # the help text, on stderr
        raise SystemExit(exc.exit_code) from None
    except typer.TyperException as exc:
        hint = f" (see '{PROG} run --help')"
        _fail(" ".join(exc.format_message().split()) + hint, ExitStatus.BAD_INPUT)
    raise SystemExit(result if isinstance(result, int) else 0)
