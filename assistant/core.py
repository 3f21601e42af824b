"""The façade: `Assistant` wires the stages (load, chunk, embed, store, retrieve, answer) together.

Each stage can be passed in, typed by its Protocol in `assistant.protocols` (another embedding model, a vector
store or Chroma client for a server, a retriever, an answerer, a follow-up rewriter, an article loader); by
default everything is built from `Settings`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.answering.asked_window import asked_window
from assistant.answering.asking import make_question
from assistant.answering.conversation import ChatTurn, rewrite_followup
from assistant.answering.decline import CROSS_DECLINE_MODEL, DECLINE_MODEL
from assistant.answering.extractive import Abstention, DetailWeights, ExtractiveAnswerer
from assistant.answering.retrieval import hybrid_retriever
from assistant.answering.stored_sentences import StoredSentences
from assistant.answering.syndication import collapse
from assistant.answers import Answer, Passage, Quote, as_stream, mostly_dated
from assistant.articles import Article
from assistant.chunking import chunk_text
from assistant.dates import DaySpan, parse_typed_day
from assistant.decoding import clean_text
from assistant.errors import (
    ArticleNotFoundError,
    AssistantError,
    EmptyQuestionError,
    IndexNotFoundError,
    InvalidInputError,
    ModelMismatchError,
)
from assistant.indexing.database import SharedFile
from assistant.indexing.indexer import Indexer, IndexReport
from assistant.indexing.keyword_index import KeywordIndex
from assistant.indexing.progress import ProgressCallback
from assistant.indexing.records import Records
from assistant.indexing.server_records import ServerRecords, shared_client
from assistant.indexing.shared_store import SharedStore, Waiting
from assistant.indexing.store import ChromaStore, open_client
from assistant.indexing.writer import IndexWriter, clean_interrupted_write
from assistant.ingest.fetch_cache import WebState
from assistant.ingest.fetching import FetchPolicy
from assistant.ingest.files import article_id_for
from assistant.ingest.formats.fields import check_fields
from assistant.ingest.loading import iter_paths, load_paths
from assistant.ingest.web import WebReader, WebResult, is_url
from assistant.language import guess_language
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
from assistant.question import Question, SearchFilter
from assistant.settings import Settings
from assistant.stories.assigning import StoryAssigner
from assistant.stories.book import StoryBook
from assistant.stories.compare import Comparison, align, asks_for_comparison, topic_of
from assistant.stories.comparison_answer import comparison_answer
from assistant.stories.digest import DigestStory, arrival_start, arrivals_digest, digest, window_start
from assistant.stories.sentences import sentences_of
from assistant.stories.shared_book import SharedBook
from assistant.stories.timeline import DatedQuote
from assistant.stories.views import StoryPage, StorySummary, list_stories, story_page
from assistant.timeline.asking import (
    latest_first,
    passages_in_window,
    timeline_answer,
    with_days,
)
from assistant.timeline.building import MAX_ENTRIES, build_timeline
from assistant.timeline.headlines import headline_names_story
from assistant.timeline.model import Timeline, TimelineEntry
from assistant.timeline.questions import (
    QuestionTime,
    is_development_question,
    published_from,
    question_time,
    within,
)
from assistant.timeline.questions import (
    topic_of as timeline_topic,
)
from assistant.timeline.searching import asked_across_languages, timeline_retriever
from assistant.timeline.story import story_timeline
from assistant.validation import check_k, check_question

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from langchain_core.embeddings import Embeddings

    from assistant.answering.langchain_retriever import ArticleRetriever
    from assistant.answering.reranking import CrossEncoderReranker

RECORDS_FILE = "records.sqlite3"
log = logging.getLogger(__name__)
SYNDICATION_SLACK = 6
"""Extra passages retrieved so that syndicated copies, shown once, do not leave an answer short."""
WEB_STATE_FILE = "web.sqlite3"
TIMELINE_PASSAGES = 200
"""Passages a timeline is built from: enough for a story's many days and outlets, few enough for a second."""
MAX_TIMELINE_ENTRIES = 100


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
        embeddings: Embedder | Embeddings | None = None,
        chroma_client: ClientAPI | None = None,
        vector_store: VectorStore | None = None,
        retriever: RetrieverFactory = hybrid_retriever,
        answerer: Answerer | None = None,
        rewrite: Rewrite | None = None,
        loader: ArticleLoader = load_paths,
        stories: StoryAssigner | None = None,
    ) -> None:
        """Every stage is optional: what is not given is built from `settings` on first use. A `vector_store`
        or `chroma_client` given here is shared as it is (never reopened by the assistant). `embeddings` may
        be any LangChain `Embeddings` (e.g. `HuggingFaceEmbeddings`, `OllamaEmbeddings`): one without the
        `Embedder` array methods is adapted (`assistant.embeddings.plain.as_embedder`; wrap it yourself to
        name its model). `stories` is the index folder's story book and hook (a subclass that measures or
        logs, say); the assistant closes it with itself."""
        self.settings = settings or Settings()
        self.index_dir = Path(self.settings.index_dir)
        if embeddings is not None and not isinstance(embeddings, Embedder):
            from assistant.embeddings.plain import as_embedder

            embeddings = as_embedder(embeddings)
        self._embeddings: Embedder | None = embeddings
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
        self._stories = stories
        self.keyword_index = KeywordIndex(self.index_dir / "keyword")
        self._stored_sentences = StoredSentences(self.keyword_index)  # given the record when it is opened

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
                self._stored_sentences.records = self._records
                return self._records
            if not create and not path.exists():
                raise IndexNotFoundError(
                    f"nothing is indexed in {self.index_dir}: add articles first "
                    "(or set ASSISTANT_INDEX_DIR to the index you meant)"
                )
            self._records = Records(path)
            clean_interrupted_write(self.index_dir, self._records, self._store_access())
            self._stored_sentences.records = self._records
        return self._records

    def _on_server(self) -> bool:
        """Whether the whole archive (not only the vectors) lives in the Chroma server at ASSISTANT_CHROMA_URL."""
        return bool(self.settings.chroma_url) and self._chroma_client is None and self._vector_store is None

    def _writer(self) -> IndexWriter:
        """The index folder's writer: adding and deleting articles both go through it (turn and bookkeeping)."""
        return IndexWriter(
            self.index_dir,
            self._open_records(create=True),
            self._store_access(),
            self.keyword_index,
            model_name=self.model_name,
            stories=self._story_assigner() if self.settings.stories else None,
        )

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

    def _detail_weights(self) -> DetailWeights:
        """The decline model at the configured cutoff (`Settings.decline_cutoff`, in any archive), or as fitted (a
        cutoff of its own in a news archive); across languages the cross-language model at
        `Settings.cross_decline_cutoff`, or none (the rule for days and numbers)."""
        cutoff, cross = self.settings.decline_cutoff, self.settings.cross_decline_cutoff
        weights = DetailWeights()
        if cutoff is not None:  # a cutoff set holds for news and other archives alike
            model = dataclasses.replace(DECLINE_MODEL, cutoff=cutoff)
            weights = dataclasses.replace(weights, model=model, news_model=model)
        if cross is not None:
            weights = dataclasses.replace(weights, cross_model=dataclasses.replace(CROSS_DECLINE_MODEL, cutoff=cross))
        return weights

    @functools.cached_property
    def answerer(self) -> Answerer:
        if self._answerer is not None:
            return self._answerer
        extractive = ExtractiveAnswerer(
            self.embeddings,
            sentences=self._stored_sentences.sentences_of,
            idf=self.keyword_index.idf,
            abstention=Abstention(
                fixed=self.settings.abstain_threshold, fixed_aligned=self.settings.abstain_threshold_cross_lingual
            ),
            index_size=self._stored_sentences.index_size,
            lead=self._stored_sentences.lead_passage,
            detail=self._detail_weights(),
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
    def reranker(self) -> CrossEncoderReranker | None:
        """The cross-encoder that re-orders the retrieved candidates (``ASSISTANT_RERANKER``), or None (the
        default); it loads on the first question."""
        if not self.settings.reranker:
            return None
        from assistant.answering.reranking import CrossEncoderReranker

        return CrossEncoderReranker(self.settings.reranker, cache_dir=self.settings.model_cache_dir)

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

    def _stored_day(self, quote: Quote) -> tuple[int, int] | None:
        """The day stored with the sentence a quote begins in (None: not found, or not dated)."""
        records = self._open_records(create=False)
        chunk_ids = [c.id for c in records.chunks_of(quote.article_id) if c.start <= quote.start < c.end]
        for sentence in (s for group in records.sentence_days(chunk_ids).values() for s in group):
            if sentence.start <= quote.start < sentence.end:
                return sentence.day
        return None

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
        fields: Mapping[str, str] | None = None,
    ) -> IndexReport:
        """Index files, folders, URLs (article pages, RSS/Atom feeds) and `Article` objects incrementally.

        `sync` drops articles gone from the given folders. URLs already fetched are asked for again only when
        changed (conditional requests), unless `refetch`; `allow_private` lets them reach non-public
        addresses (default: the ``fetch_allow_private`` setting). One indexing run at a time per index
        directory: a second one waits, and `waiting` is told so in words ("waiting for another indexing run
        (pid N) …"). Questions are answered meanwhile.

        JSON, JSONL, CSV and TSV records are read with the field names news data comes with (``article``,
        ``header``, ``date``, ...); `fields` names others, e.g. ``{"text": "Artikel", "published": "Datum"}``
        (passed to the loader as its ``fields`` argument); the report says which fields each file was read
        with (`IndexReport.fields`)."""
        fields = check_fields(fields)  # a wrong mapping is refused before anything is read
        if isinstance(items, str | Path | Article):
            items = [items]
        items = list(items)
        urls = [item for item in items if is_url(item)]
        web = self._read_web(urls, refetch, allow_private) if urls else WebResult()
        local = [item for item in items if not is_url(item)] + web.articles
        report = self._index_local(local, sync, progress, waiting, fields) if local or sync else IndexReport()
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
        fields: Mapping[str, str] | None = None,
    ) -> IndexReport:
        records = self._open_records(create=True)
        self._check_model(records)
        return self._writer().index(
            self._indexer(records, fields), items, sync=sync, progress=progress, waiting=waiting
        )

    def _read_web(self, urls: list[str], refetch: bool, allow_private: bool | None) -> WebResult:
        """Fetch the URLs (pages and feeds) into articles, within the fetch settings."""
        settings = self.settings
        policy = FetchPolicy(
            timeout=settings.fetch_timeout,
            deadline=settings.fetch_deadline,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            allow_private=settings.fetch_allow_private if allow_private is None else allow_private,
        )
        reader = WebReader(
            policy, self._web_state(), indexed=self._is_indexed, refetch=refetch, max_entries=settings.fetch_max_entries
        )
        return reader.read(urls)

    def _web_state(self) -> WebState:
        if self._web is None:
            self._web = WebState(SharedFile(self.index_dir / WEB_STATE_FILE, busy_seconds=30))  # a cache: fast commits
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
            self._writer().delete(gone)
        return gone

    def delete(self, article_id: str) -> None:
        """Remove one article from the index."""
        records = self._open_records(create=False)
        if records.content_hash(article_id) is None:
            raise ArticleNotFoundError(f"no article with id {article_id!r} in the index")
        self._writer().delete([article_id])

    def _indexer(self, records: Records, fields: Mapping[str, str] | None = None) -> Indexer:
        """The indexer over the record; a field mapping is bound to the loader (which must then take it)."""
        loader = functools.partial(self._loader, fields=fields) if fields else self._loader
        streaming = self._loader is load_paths  # the default loader also streams: record files in bounded memory
        stream = functools.partial(iter_paths, fields=fields) if streaming else None
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
            loader=loader,
            stream=stream,
            group_chars=self.settings.index_batch_chars,
            max_chunks=self.settings.max_chunks_per_article,
            allow_id_takeover=self.settings.allow_id_takeover,
            stories=self._story_assigner() if self.settings.stories else None,
        )

    def _story_assigner(self) -> StoryAssigner:
        """The story book of this index folder (opened on first use)."""
        with self._opening:
            if self._stories is None:
                shared = None
                url = self.settings.chroma_url
                if url and self._on_server():  # the story book lives in the server too; the file is a cache
                    shared = SharedBook(shared_client(url), self.settings.collection, url)
                self._stories = StoryAssigner(self.index_dir, shared=shared)
            return self._stories

    # --- questions ------------------------------------------------------------------------------
    def retrieve(
        self, question: str, k: int | None = None, *, search_filter: SearchFilter | None = None
    ) -> list[Passage]:
        """The `k` passages most likely to answer `question`."""
        asked = self._question(question, k, search_filter)
        return self._retrieve(asked)[1]

    def ask(self, question: str, *, k: int | None = None, search_filter: SearchFilter | None = None) -> Answer:
        """Answer `question` from the indexed articles, with verbatim quotes (or abstain).

        A development question ("Wie hat sich … entwickelt?") is answered with a timeline, a question how outlets
        report something ("Wie berichten die Medien über …?") with their comparison; time words ("im Juni
        2020", "zuletzt") choose the days quoted instead of being searched. Every quote carries the day it
        speaks about. Passages, sentences and leads come from one snapshot of the record."""
        asked = self._question(question, k, search_filter)  # input first, then the index
        with self._open_records(create=False).snapshot():
            planned = self._plan(asked)
            if isinstance(planned, Answer):
                return planned
            searched, window, query_vector, passages = planned
            with asked_window(window):
                answer = self.answerer.answer(searched, query_vector, passages)
        return with_days(dataclasses.replace(answer, question=asked.text), self._stored_day)

    def ask_stream(
        self, question: str, *, k: int | None = None, search_filter: SearchFilter | None = None
    ) -> Iterator[str | Answer]:
        """Like `ask`, streamed: pieces of answer text as they are written, then the final (verified) `Answer`.

        Without a language model the whole extractive answer text is one piece."""
        asked = self._question(question, k, search_filter)
        with self._open_records(create=False).snapshot():  # not across the yields: a stream may change threads
            planned = self._plan(asked)
        if isinstance(planned, Answer):
            yield from as_stream(planned)
            return
        searched, window, query_vector, passages = planned
        stream = self.answerer.stream(searched, query_vector, passages)
        while True:
            with asked_window(window):  # around each step, not across a yield: the next may come in another context
                item = next(stream, None)
            if item is None:
                return
            if isinstance(item, Answer):
                item = with_days(dataclasses.replace(item, question=asked.text), self._stored_day)
            yield item

    def _plan(self, asked: Question) -> Answer | tuple[Question, DaySpan | None, np.ndarray, list[Passage]]:
        """A timeline answer for a development question (when the articles hold dated events), else what the
        answerer needs: the question as searched, the window it names, its vector and passages.

        Time words act as a window only in an archive of dated articles: in undated ones ("1990" in an
        encyclopaedia) they stay search terms, and the question takes the ordinary path unchanged."""
        if is_development_question(asked.text):
            timeline, used = self._timeline(asked.text, asked.search_filter, None, MAX_ENTRIES)
            if timeline.entries:
                return timeline_answer(asked.text, timeline, used)
        if asks_for_comparison(asked.text) and (told := comparison_answer(self.compare(asked.text), asked.language)):
            return with_days(told, self._stored_day)
        timed = question_time(asked.text, self.now())
        query_vector, passages = self._retrieve(asked)
        if (timed.window is None and not timed.recent) or not mostly_dated(passages):
            return asked, None, query_vector, passages
        searched = dataclasses.replace(
            make_question(timed.searched, k=asked.k, search_filter=asked.search_filter), language=asked.language
        )
        timed_vector, timed_passages = self._retrieve_in_time(timed, searched)
        if not timed_passages:  # nothing of the topic in that window ("am Montag" against today, in an old archive)
            return asked, None, query_vector, passages
        return searched, timed.window, timed_vector, timed_passages

    def _retrieve_in_time(self, timed: QuestionTime, searched: Question) -> tuple[np.ndarray, list[Passage]]:
        """Passages for a question without its time words: of the asked window (published from its first day
        on, and speaking about one of its days), or the newest of the relevant ones when it asks for the latest."""
        if timed.window is None and not timed.recent:
            return self._retrieve(searched)
        k = searched.k or self.settings.top_k
        wide = min(max(4 * k, 20), self.settings.max_top_k)
        narrowed = published_from(searched.search_filter, timed.window)
        query_vector, passages = self._retrieve(dataclasses.replace(searched, k=wide, search_filter=narrowed))
        if timed.window is not None:
            sentences = self._open_records(create=False).sentences_of(p.chunk_id for p in passages)
            passages = passages_in_window(passages, sentences, timed.window)
        if timed.recent:
            return query_vector, latest_first(passages, k)
        return query_vector, passages[:k]

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
        question, k = self._question_text(question), check_k(k, self.settings.max_top_k)
        searched = self.rewriter(question, list(history)).strip() or question
        return ChatTurn(question, searched, self.ask_stream(searched, k=k, search_filter=search_filter))

    def _question(self, question: object, k: object, search_filter: SearchFilter | None) -> Question:
        """The question value every stage works with, made once from what the caller sent (`_question_text`)."""
        text, checked_k = self._question_text(question), check_k(k, self.settings.max_top_k)
        return make_question(text, k=checked_k, search_filter=search_filter)

    def _question_text(self, question: object) -> str:
        """The question as searched: checked (text, length), cleaned like article text (no control characters,
        lone surrogates the tokenizer cannot take replaced, NFC); EmptyQuestionError when nothing is left."""
        cleaned = clean_text(check_question(question, self.settings.max_question_chars)).strip()
        if not cleaned:
            raise EmptyQuestionError("the question is empty: ask something about the indexed articles")
        return cleaned

    def _retrieve(self, question: Question) -> tuple[np.ndarray, list[Passage]]:
        """Passages for a question whose `k` the public entry points checked."""
        records = self._open_records(create=False)
        self._check_model(records)
        if records.counts()[0] == 0:
            raise IndexNotFoundError(f"the index in {self.index_dir} holds no articles: add articles first")
        query_vector = self.embeddings.embed_query_array(question.text)
        k = question.k or self.settings.top_k
        reranker = self.reranker
        pool = (
            k + SYNDICATION_SLACK if reranker is None else max(k + SYNDICATION_SLACK, self.settings.rerank_candidates)
        )
        passages = self._search(records, question, query_vector, pool)
        if reranker is not None:
            passages = reranker.rerank(question.text, passages)
        return query_vector, collapse(passages, self._text_of)[:k]

    def _text_of(self, article_id: str) -> str | None:
        article = self._open_records(create=False).article(article_id)
        return article.text if article else None

    def _search(
        self,
        records: Records,
        question: Question,
        query_vector: np.ndarray,
        k: int,
        factory: RetrieverFactory | None = None,
    ) -> list[Passage]:
        """Hybrid retrieval while no writer changes the store; a store read that fails reopens the client once.
        `factory` replaces the assistant's retriever for this search."""
        make_retriever = factory or self._retriever
        keyword = self.keyword_index.ensure_current()
        access = self._store_access()
        for attempt in range(2):
            try:
                with access.reading() as store:
                    retriever: Retriever = make_retriever(store, keyword, records)
                    return retriever.retrieve(question, query_vector, k, question.search_filter)
            except AssistantError:
                raise
            except Exception:  # a client that fell behind the files despite the generation (e.g. a foreign tool)
                if attempt:
                    raise
                log.warning("the vector store failed a read; reopening it", exc_info=True)
                access.stale()
        raise AssertionError("unreachable")

    def timeline(
        self,
        question: str,
        *,
        search_filter: SearchFilter | None = None,
        as_of: str | dt.date | None = None,
        max_entries: int = MAX_ENTRIES,
    ) -> Timeline:
        """How a story developed, as a timeline of verbatim sentences (one per event day, in time order).

        Time words in the question ("seit dem 1. März", "im Juni 2020") narrow the days, resolved against
        `as_of` (else the ``as_of`` setting, else today); `search_filter` restricts sources and publication
        days as in `ask`. Without either, the timeline spans the whole archive."""
        return self._timeline(self._question_text(question), search_filter, as_of, max_entries)[0]

    def _timeline(
        self, question: str, search_filter: SearchFilter | None, as_of: str | dt.date | None, max_entries: int
    ) -> tuple[Timeline, list[Passage]]:
        """The timeline and the passages it was built from."""
        if not 1 <= max_entries <= MAX_TIMELINE_ENTRIES:
            raise InvalidInputError(f"max_entries must lie between 1 and {MAX_TIMELINE_ENTRIES}, got {max_entries}")
        now = self.now(as_of)
        asked = question_time(question, now)
        window = within(asked.window, search_filter)
        topic = timeline_topic(asked.searched)
        records = self._open_records(create=False)
        with records.snapshot():
            self._check_model(records)
            if records.counts()[0] == 0:
                raise IndexNotFoundError(f"the index in {self.index_dir} holds no articles: add articles first")
            query_vector = self.embeddings.embed_query_array(topic)
            searched = make_question(topic, search_filter=search_filter)
            passages = self._search(records, searched, query_vector, TIMELINE_PASSAGES)
            if self._retriever is hybrid_retriever and asked_across_languages(question, passages):
                passages = self._search(records, searched, query_vector, TIMELINE_PASSAGES, timeline_retriever)
            sentences = records.sentences_of(p.chunk_id for p in passages)
        names_story = headline_names_story(searched.stems, self.keyword_index.idf)
        built = build_timeline(
            passages, sentences, query_vector, window=window, max_entries=max_entries, names_story=names_story
        )
        timeline = Timeline(
            question, built.entries, guess_language(question), window, now.isoformat(), built.articles_per_day
        )
        return timeline, passages

    def now(self, as_of: str | dt.date | None = None) -> dt.date:
        """The day taken as "now" for a question's time words: `as_of`, else the ``as_of`` setting, else today."""
        value = as_of if as_of is not None else self.settings.as_of
        if value is None:
            return dt.date.today()
        if isinstance(value, dt.date):
            return value
        day = parse_typed_day(value)
        if day is None:
            raise InvalidInputError(f"as_of must be a day like 2020-06-18 or 18.6.2020, got {value!r}")
        return dt.date.fromisoformat(day)

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

    # --- stories --------------------------------------------------------------------------------
    def _story_book(self) -> StoryBook:
        """The story book, first brought up to the record (articles another process or machine indexed, or a
        killed run committed without their story, get theirs now)."""
        records = self._open_records(create=False)
        assigner = self._story_assigner()
        if isinstance(records, ServerRecords):
            records.refresh()
        if self.settings.stories:
            assigner.catch_up(records, self._store_access(), push=False)
        else:
            assigner.sync(writer=False)
        return assigner.book

    def stories(
        self, *, since: str | None = None, until: str | None = None, sources: list[str] | None = None
    ) -> list[StorySummary]:
        """Every story of the archive (or those with an article published in [since, until], ISO days, and
        from one of `sources`), latest update first."""
        book = self._story_book()
        return list_stories(book, self._open_records(create=False), since=since, until=until, sources=sources)

    def story(self, story_id: str) -> StoryPage:
        """One story: headline, first seen, last update, outlets, articles per day per outlet, timeline. An id a
        story had before it was merged into another still finds it; an unknown one is a `StoryNotFoundError`."""
        records = self._open_records(create=False)
        return story_page(
            self._story_book(),
            records,
            story_id,
            lambda title, articles: _story_events(
                story_timeline(records, articles, self.embeddings.embed_query_array(title))
            ),
        )

    def digest(
        self, since: str | None = None, until: str | None = None, *, arrived_since: str | float | None = None
    ) -> list[DigestStory]:
        """What is new: per story with new articles, the sentences that do not repeat what the reader had before;
        updates (another number or name) carry the earlier quote.

        Either a publication window, `since` a day (``2024-03-01``, ``1.3.2024``) or a duration back from today
        (``3d``, ``2w``, ``36h``) and `until` a day (default: open), or `arrived_since`: what was indexed after
        that time (Unix seconds, ``2024-03-01T12:00``, a day or a duration), whatever day it was published (an
        old article indexed today is new to a reader who looked yesterday)."""
        if arrived_since is not None:
            if since is not None or until is not None:
                raise InvalidInputError("a digest is of a publication window (since/until) or of arrivals, not both")
            after = arrival_start(arrived_since)
            book = self._story_book()
            records = self._open_records(create=False)
            with records.snapshot():
                return arrivals_digest(book, records, after)
        if since is None:
            raise InvalidInputError(
                "a digest needs --since (a day or a duration: 2024-03-01, 3d) or --arrived-since (a time, day or "
                "duration)"
            )
        start = window_start(since)
        end = None
        if until is not None:
            end = parse_typed_day(until)
            if end is None:
                raise InvalidInputError(f"--until takes a day (2024-03-31 or 31.3.2024), not {until!r}")
        book = self._story_book()
        records = self._open_records(create=False)
        with records.snapshot():
            return digest(book, records, start, end)

    def question_digest(
        self, question: str, arrived_after: float | None = None, *, k: int = 10, stories: int = 3
    ) -> list[DigestStory]:
        """What arrived about `question` since Unix time `arrived_after` (None: everything): the stories of its
        `k` best passages (at most `stories`, best first) with articles indexed since then, and of those
        articles the sentences that do not repeat the story's earlier arrivals (a saved question's digest)."""
        question = self._question_text(question)
        book = self._story_book()
        records = self._open_records(create=False)
        with records.snapshot():
            passages = self._retrieve(self._question(question, k, None))[1]
            story_ids: list[str] = []
            for passage in passages:
                story_id = book.story_of(passage.article_id)
                if story_id is not None and story_id not in story_ids:
                    story_ids.append(story_id)
            return arrivals_digest(book, records, arrived_after, story_ids[:stories])

    def compare(self, question: str, *, k: int = 10) -> Comparison:
        """How outlets report what `question` is about: the story most of its passages belong to, its sentences
        aligned across outlets (shared ones once with the other outlets, single-outlet ones marked, differing
        numbers or names side by side), each a verbatim quote with offsets."""
        question = self._question_text(question)
        topic = topic_of(question)
        book = self._story_book()
        records = self._open_records(create=False)
        with records.snapshot():
            passages = self._retrieve(self._question(topic, k, None))[1]
            votes: dict[str, float] = {}
            for rank, passage in enumerate(passages):
                story_id = book.story_of(passage.article_id)
                if story_id is not None:
                    votes[story_id] = votes.get(story_id, 0.0) + 1.0 / (rank + 1)
            if not votes:
                return Comparison(question, None, "", [])
            story_id = max(votes, key=lambda sid: (votes[sid], sid))
            page = story_page(book, records, story_id)
            sentences, vectors = sentences_of(records, page.articles)
        query = self.embeddings.embed_query_array(topic)
        return align(question, story_id, page.summary.title, sentences, vectors, query)

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
        if self._stories is not None:
            self._stories.close()
            self._stories = None


def _story_events(entries: list[TimelineEntry]) -> list[DatedQuote]:
    """A story page's timeline: the days its articles tell of (the timeline stage), each told by one sentence."""
    events = []
    for entry in entries:
        quote = entry.quotes[0]
        events.append(
            DatedQuote(entry.day.iso(), quote.article_id, quote.source, quote.title, quote.text, quote.start, quote.end)
        )
    return events
