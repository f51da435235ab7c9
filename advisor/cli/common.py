"""What every command shares: the one edge where ``AdvisorError`` (and any other error)
becomes a message and an exit code, and the analysis options (declared in
``advisor.cli.options``) that ``advise``, ``report``, ``replay`` and ``nightly`` take
through :func:`analysis_command`.
Imported by ``advisor.cli.app`` and by each command module (never the other way round)."""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from advisor.cli.options import (
    BreakerDefaultsOpt,
    BreakerOpt,
    BreakerResolverOpt,
    BreakerRoleOpt,
    ConfigOpt,
    HostOpt,
    LostWeightOpt,
    MemoryLimitOpt,
    RefusedUntilOpt,
    RefusedWindowOpt,
    RulesOpt,
    SourcesArg,
    UntilOpt,
    WindowOpt,
)
from advisor.config import BreakerConfig, load_config, normalize_host
from advisor.errors import AdvisorError, UsageError, first_line
from advisor.outputs.files import refuse_inputs
from advisor.text import printable

if TYPE_CHECKING:
    from advisor.ingest.cache import Cache
    from advisor.model import Analysis


def analyze(sources: list[Path], **options: Any) -> Analysis:
    """``advisor.pipeline.analyze``, imported on first use: ``--help`` and usage errors
    never load DuckDB and NumPy."""
    from advisor.pipeline import analyze as run_analysis

    return run_analysis(sources, **options)


@contextmanager
def advisor_errors() -> Iterator[None]:
    """The CLI's one error edge: an ``AdvisorError`` raised inside becomes ``Error:
    message`` on stderr and its exit code (docs/design.md "Exit codes"). Use it as
    ``with advisor_errors():`` or as the decorator ``@advisor_errors()``."""
    try:
        yield
    except AdvisorError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


@dataclass(frozen=True)
class AnalysisOptions:
    """The options ``advise``, ``report``, ``replay`` and ``nightly`` share: what to read,
    which window, the current breaker configuration with its overrides, and the rules."""

    sources: tuple[Path, ...]
    window_s: float = 3600
    until: str = "now"
    host: tuple[str, ...] = ()
    config: Path | None = None
    breaker: tuple[str, ...] = ()
    breaker_role: tuple[str, ...] = ()
    breaker_defaults: str | None = None
    breaker_resolver: tuple[str, ...] = ()
    rules: Path | None = None
    lost_weight: float | None = None
    memory_limit: str | None = None

    def breaker_config(self) -> BreakerConfig:
        """The current configuration, built the same way by every command: ``--config``
        (else ``$DOCSTOKG_BREAKERS_YAML``), the environment overlays, then the flags.

        Raises:
            ConfigError: a malformed file or override.
        """
        return load_config(
            self.config,
            defaults_override=self.breaker_defaults,
            host_overrides=self.breaker,
            role_overrides=self.breaker_role,
            resolver_overrides=self.breaker_resolver,
        )

    def command_line(self, until: str) -> list[str]:
        """``breaker-advise`` with these options and the window pinned to end at ``until``
        (``now`` / ``latest`` would move): the command that makes the same analysis again
        (the report's reproduction block; add ``--write-config PATH`` to apply its patch)."""
        argv = ["breaker-advise", "--window-s", f"{self.window_s:g}", "--until", until]
        argv += [a for h in self.host for a in ("--host", h)]
        if self.config is not None:
            argv += ["--config", str(self.config)]
        flags = (("--breaker", self.breaker), ("--breaker-role", self.breaker_role),
                 ("--breaker-resolver", self.breaker_resolver))  # fmt: skip
        argv += [a for flag, values in flags for v in values for a in (flag, v)]
        if self.breaker_defaults is not None:
            argv += ["--breaker-defaults", self.breaker_defaults]
        if self.rules is not None:
            argv += ["--rules", str(self.rules)]
        if self.lost_weight is not None:
            argv += ["--lost-weight", f"{self.lost_weight:g}"]
        return [*argv, *(str(s) for s in self.sources)]

    def analyze(
        self, outputs: dict[str, Path | None] | None = None, cache: Cache | None = None
    ) -> tuple[Analysis, BreakerConfig]:
        """``analyze`` over these options; also returns the configuration it used.
        ``outputs`` (``{option: path}``) are refused before anything is read when one is
        an input of the run (a source, the configuration, the rules file) or another output;
        ``cache``: ``breaker-advise --cache``.

        Raises:
            UsageError: an output path is an input (and what ``analyze`` raises).
        """
        breaker_config = self.breaker_config()
        if outputs:
            refuse_inputs(
                outputs,
                sources=list(self.sources),
                inputs={
                    "the input configuration": breaker_config.path,
                    "the rules file": self.rules,
                },
            )
        analysis = analyze(
            list(self.sources),
            window_s=self.window_s,
            until=self.until,
            hosts=list(self.host) or None,
            config=breaker_config,
            rules=self.rules,
            lost_weight=self.lost_weight,
            cache=cache,
        )
        return analysis, breaker_config


def _keyword(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> Any:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                             default=default)  # fmt: skip


_SOURCES = [_keyword("sources", SourcesArg)]
_WINDOW = [_keyword("window_s", WindowOpt, 3600.0), _keyword("until", UntilOpt, "now")]
_REFUSED_WINDOW = [
    _keyword("window_s", RefusedWindowOpt, None),
    _keyword("until", RefusedUntilOpt, None),
]
_HOSTS = [_keyword("host", HostOpt, None)]
_CONFIGURATION = [
    _keyword("config", ConfigOpt, None),
    _keyword("breaker", BreakerOpt, None),
    _keyword("breaker_role", BreakerRoleOpt, None),
    _keyword("breaker_defaults", BreakerDefaultsOpt, None),
    _keyword("breaker_resolver", BreakerResolverOpt, None),
    _keyword("rules", RulesOpt, None),
    _keyword("lost_weight", LostWeightOpt, None),
    _keyword("memory_limit", MemoryLimitOpt, None),
]

Command = Callable[..., None]


def analysis_command(
    *, window: bool = True, hosts: bool = True, sources: bool = True
) -> Callable[[Command], Command]:
    """Give a command the shared analysis options: it is written as ``command(options:
    AnalysisOptions, ...its own options)`` and Typer sees SOURCES (optional unless
    ``sources``: ``report --from`` needs none), the window (``window``;
    without it ``--window-s`` / ``--until`` are refused naming ``--night``), ``--host``
    (``hosts``) and the configuration options besides the command's own. The command runs
    inside :func:`advisor_errors` after ``--memory-limit`` is applied."""
    given_sources = _SOURCES if sources else [_keyword("sources", SourcesArg, None)]
    head = [*given_sources, *(_WINDOW if window else _REFUSED_WINDOW), *(_HOSTS if hosts else [])]
    shared = {p.name for p in [*head, *_CONFIGURATION]}

    def decorate(command: Command) -> Command:
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(command, eval_str=True).parameters.values()
        ][1:]  # the first is ``options``

        @functools.wraps(command)
        def run(**values: Any) -> None:
            given = {name: values.pop(name) for name in shared}
            with advisor_errors():
                options = _options(given, window=window)
                from advisor.ingest.database import set_memory_limit

                set_memory_limit(options.memory_limit)
                command(options, **values)

        parameters = [*head, *own, *_CONFIGURATION]
        run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in parameters}
        return run

    return decorate


def _options(given: dict[str, Any], *, window: bool) -> AnalysisOptions:
    """The options of one command line; ``--window-s`` / ``--until`` where the command
    takes its window from ``--night`` are a usage error."""
    if not window:
        for flag, name in (("--window-s", "window_s"), ("--until", "until")):
            if given.pop(name) is not None:
                raise UsageError(
                    f"{flag}: nightly analyses one UTC day: use --night YYYY-MM-DD "
                    "(default yesterday)"
                )
    lists = {"sources", "host", "breaker", "breaker_role", "breaker_resolver"}
    values: dict[str, Any] = {
        name: tuple(value or ()) if name in lists else value for name, value in given.items()
    }
    return AnalysisOptions(**values)


def note_unmatched_hosts(requested: tuple[str, ...], analysis: Analysis) -> None:
    """Say on stderr which ``--host`` values matched no host of the analysis."""
    found = {h.host for h in analysis.hosts}
    for name in requested:
        if normalize_host(name) not in found:
            typer.echo(
                f"Warning: --host {printable(name)}: no such host in the sources' window "
                f"{analysis.window.to_dict()['start']} .. {analysis.window.to_dict()['end']}",
                err=True,
            )


def cache_of(
    path: Path | None, keep_days: int | None, *, reuse_analysis: bool = True
) -> tuple[Cache | None, dict[str, Path]]:
    """The ``--cache`` of one run (None without it) and the files it writes, to refuse
    as sources."""
    if path is None:
        return None, {}
    from advisor.ingest.cache import Cache, lock_path

    store = Cache(path, keep_days, reuse_analysis=reuse_analysis)
    return store, {"--cache": path, "--cache (its lock file)": lock_path(path)}


def say_problems(
    analysis: Analysis, store: Cache | None = None, hosts: tuple[str, ...] = ()
) -> None:
    """Say on stderr what the cache noted, which ``--host`` values matched nothing and
    which sources could not be read."""
    for note in store.notes if store is not None else []:
        typer.echo(f"Warning: {note}", err=True)
    note_unmatched_hosts(hosts, analysis)
    for source in analysis.unreadable_sources:
        typer.echo(f"Error: {source.path}: not analysed: {source.error}", err=True)


_LOG_FORMAT = "%(name)s %(levelname)s %(message)s"


def debug_logging(verbose: int, env: Mapping[str, str] | None = None) -> bool:
    """``-vv`` (or ``$DOCSTOKG_BREAKER_DEBUG`` set to 1, true, yes or on) on an analysis
    command: log the analysis's decisions (the ``advisor`` loggers) at DEBUG on the
    current stderr; whether it did. Otherwise a handler an earlier command of the same
    process added is removed: nothing is logged below WARNING."""
    logger = logging.getLogger("advisor")
    for handler in [h for h in logger.handlers if getattr(h, "_advisor_cli", False)]:
        logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)
    env = os.environ if env is None else env
    if verbose < 2:
        if not env.get("DOCSTOKG_BREAKER_DEBUG"):  # the producer kit is loaded only if set
            return False
        from advisor.telemetry.debug import debug_requested  # the variable's one reading

        if not debug_requested(env):
            return False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_LOG_FORMAT))
    handler._advisor_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return True


EX_SOFTWARE = 70  # sysexits.h: internal software error (DESIGN.md "Exit codes")


def _verbose(args: list[str]) -> bool:
    """``-v``, ``-vv``... or ``--verbose`` before any ``--``."""
    options = args[: args.index("--")] if "--" in args else args
    return any(a == "--verbose" or re.fullmatch(r"-v+", a) for a in options)


def internal_error(exc: BaseException, prog: str, args: list[str]) -> int:
    """Report a bug: one stderr line naming what failed and the file holding the
    traceback (in the temp dir; printed directly with ``-v``). Returns exit code 70."""
    trace = "".join(traceback.format_exception(exc))
    frames = traceback.extract_tb(exc.__traceback__)
    at = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    what = f"{prog} {args[0]}" if prog == "breaker-advisor" and args else prog
    if _verbose(args):
        sys.stderr.write(trace)
    try:
        fd, saved = tempfile.mkstemp(prefix=f"{prog}-", suffix=".traceback.txt")
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as fh:
            fh.write(f"{prog} {' '.join(args)}\n{trace}")
        where = f"traceback saved to {saved}"
    except OSError as save_error:
        if not _verbose(args):
            sys.stderr.write(trace)
        where = f"traceback not saved ({save_error.strerror or save_error})"
    typer.echo(
        f"Error: internal error in {what}: {type(exc).__name__}: {first_line(exc)}{at}; "
        f"{where} (please report it)",
        err=True,
    )
    return EX_SOFTWARE


EX_OUT_OF_MEMORY = 4  # docs/design.md "Exit codes"


def out_of_memory(exc: BaseException) -> int:
    """One stderr line for running out of memory (not a bug: a limit); exit code 4."""
    from advisor.ingest.database import ENV_MEMORY_LIMIT, memory_limit

    limit = "unknown"
    with contextlib.suppress(AdvisorError):
        limit = f"{memory_limit() / (1 << 30):.1f} GiB"
    typer.echo(
        f"Error: out of memory ({first_line(exc)}); the limit was {limit}: raise it with "
        f"--memory-limit or {ENV_MEMORY_LIMIT} (it spills to the temp directory beyond "
        "it), or analyse fewer sources or a shorter --window-s",
        err=True,
    )
    return EX_OUT_OF_MEMORY


def _is_out_of_memory(exc: BaseException) -> bool:
    # DuckDB is looked up, not imported: a run that never loaded it cannot have raised it
    duckdb = sys.modules.get("duckdb")
    return isinstance(exc, MemoryError) or (
        duckdb is not None and isinstance(exc, duckdb.OutOfMemoryException)
    )


def run_entry(entry: typer.Typer, prog: str) -> None:
    """Run a console script's Typer app: Click turns usage errors into exit 2 and
    commands turn ``AdvisorError`` into 1/2/3; running out of memory is exit 4; anything
    else reaching here is a bug: exit 70, never 1 ("a source was unreadable")."""
    try:
        entry(prog_name=prog)
    except Exception as exc:
        if _is_out_of_memory(exc):
            sys.exit(out_of_memory(exc))
        sys.exit(internal_error(exc, prog, sys.argv[1:]))
