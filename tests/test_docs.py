"""The documentation stays true: every repository path that README.md and docs/*.md name exists,
every ```python block in them runs when pasted, the README's Layout names every module, and the
README shows the committed sweep's table rows as its report wrote them.

A failure names the document, the line and the broken path or block.
"""

from __future__ import annotations

import os
import re
import textwrap
import traceback
from pathlib import Path

import pytest

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXTENSIONS = (".py", ".md", ".jsonl", ".png", ".gif")
OUTPUTS = ("OUT/", "OUT.", "runs/")  # what runs write (folders, OUT.jsonl), not in the repository
SKIPPED_DIRS = {".git", ".venv", "runs", "__pycache__", ".pytest_cache", ".ruff_cache"}

FENCE = re.compile(r"^ *```(?P<lang>\w*)\n(?P<body>.*?)^ *```", re.M | re.S)
INLINE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
PATH_LIKE = re.compile(r"[\w.\-/]+")
FILE_NAME = re.compile(r"[\w.\-/]+(?:" + "|".join(re.escape(e) for e in EXTENSIONS) + r")\b")


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _looks_like_path(span: str) -> bool:
    return (
        PATH_LIKE.fullmatch(span) is not None
        and ("/" in span or span.endswith(EXTENSIONS))
        and not span.startswith(OUTPUTS)
        and "//" not in span
    )


def _layout_paths(block: str) -> list[str]:
    """Paths of a Layout tree: names in the first column (indented two spaces per level, folders
    ending in "/"), and file names in the description column, under the entry they describe."""
    paths, parents, current = [], [], ""
    for line in block.splitlines():
        match = re.match(r"( *)(\S(?:\S| (?! ))*)(?: {2,}(.*))?$", line)
        if not match:
            continue
        indent, names, description = len(match[1]), match[2], match[3] or ""
        if indent > 8:  # a description carried over from the entry above
            description, names = line, ""
        else:
            parents = parents[: indent // 2]
            entries = names.split()
            for name in entries:
                paths.append("".join(parents) + name)
            current = "".join(parents) + (entries[0] if entries[0].endswith("/") else "")
            if len(entries) == 1 and entries[0].endswith("/"):
                parents.append(entries[0])
        paths += [current + name for name in FILE_NAME.findall(description)]
    return paths


def _layout_blocks(text: str) -> list[re.Match]:
    """The plain fenced blocks of `text` under a "## Layout" heading."""
    return [
        match
        for match in FENCE.finditer(text)
        if not match["lang"]
        and text[: match.start()].rsplit("\n## ", 1)[-1].split("\n", 1)[0].strip() == "Layout"
    ]


def _mentions(doc: Path) -> list[tuple[int, str]]:
    """(line, path) for every repository path `doc` names."""
    text = doc.read_text()
    found = []
    for match in _layout_blocks(text):
        found += [(_line(text, match.start()), p) for p in _layout_paths(match["body"])]
    prose = FENCE.sub(lambda m: "\n" * m[0].count("\n"), text)
    for match in INLINE.finditer(prose):
        if _looks_like_path(match[1]):
            found.append((_line(prose, match.start()), match[1]))
    for match in LINK.finditer(prose):
        target = match[1].split("#", 1)[0]
        if target and "://" not in target:
            found.append((_line(prose, match.start()), target))
    return found


def _file_names() -> set[str]:
    names = set()
    for _, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        names.update(files)
    return names


def _exists(path: str, base: Path, names: set[str]) -> bool:
    """A path exists relative to the repository root or to the document; a bare file name (no
    "/") exists if some file of the repository has that name."""
    if (ROOT / path).exists() or (base / path).exists():
        return True
    return "/" not in path and path in names


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: str(d.relative_to(ROOT)))
def test_every_path_the_docs_name_exists(doc):
    names = _file_names()
    missing = [
        f"{doc.relative_to(ROOT)}:{line}: `{path}`"
        for line, path in _mentions(doc)
        if not _exists(path, doc.parent, names)
    ]
    assert not missing, "paths named in the docs that do not exist:\n" + "\n".join(missing)


def _python_blocks() -> list[tuple[str, str]]:
    blocks = []
    for doc in DOCS:
        text = doc.read_text()
        for match in FENCE.finditer(text):
            if match["lang"] == "python":
                where = f"{doc.relative_to(ROOT)}:{_line(text, match.start())}"
                blocks.append((where, textwrap.dedent(match["body"])))
    return blocks


def test_the_docs_have_python_blocks():
    assert any(where.startswith("README.md") for where, _ in _python_blocks())


@pytest.mark.parametrize(("where", "code"), _python_blocks(), ids=[w for w, _ in _python_blocks()])
def test_every_python_block_runs(where, code):
    try:
        exec(compile(code, where, "exec"), {"__name__": "__docs__"})
    except Exception:
        pytest.fail(f"the ```python block at {where} fails:\n{traceback.format_exc()}")


CITATION = re.compile(r"docs/(\w+\.md) §(\d+)")


def _sections(doc: Path) -> set[str]:
    return set(re.findall(r"^## (\d+)\. ", doc.read_text(), re.M))


def test_every_section_the_code_cites_exists():
    """Docstrings and tests cite sections as "docs/models.md §4": each is a numbered heading."""
    broken = []
    for folder in ("popgym_arcade_twins", "baselines", "scripts", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text()
            for match in CITATION.finditer(text):
                doc = ROOT / "docs" / match[1]
                if not doc.exists() or match[2] not in _sections(doc):
                    where = f"{path.relative_to(ROOT)}:{_line(text, match.start())}"
                    broken.append(f"{where}: {match[0]}")
    assert not broken, "citations of sections that do not exist:\n" + "\n".join(broken)


def test_the_layout_names_every_module():
    """Every module of the packages and scripts is in the README's Layout, except those of the
    folders it describes as one module per thing (games, render parts, memory models)."""
    from baselines.memory import MEMORY_MODELS

    per_thing = ("popgym_arcade_twins/envs/", "popgym_arcade_twins/render/")
    models = {model.__module__.replace(".", "/") + ".py" for model in MEMORY_MODELS.values()}
    blocks = _layout_blocks((ROOT / "README.md").read_text())
    assert blocks, "README.md has no Layout block"
    layout = {path for block in blocks for path in _layout_paths(block["body"])}
    unnamed = [
        path
        for folder in ("popgym_arcade_twins", "baselines", "scripts")
        for path in (str(p.relative_to(ROOT)) for p in sorted((ROOT / folder).rglob("*.py")))
        if not path.endswith("__init__.py")
        and not path.startswith(per_thing)
        and path not in models | layout
    ]
    assert not unnamed, "modules the README's Layout does not name:\n" + "\n".join(unnamed)


def test_the_readme_shows_the_committed_sweep_table():
    """Each row of assets/sweep/table.md's per-cell tables (returns and diagnostics, not the
    aggregate, which the README leaves to the file) is in the README, so a rerun of the sweep
    cannot leave the README's copy behind."""
    table = (ROOT / "assets" / "sweep" / "table.md").read_text()
    per_cell = table.split("## Across games")[0] + table.split("## Memory diagnostics")[1]
    rows = [line for line in per_cell.splitlines() if line.startswith("| ") and "---" not in line]
    readme = (ROOT / "README.md").read_text()
    assert rows and [row for row in rows if row not in readme] == []
