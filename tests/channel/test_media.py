"""Media download tests: size limit, MIME allow-list, SHA-256 file names, URL expiry."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from lalisa_common.whatsapp.payload import MediaRef
from lalisa_rasa.channels.media import MediaDownloader, MediaRefused, StoredMedia
from tests.channel.conftest import FakeGraphServer, fast_graph_client, settings_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000


@pytest_asyncio.fixture
async def downloader(graph: FakeGraphServer, tmp_path: Path) -> Any:
    settings = settings_for(graph.url, "sqlite://", tmp_path / "media")
    client = fast_graph_client(settings)
    yield MediaDownloader(
        client, settings.media_dir, size_limits={"image": 1_000_000, "video": 16 * 1024 * 1024}
    )
    await client.close()


async def test_stores_file_named_by_sha256(
    downloader: MediaDownloader, graph: FakeGraphServer
) -> None:
    item = graph.state.add_media(PNG, "image/png")
    outcome = await downloader.fetch(MediaRef(item.media_id, "image", "image/png", item.sha256))
    assert isinstance(outcome, StoredMedia)
    digest = hashlib.sha256(PNG).hexdigest()
    assert outcome.sha256 == digest and outcome.size_bytes == len(PNG)
    assert Path(outcome.path) == downloader.media_dir / f"{digest}.png"
    assert Path(outcome.path).read_bytes() == PNG
    again = await downloader.fetch(MediaRef(item.media_id, "image", "image/png"))
    assert isinstance(again, StoredMedia) and again.path == outcome.path
    assert len(list(downloader.media_dir.iterdir())) == 1  # no temp files left behind
    lookups = graph.sent("media_info")
    assert lookups[0]["query"] == {"phone_number_id": "106540352242922"}


async def test_size_limit_from_lookup(downloader: MediaDownloader, graph: FakeGraphServer) -> None:
    item = graph.state.add_media(b"\x00" * 1_000_001, "image/jpeg")
    outcome = await downloader.fetch(MediaRef(item.media_id, "image", "image/jpeg"))
    assert isinstance(outcome, MediaRefused) and outcome.reason == "media_too_large"
    assert graph.sent("download") == []


async def test_size_limit_enforced_while_streaming(
    downloader: MediaDownloader, graph: FakeGraphServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = graph.state.add_media(b"\x00" * 1_500_000, "image/jpeg")
    original = downloader.graph.media_info

    async def lying_lookup(media_id: str) -> Any:  # a lookup that under-reports the size
        result = await original(media_id)
        result.data["file_size"] = "10"
        return result

    monkeypatch.setattr(downloader.graph, "media_info", lying_lookup)
    outcome = await downloader.fetch(MediaRef(item.media_id, "image", "image/jpeg"))
    assert isinstance(outcome, MediaRefused) and outcome.reason == "media_too_large"
    assert not downloader.media_dir.exists() or not any(downloader.media_dir.iterdir())


async def test_mime_allow_list(downloader: MediaDownloader, graph: FakeGraphServer) -> None:
    exe = graph.state.add_media(b"MZ" + b"\x00" * 100, "application/x-msdownload")
    refused = await downloader.fetch(MediaRef(exe.media_id, "document", "application/x-msdownload"))
    assert isinstance(refused, MediaRefused) and refused.reason == "media_type_not_allowed"
    assert graph.sent("media_info") == []  # refused on the announced type, nothing fetched
    sneaky = graph.state.add_media(b"<html>", "text/html")
    refused = await downloader.fetch(MediaRef(sneaky.media_id, "document", None))
    assert isinstance(refused, MediaRefused) and refused.reason == "media_type_not_allowed"


async def test_failures_become_a_refusal_not_an_exception(
    downloader: MediaDownloader, graph: FakeGraphServer
) -> None:
    missing = await downloader.fetch(MediaRef("404404", "image", "image/jpeg"))
    assert isinstance(missing, MediaRefused) and missing.reason == "media_failed"
    item = graph.state.add_media(PNG, "image/png")
    await graph.fail(status=500, path="download", count=1)
    failed = await downloader.fetch(MediaRef(item.media_id, "image", "image/png"))
    assert isinstance(failed, MediaRefused) and failed.reason == "media_failed"


async def test_expired_url_is_resolved_again(
    downloader: MediaDownloader, graph: FakeGraphServer
) -> None:
    item = graph.state.add_media(PNG, "image/png")
    await graph.fail(status=404, path="download", count=1)
    outcome = await downloader.fetch(MediaRef(item.media_id, "image", "image/png"))
    assert isinstance(outcome, StoredMedia)
    assert len(graph.sent("media_info")) == 2


async def test_lookup_retries_transient_errors(
    downloader: MediaDownloader, graph: FakeGraphServer
) -> None:
    item = graph.state.add_media(PNG, "image/png")
    await graph.fail(status=503, path="media", count=1)
    outcome = await downloader.fetch(MediaRef(item.media_id, "image", "image/png"))
    assert isinstance(outcome, StoredMedia)
