"""The README stays short and the docs stay connected: every relative link and anchor leads somewhere, and
every headline figure of the README stands on the page it links to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
PAGES = sorted((REPO / "docs").glob("*.md"))
README_MAX_LINES = 150

PENDING_PAGES = {
    "docs/answer-quality.md",
    "docs/time-and-timelines.md",
    "docs/stories.md",
    "docs/integrations.md",
    "docs/archives.md",
    "docs/operations-fetching.md",
}
"""PENDING: pages other engineers write this round. A link to one is skipped only while the page is absent;
once it exists, its links and anchors are checked like any other page's."""

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _prose(text: str) -> str:
    """Markdown without code: a link inside a code block or span is no link."""
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def _anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats numbered."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text(encoding="utf-8"))):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _links(page: Path) -> list[str]:
    return [target for target in _LINK.findall(_prose(page.read_text(encoding="utf-8"))) if "://" not in target]


def test_readme_is_short() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move the rest to a page under docs/"


@pytest.mark.parametrize("page", [README, *PAGES], ids=lambda page: page.relative_to(REPO).as_posix())
def test_relative_links_lead_somewhere(page: Path) -> None:
    broken = []
    for target in _links(page):
        if target.startswith("mailto:"):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        relative = file.relative_to(REPO).as_posix() if file.is_relative_to(REPO) else str(file)
        if not file.exists():
            if relative not in PENDING_PAGES:
                broken.append(f"{target}: no file {relative}")
            continue
        if anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {relative}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_docs_index_lists_every_page() -> None:
    index = (REPO / "docs" / "index.md").read_text(encoding="utf-8")
    unlisted = [page.name for page in PAGES if page.name != "index.md" and f"({page.name}" not in index]
    assert not unlisted, f"docs/index.md does not list {unlisted}"


def test_readme_figures_stand_on_the_pages_they_link() -> None:
    """A headline figure is a copy; its home is the linked page, which must hold every number the line names."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Figures\n", 1)[1].split("\n## ", 1)[0]
    figures = re.findall(r"^- .*?(?=^- |\Z)", section, re.M | re.S)
    assert len(figures) >= 3
    for figure in figures:
        (target,) = {link.split("#")[0] for link in _links_in(figure)}
        page = (REPO / target).read_text(encoding="utf-8")
        numbers = re.findall(r"\d[\d,]*\.\d+|\d{1,3}(?:,\d{3})+|\d+(?=×| ms| s\b)", _without_links(figure))
        missing = [number for number in numbers if number not in page]
        assert not missing, f"{target} does not hold {missing} from the README's figure: {figure[:60]}…"


def _links_in(text: str) -> list[str]:
    return [target for target in _LINK.findall(text) if "://" not in target]


def _without_links(text: str) -> str:
    return _LINK.sub("", text)


@pytest.mark.parametrize("page", [README, *PAGES], ids=lambda page: page.relative_to(REPO).as_posix())
def test_code_blocks_close(page: Path) -> None:
    """An unclosed fence turns the rest of a page into code (and hides its headings from every link)."""
    fences = re.findall(r"^ *(?:```|~~~)", page.read_text(encoding="utf-8"), re.M)
    assert len(fences) % 2 == 0, f"{page.name} has an unclosed code block"


def test_code_points_to_pages_that_exist() -> None:
    """Docstrings link the decision record instead of repeating sweeps: each page and section they name exists."""
    broken = []
    for source in sorted([*(REPO / "assistant").rglob("*.py"), *(REPO / "bench").glob("*.py")]):
        text = " ".join(source.read_text(encoding="utf-8").split())
        for page, section in re.findall(r"(docs/[\w-]+\.md)(?:,? \(?\"([^\"]+)\")?", text):
            file = REPO / page
            if not file.exists():
                if page not in PENDING_PAGES:
                    broken.append(f"{source.name}: {page}")
            elif section and not any(section in heading for heading in _HEADING.findall(file.read_text())):
                broken.append(f'{source.name}: {page} "{section}"')
    assert not broken, "no such page or section: " + "; ".join(broken)
