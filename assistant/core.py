"""The façade: `Assistant` wires the stages (load, chunk, embed, store, retrieve, answer) together.

Each stage can be passed in, typed by its Protocol in `assistant.protocols` (another embedding model, a vector
store or Chroma client for a server, a retriever, an answerer, a follow-up rewriter, an article loader); by
default everything is built from `Settings`.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.answering.conversation import ChatTurn, rewrite_followup
from assistant.answering.extractive import Abstention, ExtractiveAnswerer
from assistant.answering.retrieval import SearchFilter, hybrid_retriever
from assistant.answering.syndication import collapse
from assistant.answers import Answer, Passage
from assistant.articles import Article
from assistant.chunking import Span, chunk_text
from assistant.decoding import clean_text
from assistant.errors import (
    ArticleNotFoundError,
    AssistantError,
    EmptyQuestionError,
    IndexNotFoundError,
    ModelMismatchError,
)
from assistant.indexing.indexer import Indexer, IndexReport, ProgressCallback
from assistant.indexing.keyword_index import KeywordIndex
from assistant.indexing.records import Records
from assistant.indexing.server_records import ServerRecords, server_writer_turn, shared_client
from assistant.indexing.shared_store import SharedStore, Waiting, writer_turn
from assistant.indexing.store import ChromaStore, open_client
from assistant.ingest.fetch_cache import WebState
from assistant.ingest.fetching import FetchPolicy
from assistant.ingest.files import article_id_for
from assistant.ingest.loading import load_paths
from assistant.ingest.web import WebReader, WebResult, is_url
from assistant.protocols import (
    Answerer,
    ArticleLoader,
    Embedder,
    Message,
    Retriever,
    RetrieverFactory,
    Rewrite,
    VectorStore,
)
from assistant.settings import Settings
from assistant.validation import check_k, check_question

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from assistant.answering.langchain_retriever import ArticleRetriever

RECORDS_FILE = "records.sqlite3"
log = logging.getLogger(__name__)
SYNDICATION_SLACK = 6
"""Extra passages retrieved so that syndicated copies, shown once, do not leave an answer short."""
WEB_STATE_FILE = "web.sqlite3"


@dataclass(frozen=True)
class IndexStatus:
    """What the index holds, for status displays."""

    articles: int
    chunks: int
    embedding_model: str | None
    last_changed: float | None

    def as_dict(self) -> dict[str, int | str | float | None]:
        """The status as the CLI's ``--json`` and the chat's ``/status`` API report it."""
        return asdict(self)


class Assistant:
    """Index news articles and answer questions with verbatim, located quotes.

    Example:
        >>> assistant = Assistant(Settings(index_dir="index"))
        >>> assistant.index(["seeds/"])
        >>> assistant.ask("Wer sollte die Gespräche vermitteln?").quotes[0].text
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embeddings: Embedder | None = None,
        chroma_client: ClientAPI | None = None,
        vector_store: VectorStore | None = None,
        retriever: RetrieverFactory = hybrid_retriever,
        answerer: Answerer | None = None,
        rewrite: Rewrite | None = None,
        loader: ArticleLoader = load_paths,
    ) -> None:
        """Every stage is optional: what is not given is built from `settings` on first use. A `vector_store`
        or `chroma_client` given here is shared as it is (never reopened by the assistant)."""
        self.settings = settings or Settings()
        self.index_dir = Path(self.settings.index_dir)
        self._embeddings = embeddings
        self._chroma_client = chroma_client
        self._vector_store = vector_store
        self._retriever = retriever
        self._answerer = answerer
        self._rewrite = rewrite
        self._loader = loader
        self._records: Records | None = None
        self._shared: SharedStore | None = None
        self._opening = threading.RLock()  # collaborators are built on first use, maybe by several threads
        self._web: WebState | None = None
        self.keyword_index = KeywordIndex(self.index_dir / "keyword")

    @classmethod
    def from_env(cls) -> Assistant:
        """An assistant configured from ``ASSISTANT_*`` environment variables (and ``.env``)."""
        return cls(Settings())

    # --- collaborators, built on first use ------------------------------------------------------
    @property
    def embeddings(self) -> Embedder:
        """The embedder in use (LangChain `Embeddings` plus arrays): ONNX Runtime for the bundled model, else
        sentence-transformers (see `assistant.embeddings.choice`); the model loads on first use."""
        with self._opening:
            return self._embeddings or self._load_embeddings()

    def _load_embeddings(self) -> Embedder:
        if self._embeddings is None:
            from assistant.embeddings.choice import embeddings_for

            self._embeddings = embeddings_for(self.settings)
        return self._embeddings

    @property
    def model_name(self) -> str:
        """The embedding model's name, as recorded in the index (known without loading the model)."""
        return self._embeddings.model_name if self._embeddings is not None else self.settings.embedding_model

    def records(self) -> Records:
        """The indexing record (articles, chunks, sentence vectors), for inspection and tools; raises
        `IndexNotFoundError` when nothing is indexed."""
        return self._open_records(create=False)

    def vector_store(self) -> VectorStore:
        """The vector store as of now, current with what other processes wrote (for inspection and tools:
        questions read it inside a section no writer changes)."""
        with self._store_access().reading() as store:
            return store

    def _open_records(self, create: bool) -> Records:
        with self._opening:
            return self._records or self._new_records(create)

    def _new_records(self, create: bool) -> Records:
        if self._records is None:
            path = self.index_dir / RECORDS_FILE
            url = self.settings.chroma_url
            if url and self._on_server():  # the record lives in the server; the file is this machine's cache of it
                self._records = ServerRecords(
                    path, shared_client(url), self.settings.collection, url, self.keyword_index
                )
                return self._records
            if not create and not path.exists():
                raise IndexNotFoundError(
                    f"nothing is indexed in {self.index_dir}: add articles first "
                    "(or set ASSISTANT_INDEX_DIR to the index you meant)"
                )
            self._records = Records(path)
        return self._records

    def _on_server(self) -> bool:
        """Whether the whole archive (not only the vectors) lives in the Chroma server at ASSISTANT_CHROMA_URL."""
        return bool(self.settings.chroma_url) and self._chroma_client is None and self._vector_store is None

    def _writer_turn(self, waiting: Waiting | None = None) -> AbstractContextManager[None]:
        """This folder's writer lock; on a server also the writers' lease there (other machines queue too)."""
        records = self._open_records(create=True)
        if isinstance(records, ServerRecords):
            return server_writer_turn(self.index_dir, records, waiting)
        return writer_turn(self.index_dir, waiting)

    def _store_access(self) -> SharedStore:
        """The vector store as this process shares it with every other reader and writer of the index."""
        with self._opening:
            if self._shared is None:
                given = self._chroma_client is not None or self._vector_store is not None
                reopen = not given and not self.settings.chroma_url
                url = None if given else self.settings.chroma_url
                records = self._open_records(create=True)
                self._shared = SharedStore(self.index_dir, records, self._new_store, reopen=reopen, url=url)
            return self._shared

    def _new_store(self) -> VectorStore:
        if self._vector_store is not None:
            return self._vector_store
        if self._chroma_client is not None:
            return ChromaStore(self._chroma_client, self.settings.collection)
        if self.settings.chroma_url:  # one client per server in this process
            return ChromaStore(shared_client(self.settings.chroma_url), self.settings.collection)
        client = open_client(self.index_dir / "chroma", None)
        return ChromaStore(client, self.settings.collection, owned=True)

    @functools.cached_property
    def answerer(self) -> Answerer:
        if self._answerer is not None:
            return self._answerer
        extractive = ExtractiveAnswerer(
            self.embeddings,
            sentences=self._sentences_of,
            idf=self.keyword_index.idf,
            abstention=Abstention(
                fixed=self.settings.abstain_threshold, fixed_aligned=self.settings.abstain_threshold_cross_lingual
            ),
            index_size=lambda: self.keyword_index.chunk_count,
            lead=lambda article_id: self._open_records(create=False).lead_passage(article_id),
        )
        if self.settings.llm == "none":
            return extractive
        from assistant.answering.generation import GenerativeAnswerer, build_chat_model, secrets_of

        return GenerativeAnswerer(
            build_chat_model(self.settings),
            extractive,
            timeout=self.settings.llm_timeout,
            secrets=secrets_of(self.settings),
        )

    @functools.cached_property
    def rewriter(self) -> Rewrite:
        """How a follow-up question is made to stand on its own: by the language model when one is configured
        (falling back to the deterministic rewrite), else by `rewrite_followup`."""
        if self._rewrite is not None:
            return self._rewrite
        if self.settings.llm == "none":
            return rewrite_followup
        from assistant.answering.generation import build_chat_model, llm_rewrite

        return llm_rewrite(build_chat_model(self.settings))

    def _sentences_of(self, passages: list[Passage]) -> dict[str, list[tuple[Span, np.ndarray]]]:
        """Sentence spans and vectors precomputed at index time for the given passages."""
        found = self._open_records(create=False).sentences_of(p.chunk_id for p in passages)
        return {cid: [(Span(s.start, s.end), s.vector) for s in sentences] for cid, sentences in found.items()}

    def _check_model(self, records: Records) -> None:
        built_with = records.get_meta("embedding_model")
        if built_with is not None and built_with != self.model_name:
            raise ModelMismatchError(
                f"the index in {self.index_dir} was built with the embedding model {built_with!r}, "
                f"but {self.model_name!r} is configured. Either set ASSISTANT_EMBEDDING_MODEL={built_with} "
                "again, or rebuild the index with the new model: index the articles again into a new (or emptied) "
                "index directory."
            )

    # --- indexing -------------------------------------------------------------------------------
    def index(
        self,
        items: Iterable[str | Path | Article] | str | Path | Article,
        *,
        sync: bool = False,
        progress: ProgressCallback | None = None,
        refetch: bool = False,
        allow_private: bool | None = None,
        waiting: Waiting | None = None,
    ) -> IndexReport:
        """Index files, folders, URLs (article pages, RSS/Atom feeds) and `Article` objects incrementally.

        `sync` drops articles gone from the given folders. URLs already fetched are asked for again only when
        changed (conditional requests), unless `refetch`; `allow_private` lets them reach non-public
        addresses (default: the ``fetch_allow_private`` setting). One indexing run at a time per index
        directory: a second one waits, and `waiting` is told so in words ("waiting for another indexing run
        (pid N) …"). Questions are answered meanwhile."""
        if isinstance(items, str | Path | Article):
            items = [items]
        items = list(items)
        urls = [item for item in items if is_url(item)]
        web = self._read_web(urls, refetch, allow_private) if urls else WebResult()
        local = [item for item in items if not is_url(item)] + web.articles
        report = self._index_local(local, sync, progress, waiting) if local or sync else IndexReport()
        report.unchanged.extend(web.unchanged)
        report.refused.extend(web.refusals)
        if web.seen:
            refused = {r.path for r in report.refused}
            self._web_state().remember({u: s for u, s in web.seen.items() if s.article_id not in refused})
        return report

    def _index_local(
        self,
        items: list[str | Path | Article],
        sync: bool,
        progress: ProgressCallback | None,
        waiting: Waiting | None,
    ) -> IndexReport:
        records = self._open_records(create=True)
        self._check_model(records)
        with self._writer_turn(waiting):
            try:
                return self._indexer(records).index(items, sync=sync, progress=progress)
            finally:  # also after an interrupted run: the vectors written so far are this model's
                if records.get_meta("embedding_model") is None and records.counts()[0]:
                    records.set_meta("embedding_model", self.model_name)

    def _read_web(self, urls: list[str], refetch: bool, allow_private: bool | None) -> WebResult:
        """Fetch the URLs (pages and feeds) into articles, within the fetch settings."""
        settings = self.settings
        policy = FetchPolicy(
            timeout=settings.fetch_timeout,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            allow_private=settings.fetch_allow_private if allow_private is None else allow_private,
        )
        return WebReader(policy, self._web_state(), indexed=self._is_indexed, refetch=refetch).read(urls)

    def _web_state(self) -> WebState:
        if self._web is None:
            self._web = WebState(self.index_dir / WEB_STATE_FILE)
        return self._web

    def _is_indexed(self, article_id: str) -> bool:
        path = self.index_dir / RECORDS_FILE
        return path.exists() and self._open_records(create=False).content_hash(article_id) is not None

    def delete_path(self, path: str | Path) -> list[str]:
        """Remove every article read from the file `path` (e.g. deleted from a watched folder); their ids."""
        records = self._open_records(create=False)
        scope = article_id_for(Path(path), self.index_dir.resolve().parent)
        gone = [article_id for article_id, article_path in records.articles_under(scope) if article_path == scope]
        if gone:
            with self._writer_turn():
                indexer = self._indexer(records)
                for article_id in gone:
                    indexer.delete(article_id)
                self.keyword_index.update(records)
        return gone

    def delete(self, article_id: str) -> None:
        """Remove one article from the index."""
        records = self._open_records(create=False)
        if records.content_hash(article_id) is None:
            raise ArticleNotFoundError(f"no article with id {article_id!r} in the index")
        with self._writer_turn():
            self._indexer(records).delete(article_id)
            self.keyword_index.update(records)  # readers never build it

    def _indexer(self, records: Records) -> Indexer:
        return Indexer(
            records,
            self._store_access(),
            self.embeddings,
            chunker=functools.partial(
                chunk_text, target_chars=self.settings.chunk_target_chars, max_chars=self.settings.chunk_max_chars
            ),
            id_base=self.index_dir.resolve().parent,
            max_file_bytes=self.settings.max_file_bytes,
            keyword_index=self.keyword_index,
            loader=self._loader,
            group_chars=self.settings.index_batch_chars,
            max_chunks=self.settings.max_chunks_per_article,
            allow_id_takeover=self.settings.allow_id_takeover,
        )

    # --- questions ------------------------------------------------------------------------------
    def retrieve(
        self, question: str, k: int | None = None, *, search_filter: SearchFilter | None = None
    ) -> list[Passage]:
        """The `k` passages most likely to answer `question`."""
        question, k = self._question(question), check_k(k, self.settings.max_top_k)
        return self._retrieve(question, k, search_filter)[1]

    def ask(self, question: str, *, k: int | None = None, search_filter: SearchFilter | None = None) -> Answer:
        """Answer `question` from the indexed articles, with verbatim quotes (or abstain).

        Passages, sentences and leads come from one snapshot of the record, whatever is written meanwhile."""
        question, k = self._question(question), check_k(k, self.settings.max_top_k)  # input first, then the index
        with self._open_records(create=False).snapshot():
            query_vector, passages = self._retrieve(question, k, search_filter)
            return self.answerer.answer(question, query_vector, passages)

    def ask_stream(
        self, question: str, *, k: int | None = None, search_filter: SearchFilter | None = None
    ) -> Iterator[str | Answer]:
        """Like `ask`, streamed: pieces of answer text as they are written, then the final (verified) `Answer`.

        Without a language model the whole extractive answer text is one piece."""
        question, k = self._question(question), check_k(k, self.settings.max_top_k)
        with self._open_records(create=False).snapshot():  # not across the yields: a stream may change threads
            query_vector, passages = self._retrieve(question, k, search_filter)
        yield from self.answerer.stream(question, query_vector, passages)

    def chat(
        self,
        question: str,
        history: Sequence[Message] = (),
        *,
        k: int | None = None,
        search_filter: SearchFilter | None = None,
    ) -> ChatTurn:
        """One question of a conversation: a follow-up is made to stand on its own (`rewriter`), then answered
        like `ask_stream`. Iterate the turn for the answer's text pieces, then the final `Answer`.

        `history` is the conversation so far as plain-text chat messages (``{"role", "content"}``, the format
        of Gradio's and LangChain's chats); `ChatTurn.messages` gives this turn's two to append."""
        question, k = self._question(question), check_k(k, self.settings.max_top_k)
        searched = self.rewriter(question, list(history)).strip() or question
        return ChatTurn(question, searched, self.ask_stream(searched, k=k, search_filter=search_filter))

    def _question(self, question: object) -> str:
        """The question as searched: checked (text, length), cleaned like article text (no control characters,
        lone surrogates the tokenizer cannot take replaced, NFC); EmptyQuestionError when nothing is left."""
        cleaned = clean_text(check_question(question, self.settings.max_question_chars)).strip()
        if not cleaned:
            raise EmptyQuestionError("the question is empty: ask something about the indexed articles")
        return cleaned

    def _retrieve(
        self, question: str, k: int | None, search_filter: SearchFilter | None
    ) -> tuple[np.ndarray, list[Passage]]:
        """Passages for a question and `k` already checked by the public entry points."""
        records = self._open_records(create=False)
        self._check_model(records)
        if records.counts()[0] == 0:
            raise IndexNotFoundError(f"the index in {self.index_dir} holds no articles: add articles first")
        query_vector = self.embeddings.embed_query_array(question)
        k = k or self.settings.top_k
        passages = self._search(records, question, query_vector, k + SYNDICATION_SLACK, search_filter)
        return query_vector, collapse(passages, self._text_of)[:k]

    def _text_of(self, article_id: str) -> str | None:
        article = self._open_records(create=False).article(article_id)
        return article.text if article else None

    def _search(
        self, records: Records, question: str, query_vector: np.ndarray, k: int, search_filter: SearchFilter | None
    ) -> list[Passage]:
        """Hybrid retrieval while no writer changes the store; a store read that fails reopens the client once."""
        keyword = self.keyword_index.ensure_current()
        access = self._store_access()
        for attempt in range(2):
            try:
                with access.reading() as store:
                    retriever: Retriever = self._retriever(store, keyword, records)
                    return retriever.retrieve(question, query_vector, k, search_filter)
            except AssistantError:
                raise
            except Exception:  # a client that fell behind the files despite the generation (e.g. a foreign tool)
                if attempt:
                    raise
                log.warning("the vector store failed a read; reopening it", exc_info=True)
                access.stale()
        raise AssertionError("unreachable")

    def as_retriever(self, k: int | None = None, *, search_filter: SearchFilter | None = None) -> ArticleRetriever:
        """This assistant's retrieval as a LangChain `BaseRetriever` (documents carry ids and offsets); `k`
        defaults to the ``top_k`` setting."""
        from assistant.answering.langchain_retriever import ArticleRetriever

        return ArticleRetriever(assistant=self, k=k or self.settings.top_k, search_filter=search_filter)

    # --- reading back ---------------------------------------------------------------------------
    def article(self, article_id: str) -> Article:
        """The stored article (full text and metadata) that quote offsets point into."""
        article = self._open_records(create=False).article(article_id)
        if article is None:
            raise ArticleNotFoundError(f"no article with id {article_id!r} in the index")
        return article

    def articles(self) -> list[Article]:
        """Every stored article."""
        return list(self._open_records(create=False).articles())

    def sources(self) -> list[str]:
        """The sources the stored articles name (for source filters), sorted; reads no article text."""
        return self._open_records(create=False).sources()

    def status(self) -> IndexStatus:
        """Counts and model of the index (zeros when nothing is indexed yet)."""
        try:
            records = self._open_records(create=False)
        except IndexNotFoundError:
            return IndexStatus(0, 0, None, None)
        articles, chunks = records.counts()
        return IndexStatus(articles, chunks, records.get_meta("embedding_model"), records.last_changed())

    def close(self) -> None:
        """Release the record database and the store client."""
        if self._shared is not None:
            self._shared.close()
            self._shared = None
        if self._records is not None:
            self._records.close()
            self._records = None
        if self._web is not None:
            self._web.close()
            self._web = None
