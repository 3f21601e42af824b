"""Latency through each way in for programs against the chat's own `/ask`, on one server and one index, in one run.

One `assistant serve --auth` process (a login and an API key, as on a network) over the bundled seeds plus
`--distractors` 10kGNAD articles (../shared/data/10kgnad/test.csv, when present), built once here unless
--index-dir is given. The same questions go, round-robin (so load and noise hit every route alike), through:
gradio_client's `/ask` (the baseline), `POST /api/ask`, `POST /v1/chat/completions` with the `openai` client
(plain and streamed: time to the last chunk), and the `ask` tool over MCP (streamable HTTP, `mcp` client, one
session per question as a stateless client would). Prints the median and 90th percentile per route and the
ratio of medians to `/ask`.
Run: python bench/bench_routes.py [--rounds 6] [--distractors 300] [--index-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.ports import free_port  # noqa: E402  (after the repo is on the path)

GNAD = REPO.parent / "shared" / "data" / "10kgnad" / "test.csv"
QUESTIONS = [
    "Wer sollte die Gespräche vermitteln?",
    "Worüber verhandeln Russland und die Ukraine?",
    "What did Zelensky say about the attacks on energy facilities?",
    "Was sagte der Trainer nach dem Spiel?",
    "Wie entwickelte sich die Arbeitslosigkeit in Österreich?",
]
NAME, PASSWORD = "bench", "bench passwort lang"


def build_index(index_dir: Path, distractors: int) -> None:
    from assistant import Assistant, Settings
    from assistant.evaluation import read_10kgnad_csv

    assistant = Assistant(Settings(index_dir=index_dir))
    items: list[object] = [REPO / "seeds"]
    if distractors and GNAD.exists():
        items += read_10kgnad_csv(GNAD)[:distractors]
    try:
        assistant.index(items)  # type: ignore[arg-type]
    finally:
        assistant.close()


def start_server(index_dir: Path) -> tuple[subprocess.Popen[str], str, str]:
    from assistant.serve.api_keys import ApiKeys
    from assistant.serve.users import Users

    Users(index_dir / "users.json").add(NAME, PASSWORD)
    key = ApiKeys(index_dir / "keys.json").add("bench")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "assistant.cli", "serve", "--auth", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--index-dir", str(index_dir)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=env, cwd=REPO,
    )  # fmt: skip
    assert server.stdout is not None
    url = f"http://127.0.0.1:{port}"
    if url not in server.stdout.readline():
        raise RuntimeError("the server did not start")
    return server, url, key


def routes(url: str, key: str) -> dict[str, Callable[[str], None]]:
    import httpx
    from gradio_client import Client
    from openai import OpenAI

    gradio = Client(url, auth=(NAME, PASSWORD), verbose=False)
    http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=300)
    openai = OpenAI(base_url=url + "/v1", api_key=key)

    def gradio_ask(question: str) -> None:
        assert "quotes" in gradio.predict(question, api_name="/ask")

    def api_ask(question: str) -> None:
        reply = http.post("/api/ask", json={"question": question})
        assert reply.status_code == 200, reply.text

    def openai_plain(question: str) -> None:
        completion = openai.chat.completions.create(
            model="nachrichten-assistent", messages=[{"role": "user", "content": question}]
        )
        assert completion.choices[0].message.content

    def openai_stream(question: str) -> None:
        stream = openai.chat.completions.create(
            model="nachrichten-assistent", messages=[{"role": "user", "content": question}], stream=True
        )
        assert "".join(chunk.choices[0].delta.content or "" for chunk in stream)

    def mcp_ask(question: str) -> None:
        asyncio.run(_mcp_ask(url, key, question))

    return {
        "gradio /ask (baseline)": gradio_ask,
        "POST /api/ask": api_ask,
        "/v1/chat/completions": openai_plain,
        "/v1/chat/completions stream": openai_stream,
        "MCP ask (HTTP)": mcp_ask,
    }


async def _mcp_ask(url: str, key: str, question: str) -> None:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=300)
    async with http, Client(streamable_http_client(url + "/mcp", http_client=http)) as client:
        result = await client.call_tool("ask", {"question": question})
        assert not result.is_error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6, help="times each question goes through each route")
    parser.add_argument("--distractors", type=int, default=300, help="10kGNAD articles beside the seeds")
    parser.add_argument("--index-dir", type=Path, help="an index to copy and serve (default: built here)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-routes-"))
    try:
        index_dir = work / "index"
        if args.index_dir:
            shutil.copytree(args.index_dir, index_dir)
        else:
            started = time.perf_counter()
            build_index(index_dir, args.distractors)
            print(f"index built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        server, url, key = start_server(index_dir)
        try:
            ways = routes(url, key)
            for way in ways.values():  # one warm-up each: connections, first-call imports
                way(QUESTIONS[0])
            seconds: dict[str, list[float]] = {name: [] for name in ways}
            for _ in range(args.rounds):
                for question in QUESTIONS:
                    for name, way in ways.items():
                        started = time.perf_counter()
                        way(question)
                        seconds[name].append(time.perf_counter() - started)
        finally:
            server.terminate()
            server.wait(timeout=30)
        report(seconds, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(seconds: dict[str, list[float]], args: argparse.Namespace) -> None:
    from assistant import Settings

    baseline = statistics.median(next(iter(seconds.values())))
    count = len(next(iter(seconds.values())))
    print(f"{count} questions per route ({args.rounds} rounds x {len(QUESTIONS)}), seeds + {args.distractors} "
          f"10kGNAD articles, model {Settings().embedding_model}")  # fmt: skip
    print(f"{'route':32} {'median ms':>10} {'p90 ms':>8} {'vs /ask':>8}")
    for name, values in seconds.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]
        print(f"{name:32} {median * 1000:10.0f} {p90 * 1000:8.0f} {median / baseline:8.2f}")


if __name__ == "__main__":
    main()
