"""The documentation as data: its pages, their headings' anchors, their links and their command blocks.

`tests/test_docs.py` checks that every relative link and `#anchor` of `README.md` and `docs/` resolves, and
that every command block either names the test that runs it or says why it is not run here. Other tests
read a page's commands from here too (`tests/docker` runs the Docker section's commands as written).

Markers are HTML comments, invisible on GitHub, on the line just above a block's opening fence:

    <!-- run by: tests/docker/sam_local.py -->      a test runs these commands (it names this page)
    <!-- not run here: needs an AWS account -->     why no test can run them here
    <!-- not run here as written: WHICH TEST ... -->  a test runs the same in another form (its own ports)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
COMMAND_LANGUAGES = frozenset({"bash", "sh", "shell", "console"})

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\((?P<target><[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_IMAGE = re.compile(r"!\[[^\]]*\]\((?P<target>[^)\s]+)\)")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_MARKER = re.compile(r"^\s*<!--\s*(?P<kind>run by|not run here)(?: as written)?:\s*(?P<value>.+?)\s*-->\s*$")


class CommandBlock(NamedTuple):
    page: Path
    line: int  # 1-based line of the opening fence
    language: str
    text: str
    marker: str | None  # "run by" or "not run here"
    marker_value: str | None


class Link(NamedTuple):
    page: Path
    line: int
    target: str


def pages() -> list[Path]:
    """README.md and every Markdown page under docs/, plus the changelog."""
    found = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    changelog = ROOT / "CHANGELOG.md"
    if changelog.exists():
        found.append(changelog)
    return [page for page in found if page.exists()]


def relative(page: Path, root: Path = ROOT) -> str:
    return page.resolve().relative_to(root.resolve()).as_posix()


def _prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of every line outside fenced code blocks."""
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence = match["fence"]
                continue
            yield number, line
        elif match and _closes(match, fence):
            fence = None


def _closes(match: re.Match[str], fence: str) -> bool:
    """Whether a fence line closes a block opened by `fence`: same character, at least as long, no info."""
    return match["fence"][0] == fence[0] and len(match["fence"]) >= len(fence) and not match["info"].strip()


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation removed, spaces to '-'."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's text only
    text = re.sub(r"<[^>]+>", "", text)
    text = text.strip().lower()
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char in " -_" or category[0] in "LN" or category == "Mn":
            kept.append(char)
    return "".join(kept).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor on the page, GitHub's way (a repeated slug gets -1, -2, ...)."""
    seen: dict[str, int] = {}
    result: set[str] = set()
    for _, line in _prose_lines(page.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if not match:
            continue
        base = slug(match[2])
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    for explicit in re.finditer(r'<a (?:name|id)="([^"]+)"', page.read_text(encoding="utf-8")):
        result.add(explicit[1])
    return result


def links(page: Path) -> list[Link]:
    found: list[Link] = []
    for number, line in _prose_lines(page.read_text(encoding="utf-8")):
        prose = _INLINE_CODE.sub("", line)
        for pattern in (_LINK, _IMAGE):
            for match in pattern.finditer(prose):
                found.append(Link(page, number, match["target"].strip("<>")))
    return found


def is_external(target: str) -> bool:
    return re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) is not None


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """Each relative link of the page whose file or #anchor does not exist, as 'page:line: target (why)'."""
    problems: list[str] = []
    for link in links(page):
        if is_external(link.target):
            continue
        path_part, _, anchor = link.target.partition("#")
        target = (page.parent / path_part).resolve() if path_part else page.resolve()
        where = f"{relative(page, root)}:{link.line}: {link.target}"
        if not target.exists():
            problems.append(f"{where} (no such file)")
            continue
        try:
            target.relative_to(root.resolve())
        except ValueError:
            problems.append(f"{where} (outside the repository)")
            continue
        if anchor and (target.suffix != ".md" or anchor not in anchors(target)):
            problems.append(f"{where} (no heading with the anchor #{anchor} in {relative(target, root)})")
    return problems


def command_blocks(page: Path) -> list[CommandBlock]:
    """The page's fenced blocks in a shell language, with the marker on the line above each, if any."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[CommandBlock] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        fence, language = match["fence"], match["info"].strip().split(" ")[0].lower()
        start = index
        body: list[str] = []
        index += 1
        while index < len(lines):
            closing = _FENCE.match(lines[index])
            if closing and _closes(closing, fence):
                break
            body.append(lines[index].strip())
            index += 1
        index += 1
        if language not in COMMAND_LANGUAGES:
            continue
        above = lines[start - 1] if start > 0 else ""
        marker = _MARKER.match(above)
        blocks.append(
            CommandBlock(
                page=page,
                line=start + 1,
                language=language,
                text="\n".join(body),
                marker=marker["kind"] if marker else None,
                marker_value=marker["value"] if marker else None,
            )
        )
    return blocks


def command_lines(block_text: str) -> list[str]:
    """A block's commands: comments cut, `\\`-continued lines joined, blank lines dropped."""
    commands: list[str] = []
    pending = ""
    for raw in block_text.splitlines():
        stripped = raw.strip()
        line = "" if stripped.startswith("#") else stripped.split(" # ", 1)[0].rstrip()
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            commands.append(line)
    return commands


def section(page: Path, heading: str) -> str:
    """The text under `heading` (any level), up to the next heading of its level or above."""
    text = page.read_text(encoding="utf-8")
    lines = text.splitlines()
    start: int | None = None
    level = 0
    prose = {number for number, _ in _prose_lines(text)}
    for number, line in enumerate(lines, start=1):
        match = _HEADING.match(line) if number in prose else None
        if not match:
            continue
        if start is None and match[2].strip() == heading:
            start, level = number, len(match[1])
        elif start is not None and len(match[1]) <= level:
            return "\n".join(lines[start : number - 1])
    if start is None:
        raise LookupError(f"{relative(page)} has no heading {heading!r}")
    return "\n".join(lines[start:])
