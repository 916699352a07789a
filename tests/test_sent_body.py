"""`SentOnce`: the chat's request body, handed to httpx so that it is let go of once sent."""

from __future__ import annotations

from openrouter_lsp.openrouter.sent_body import SentOnce


async def test_the_content_is_sent_once_and_then_not_held() -> None:
    content = b'{"messages":[]}' * 10
    body = SentOnce(content)
    assert body.headers == {"Content-Length": str(len(content))}
    assert [chunk async for chunk in body] == [content]
    # httpx's response keeps the request (and this object) until the cyclic GC: nothing big here.
    assert all(value is not content for value in vars(body).values())
    assert [chunk async for chunk in body] == []


async def test_an_empty_body_sends_no_chunk() -> None:
    body = SentOnce(b"")
    assert body.headers == {"Content-Length": "0"}
    assert [chunk async for chunk in body] == []
