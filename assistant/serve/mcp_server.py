"""The archive as an MCP server (the official ``mcp`` SDK): ``assistant mcp`` on stdio, ``/mcp`` on ``assistant
serve`` (streamable HTTP, behind the chat's gate: a login or an API key wherever the chat needs a login).

The tools' descriptions are written for a model that has never heard of this project: what the archive is,
what each tool returns, and that quotes are verbatim with character offsets (so the model can cite them).
Failures the caller can fix come back as tool errors whose text says what to send instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations
from starlette.requests import Request
from starlette.routing import BaseRoute

from assistant.errors import AssistantError
from assistant.serve.access import Caller, caller_of
from assistant.serve.operations import Operations, article_dict, passage_dict

T = TypeVar("T")

INSTRUCTIONS = (
    "A searchable archive of news articles (mostly German, some English), answered extractively: every answer "
    "is built from verbatim sentences of the stored articles, each with its article id and character offsets "
    "(article_text[start:end] == quote). Use `ask` for a question, `search` to see what the archive holds on a "
    "topic, `article` to read a whole article by id, `status` for the archive's size. Questions work in German "
    "and English. When `abstained` is true the archive does not answer the question: say so, do not guess. "
    "The archive also groups articles about one event from several outlets into stories: `stories` lists them, "
    "`story` shows one, `compare` contrasts how outlets report a topic, `digest` says what is new since a day. "
    "For how something developed over time, use `timeline`."
)
ASK = (
    "Answer a question from the news archive with verbatim quotes. Returns `answer` (text built only from "
    "quoted sentences, citing them as [1], [2], …), `abstained` (true when the articles do not answer the "
    "question: then report that the archive has no answer), `quotes` (each: `text` verbatim, `article_id`, "
    "`title`, `source` = outlet, `published` = YYYY-MM-DD or null, `start`/`end` = character offsets into the "
    "article), and `passages` (the retrieved context). Optional: `k` passages to retrieve (default 4), "
    "`sources` (only these outlets, exact names as `status`/`search` show them), `since`/`until` "
    "(publication days, YYYY-MM-DD). Ask one self-contained question per call (name people and topics, no "
    "'he' or 'that')."
)
SEARCH = (
    "Find the passages of the news archive closest to a query, without composing an answer. Returns "
    "`passages`, each with `article_id`, `title`, `source` (outlet), `published`, `url`, `text` and `start`/`end` "
    "offsets into the article, best first. Use it to explore what the archive holds; use `ask` for an answer. "
    "Same options as `ask`: `k`, `sources`, `since`, `until`."
)
ARTICLE = (
    "Read one stored article in full by its `article_id` (as returned by `ask` or `search`). Returns `id`, "
    "`title`, `source` (outlet), `published`, `url` and `text`; quote offsets index into this `text`."
)
STATUS = (
    "How much the archive holds: `articles` and `chunks` (passages) indexed, the `embedding_model`, and "
    "`last_changed` (Unix time). Call it first if unsure whether the archive has anything."
)
INDEX_URLS = (
    "Add articles to the archive: fetch article pages or RSS/Atom feeds by their http(s) addresses and index "
    "them (at most 20 at once). Returns counts (`added`, `updated`, `unchanged`, `refused` with reasons) and the "
    "`article_ids` written. Only for logged-in users or API keys; addresses inside private networks are refused."
)

STORIES = (
    "List the stories of the news archive, latest update first. A story is a group of articles from several "
    "outlets about one event (grouped automatically when the articles were indexed). Each has `id` (pass it to "
    "`story`), `title` (a headline), `first_seen` and `last_update` (YYYY-MM-DD), `articles` (how many), "
    '`outlets` (each: `source`, `articles`, `first_report` day) and `article_ids`. Returns `{"stories": [...]}`. '
    "Optional: `since`/`until` (only stories with an article published in that window, YYYY-MM-DD) and "
    "`sources` (only stories these outlets reported, exact outlet names as listed)."
)
STORY = (
    "Show one story of the news archive by its `story_id` (from `stories`): `title`, `first_seen`, "
    "`last_update`, `outlets` with their article counts and first report day, `article_list` (each article's "
    "`id`, `title`, `source`, `published`, `url`), `per_day` (articles per day per outlet) and `timeline`: dated "
    "sentences quoted verbatim from the articles (`date`, `text`, `article_id`, `source`, `start`/`end` character "
    "offsets into the article). Cite the timeline's quotes as they are; an unknown id is an error."
)
COMPARE = (
    "Compare how different outlets report the event a question is about. Finds the story most of the question's "
    "passages belong to and aligns its sentences across outlets. Returns `story_id` (null when no story "
    "matches: then say the archive has no such story), `title`, `outlets`, `shared` (statements several outlets "
    "made: a verbatim `quote` and `also_in`, the other outlets), `single` (statements only one outlet made) and "
    "`differences` (pairs `a`/`b` of quotes that give other numbers, dates or names for the same thing). Every "
    "quote has `text` verbatim, `article_id`, `source`, `published` and `start`/`end` offsets."
)
DIGEST = (
    "What is new in the news archive: for each story with articles published in the window, the sentences that "
    "do not repeat what its earlier articles said. Either `since`: a day (YYYY-MM-DD) or a duration back "
    "from today (`3d`, `2w`, `36h`), and optionally `until` ending the window (a day); or `arrived_since`: what "
    "was indexed after that time (YYYY-MM-DDTHH:MM, a day, `36h`, Unix seconds), whatever day it was "
    'published (for "what came in since I last looked"). Returns `{"stories": [...]}`, '
    "each with `id`, `title`, `new_articles`, `sentences` (verbatim quotes with `article_id`, offsets and "
    "`update`: true when the sentence changes an earlier number or name, then `earlier` holds that quote), "
    "`repeats_left_out` and `more` (new sentences not shown)."
)

TIMELINE = (
    "How a topic of the news archive developed over time, as a timeline built from the articles' own sentences. "
    "Use it for questions such as 'Wie hat sich … entwickelt?', 'Chronologie …', 'Was ist seit … passiert?' or "
    "'How did … develop?'. Returns `question` and `entries` in time order, one per event: `day` (the day the "
    'event happened, YYYY-MM-DD, or a span {"start", "end"} for a week or a month), `quotes` (verbatim '
    "sentences: `text`, `article_id`, `title`, `source` = outlet, `published` = publication day, `start`/`end` "
    "offsets into the article) and `also_in` (other outlets that reported the same event). An empty `entries` "
    "means the archive holds nothing on the topic: say so. Optional: `since`/`until` (only events in these days, "
    "YYYY-MM-DD), `sources` (exact outlet names), `as_of` (the day taken as today for time words in the question "
    "such as 'letzte Woche'; default today) and `max_entries` (1 to 100, default 12). Cite the quotes as they are."
)


class ArchiveTools:
    """The tools over one `Operations`; `open_caller` is who calls when no gate names anyone (stdio: this
    machine's user; HTTP without login: as `assistant serve` decided)."""

    def __init__(self, operations: Operations, open_caller: Caller) -> None:
        self.operations = operations
        self.open_caller = open_caller

    def ask(
        self,
        question: str,
        k: int | None = None,
        sources: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> dict[str, object]:
        body = _options(question, k, sources, since, until)
        return _tool(lambda: self.operations.ask(body).to_dict())

    def search(
        self,
        query: str,
        k: int | None = None,
        sources: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> dict[str, object]:
        body = _options(query, k, sources, since, until)
        return _tool(lambda: {"passages": [passage_dict(p) for p in self.operations.search(body)]})

    def article(self, article_id: str) -> dict[str, object]:
        return _tool(lambda: article_dict(self.operations.article(article_id)))

    def status(self) -> dict[str, object]:
        return _tool(lambda: dict(self.operations.status()))

    def stories(
        self, since: str | None = None, until: str | None = None, sources: list[str] | None = None
    ) -> dict[str, object]:
        return _tool(lambda: {"stories": self.operations.stories(since, until, sources)})

    def story(self, story_id: str) -> dict[str, object]:
        return _tool(lambda: self.operations.story(story_id))

    def compare(self, question: str) -> dict[str, object]:
        return _tool(lambda: self.operations.compare({"question": question}))

    def digest(
        self, since: str | None = None, until: str | None = None, arrived_since: str | None = None
    ) -> dict[str, object]:
        return _tool(lambda: {"stories": self.operations.digest(since, until, arrived_since)})

    def timeline(
        self,
        question: str,
        since: str | None = None,
        until: str | None = None,
        sources: list[str] | None = None,
        as_of: str | None = None,
        max_entries: int | None = None,
    ) -> dict[str, object]:
        given = {"since": since, "until": until, "sources": sources, "as_of": as_of, "max_entries": max_entries}
        body = {"question": question, **{name: value for name, value in given.items() if value is not None}}
        return _tool(lambda: self.operations.timeline(body))

    def index_urls(self, urls: list[str], ctx: Context) -> dict[str, object]:
        if not self._caller(ctx).may_write:
            raise ToolError("indexing needs a login or an API key; this server runs without one (--no-auth)")
        return _tool(lambda: self.operations.index_urls(urls))

    def _caller(self, ctx: Context) -> Caller:
        """Who called over HTTP (as the gate noted it); on stdio, this machine's user."""
        try:
            request = ctx.request_context.request
        except ValueError:
            return self.open_caller
        if isinstance(request, Request):
            return caller_of(request.scope, self.open_caller)
        return self.open_caller


def _options(
    question: str, k: int | None, sources: list[str] | None, since: str | None, until: str | None
) -> dict[str, object]:
    given = {"k": k, "sources": sources, "since": since, "until": until}
    return {"question": question, **{name: value for name, value in given.items() if value is not None}}


def _tool(work: Callable[[], T]) -> T:
    """The library's refusals as tool errors the model can read and act on."""
    try:
        return work()
    except AssistantError as error:
        raise ToolError(str(error)) from error


def build_mcp(operations: Operations, open_caller: Caller) -> MCPServer:
    """The MCP server with the archive's tools (read-only ones marked so for clients that ask first)."""
    server = MCPServer(
        "news-archive", title="Nachrichten-Assistent", instructions=INSTRUCTIONS, version="1", log_level="WARNING"
    )
    tools = ArchiveTools(operations, open_caller)
    reading = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
    server.add_tool(tools.ask, name="ask", description=ASK, annotations=reading)
    server.add_tool(tools.search, name="search", description=SEARCH, annotations=reading)
    server.add_tool(tools.article, name="article", description=ARTICLE, annotations=reading)
    server.add_tool(tools.status, name="status", description=STATUS, annotations=reading)
    server.add_tool(tools.stories, name="stories", description=STORIES, annotations=reading)
    server.add_tool(tools.story, name="story", description=STORY, annotations=reading)
    server.add_tool(tools.compare, name="compare", description=COMPARE, annotations=reading)
    server.add_tool(tools.digest, name="digest", description=DIGEST, annotations=reading)
    server.add_tool(tools.timeline, name="timeline", description=TIMELINE, annotations=reading)
    writing = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True, openWorldHint=True)
    server.add_tool(tools.index_urls, name="index_urls", description=INDEX_URLS, annotations=writing)
    return server


class HttpMcp:
    """``/mcp`` on the chat's server: the SDK's streamable-HTTP route, and the lifespan its sessions run in.

    Open on loopback (no login), the SDK's DNS-rebinding check stays on: a web page in the local browser must
    not reach the tools through a name that resolves to 127.0.0.1. Behind the gate (a key or login on every
    request) it is off, so a reverse proxy may pass its own Host header."""

    def __init__(self, server: MCPServer, host: str, *, gated: bool = False) -> None:
        self.server = server
        security = TransportSecuritySettings(enable_dns_rebinding_protection=False) if gated else None
        app = server.streamable_http_app(
            streamable_http_path="/mcp", stateless_http=True, host=host, transport_security=security
        )
        self.routes: list[BaseRoute] = list(app.routes)

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        async with self.server.session_manager.run():
            yield


def run_stdio(operations: Operations) -> None:
    """Serve the tools on standard input and output until the client closes them (``assistant mcp``)."""
    build_mcp(operations, Caller("local")).run("stdio")
