"""Command-line options built from frozen config dataclasses: one option per field, with its type,
its default(s) and its comment as help; bool fields as --flag/--no-flag, tuples as lists.

Options default to None ("not given"), so a config's own defaults apply and a given 0 means 0.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import inspect
import io
import re
import tokenize
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from baselines.agents.config import AgentConfig


def integer(text: str) -> int:
    """An int from "4096", "1e6" or "2_000_000"; an argparse error for a fraction or a word."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
    return int(value)


def positive_integer(text: str) -> int:
    """An `integer` of at least 1."""
    value = integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def nonnegative_integer(text: str) -> int:
    """An `integer` of at least 0 (a seed, an index)."""
    value = integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer of at least 0, got {text!r}")
    return value


@functools.cache
def field_comments(cls: type) -> dict[str, str]:
    """The trailing `# comment` of each field line in the source of `cls` and its bases."""
    comments: dict[str, str] = {}
    for base in reversed(cls.__mro__):
        if base is object or not dataclasses.is_dataclass(base):
            continue
        source = inspect.getsource(base)
        lines = source.splitlines()
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                field = re.match(r"\s*(\w+)\s*:", lines[token.start[0] - 1])
                if field:
                    comments[field.group(1)] = token.string.lstrip("#").strip()
    return comments


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _parse_kwargs(hint: Any) -> dict[str, Any]:
    """argparse keywords reading a value of type `hint`; a TypeError for other types."""
    if hint is bool:
        return {"action": argparse.BooleanOptionalAction}
    if hint is int:
        return {"type": integer, "metavar": "INT"}
    if hint in (float, str):
        return {"type": hint, "metavar": hint.__name__.upper()}
    if typing.get_origin(hint) is tuple and typing.get_args(hint)[1:] == (Ellipsis,):
        return {**_parse_kwargs(typing.get_args(hint)[0]), "nargs": "+"}
    raise TypeError(f"no command-line option reads a {hint!r}")


def add_options(
    parser: argparse.ArgumentParser,
    templates: Sequence[Any],
    label: Callable[[Any], str] = lambda template: _type(template).__name__,
    skip: Collection[str] = (),
    aliases: Mapping[str, str] | None = None,
) -> list[str]:
    """Add one option per field of `templates` (dataclasses, or instances of them whose values
    are the defaults; the union of their fields, by name, but those in `skip`) to a group of
    `parser` described by their docstrings; returns the field names.

    A field's help is its comment and its default in each template that has it (`label` names a
    template); `aliases` gives a field a second option name (e.g. --steps).
    """
    types = [_type(template) for template in templates]
    docs = dict.fromkeys(
        inspect.getdoc(base)
        for cls in types
        for base in reversed(cls.__mro__)
        if base is not object and vars(base).get("__doc__")
    )
    group = parser.add_argument_group(
        " / ".join(map(label, templates)) + " settings", "\n\n".join(docs)
    )
    names: list[str] = []
    for cls in types:
        names += [f.name for f in dataclasses.fields(cls) if f.name not in {*names, *skip}]
    for name in names:
        having = [t for t in templates if name in {f.name for f in dataclasses.fields(t)}]
        defaults = {label(t): _default(t, name) for t in having}
        if len(set(map(repr, defaults.values()))) == 1 and len(having) == len(templates):
            said = f"default: {next(iter(defaults.values()))}"
        else:
            said = ", ".join(f"{who}: {value}" for who, value in defaults.items())
        comment = next(filter(None, (field_comments(_type(t)).get(name) for t in having)), "")
        group.add_argument(
            _option(name),
            *([aliases[name]] if aliases and name in aliases else []),
            dest=name,
            help=f"{comment} ({said})" if comment else said,
            **_parse_kwargs(typing.get_type_hints(_type(having[0]))[name]),
        )
    return names


def _type(template: Any) -> type:
    return template if isinstance(template, type) else type(template)


def _default(template: Any, name: str) -> Any:
    """`name`'s value in a dataclass instance, or its default in a dataclass."""
    if isinstance(template, type):
        value = next(f for f in dataclasses.fields(template) if f.name == name).default
    else:
        value = getattr(template, name)
    return " ".join(map(str, value)) if isinstance(value, tuple) else value


def given(args: argparse.Namespace, names: Collection[str]) -> dict[str, Any]:
    """The fields among `names` set on the command line, lists as tuples."""
    values = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}


def assignments(
    parser: argparse.ArgumentParser,
    template: type,
    tokens: Sequence[str],
    option: str,
    skip: Collection[str] = (),
) -> dict[str, Any]:
    """Tokens NAME=VALUE (`option`'s values) as field values of the dataclass `template` (but
    those in `skip`), each VALUE read as its field's type (a bool as true or false);
    parser.error naming `option` for a token without "=", another field or a value of the wrong
    type."""
    hints = typing.get_type_hints(template)
    fields = {f.name for f in dataclasses.fields(template)} - set(skip)
    readers = {bool: {"true": True, "false": False}.__getitem__, int: integer, float: float}
    values: dict[str, Any] = {}
    for token in tokens:
        name, equals, text = token.partition("=")
        if not equals or name not in fields:
            parser.error(
                f"{option}: expected NAME=VALUE with NAME a field of {template.__name__} "
                f"({', '.join(sorted(fields))}), got {token!r}"
            )
        try:
            values[name] = readers.get(hints[name], hints[name])(text)
        except (ValueError, KeyError, TypeError, argparse.ArgumentTypeError):
            parser.error(f"{option}: {name} expects {hints[name].__name__}, got {text!r}")
    return values


def build(parser: argparse.ArgumentParser, make: Callable[[], Any]) -> Any:
    """`make()`, with a ValueError or KeyError it raises (a config's word on a bad value) turned
    into parser.error: one line and exit code 2."""
    try:
        return make()
    except (ValueError, KeyError) as error:
        parser.error(str(error.args[0]) if error.args else repr(error))


def game_twins(
    parser: argparse.ArgumentParser, specs: Sequence[str], obs_size: int
) -> list[tuple[str, str]]:
    """(env id, "MDP" or "POMDP") of each "GAME:TWIN" of `specs` (an --envs option), each game
    built once at `obs_size` to check it; parser.error on the first bad one."""
    from popgym_arcade_twins import tasks

    pairs = []
    for spec in specs:
        env_id, _, twin = spec.rpartition(":")
        if twin not in ("MDP", "POMDP"):
            parser.error(f"--envs: expected GAME:MDP or GAME:POMDP, got {spec!r}")
        build(parser, lambda e=env_id, t=twin: tasks.make(e, t == "POMDP", obs_size))
        pairs.append((env_id, twin))
    return pairs


def agent_config(
    parser: argparse.ArgumentParser,
    template: type[AgentConfig] | AgentConfig,
    values: Mapping[str, Any],
) -> AgentConfig:
    """`template` (a config class, or a config to change) with `values`, or parser.error for a
    field it lacks, a value it refuses, or a given total_steps that is not a whole number of
    updates."""
    fields = {f.name for f in dataclasses.fields(template)}
    for name in values:
        if name not in fields:
            parser.error(f"{_option(name)} does not apply to {template.algorithm}")
    if isinstance(template, type):
        config = build(parser, lambda: template(**values))
    else:
        config = build(parser, lambda: template.replace(**values))
    if "total_steps" in values:
        build(parser, lambda: check_budget(config.total_steps, config.steps_per_update))
    return config


def check_budget(total_steps: int, steps_per_update: int) -> None:
    """A ValueError naming the nearest valid budgets unless `total_steps` is a whole number of
    updates (a run trains whole updates only, so any rest would be silently dropped)."""
    below, rest = divmod(total_steps, steps_per_update)
    if rest:
        valid = [n * steps_per_update for n in (below, below + 1) if n > 0]
        raise ValueError(
            f"--steps {total_steps:,} is not a whole number of updates of {steps_per_update:,} "
            f"env steps; the nearest valid budgets are {' and '.join(f'{n:,}' for n in valid)}"
        )
