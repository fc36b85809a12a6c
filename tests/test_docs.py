"""The documentation stays true: every relative link and #anchor resolves, and every command block it shows
is either run by a test or says why it is not run here (tests/docs_pages.py reads the pages)."""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_pages import (
    ROOT,
    anchors,
    broken_links,
    command_blocks,
    command_lines,
    pages,
    relative,
    section,
    slug,
)

PAGES = pages()


@pytest.mark.parametrize("page", PAGES, ids=[relative(p) for p in PAGES])
def test_every_relative_link_and_anchor_on_the_page_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_every_command_block_is_run_by_a_test_or_marked_not_run_here() -> None:
    unmarked = [
        f"{relative(block.page)}:{block.line}: {block.text.splitlines()[0] if block.text else ''}"
        for page in PAGES
        for block in command_blocks(page)
        if block.marker is None
    ]
    assert unmarked == [], "mark each with <!-- run by: FILE --> or <!-- not run here: WHY -->"


def test_each_run_by_marker_names_a_file_that_reads_that_page() -> None:
    wrong = []
    for page in PAGES:
        for block in command_blocks(page):
            if block.marker != "run by" or block.marker_value is None:
                continue
            runner = ROOT / block.marker_value
            page_name = relative(page)
            if not runner.is_file():
                wrong.append(f"{page_name}:{block.line}: {block.marker_value} does not exist")
            elif page_name not in runner.read_text(encoding="utf-8"):
                wrong.append(f"{page_name}:{block.line}: {block.marker_value} never names {page_name}")
    assert wrong == []


def test_a_link_to_a_removed_heading_is_reported(tmp_path: Path) -> None:
    # GIVEN a page linking to another page's heading and to its own
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "topic.md").write_text("# Topic\n\n## How 401, 403 and caching work\n\ntext\n")
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Title\n\n## Quick start\n\nSee [caching](docs/topic.md#how-401-403-and-caching-work) "
        "and [start](#quick-start).\n"
    )
    assert broken_links(readme, root=tmp_path) == []
    # WHEN the linked heading is removed
    (tmp_path / "docs" / "topic.md").write_text("# Topic\n\ntext\n")
    # THEN the link is reported with its line and why
    assert broken_links(readme, root=tmp_path) == [
        "README.md:5: docs/topic.md#how-401-403-and-caching-work "
        "(no heading with the anchor #how-401-403-and-caching-work in docs/topic.md)"
    ]


def test_a_link_to_a_missing_file_or_inside_code_is_judged_right(tmp_path: Path) -> None:
    page = tmp_path / "README.md"
    page.write_text(
        "# T\n\n[gone](docs/gone.md) and `[not a link](nowhere.md)` and [web](https://example.com/x)\n\n"
        "```markdown\n[in a block](nowhere.md)\n```\n"
    )
    assert broken_links(page, root=tmp_path) == ["README.md:3: docs/gone.md (no such file)"]


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("How 401, 403 and caching work", "how-401-403-and-caching-work"),
        ("What `make run` gives you", "what-make-run-gives-you"),
        ("Alarms: what each means and what to do", "alarms-what-each-means-and-what-to-do"),
        ("DPoP and certificate-bound tokens", "dpop-and-certificate-bound-tokens"),
        ("Auth0 (or another OIDC issuer)", "auth0-or-another-oidc-issuer"),
        ("With Docker: the real `sam local`", "with-docker-the-real-sam-local"),
    ],
)
def test_anchors_are_githubs(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_a_repeated_heading_gets_a_numbered_anchor(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("# A\n## Notes\n## Notes\n```\n## not a heading\n```\n")
    assert anchors(page) == {"a", "notes", "notes-1"}


def test_command_blocks_carry_their_marker(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "<!-- not run here: needs an AWS account -->\n```bash\nsam deploy --guided\n```\n\n"
        "```bash\nmake run\n```\n\n```json\n{}\n```\n"
    )
    blocks = command_blocks(page)
    assert [(b.line, b.marker, b.marker_value, b.text) for b in blocks] == [
        (2, "not run here", "needs an AWS account", "sam deploy --guided"),
        (6, None, None, "make run"),
    ]


def test_command_lines_join_continuations_and_cut_comments() -> None:
    text = "make setup && source .venv/bin/activate   # SAM CLI\nsam local invoke A \\\n  -e x.json\n# note\n"
    assert command_lines(text) == [
        "make setup && source .venv/bin/activate",
        "sam local invoke A -e x.json",
    ]


def test_section_is_the_text_under_a_heading_up_to_the_next_of_its_level(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("# P\n## One\na\n### Sub\nb\n```\n## fenced\n```\n## Two\nc\n")
    assert section(page, "One") == "a\n### Sub\nb\n```\n## fenced\n```"
