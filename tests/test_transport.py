"""The transport through the real server process: no input kills it or desynchronises it for good.

Every case writes raw bytes to stdin (or a --tcp socket), checks the answer the spec asks for, and
then checks that the server still answers a well-framed request.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from tests.support.raw_client import WAIT_S, RawClient, ServerProcess, encode, frame, request

SETTINGS_GET = "openrouter/settings/get"


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    process = await ServerProcess.start(tmp_path / "state")
    await process.client.initialize()
    yield process
    await process.stop()


def good(msg_id: object) -> bytes:
    return frame(encode(request(msg_id, SETTINGS_GET, {})))


async def assert_error_then_answer(
    client: RawClient, bad: bytes, code: int, answered_id: object = 2
) -> dict[str, object]:
    """`bad`, then a good request: one error response with `"id": null`, then the answer."""
    await client.write(bad + good(answered_id))
    error = await client.answer(None)
    assert error["error"]["code"] == code, error  # type: ignore[index]
    answer = await client.answer(answered_id)
    assert "result" in answer, answer
    return error


@pytest.mark.parametrize(
    "length",
    [b"1000000000000", b"9223372036854775808", b"9" * 5000, b"-5", b"0x10", b"", b"12abc"],
    ids=["1e12", "2^63", "5000-digits", "negative", "hex", "empty", "trailing-garbage"],
)
async def test_absurd_content_lengths_are_answered_and_skipped(
    server: ServerProcess, length: bytes
) -> None:
    bad = b"Content-Length: " + length + b"\r\n\r\n"
    code = -32600 if length.isdigit() else -32700
    error = await assert_error_then_answer(server.client, bad, code)
    assert server.process.returncode is None
    if length.isdigit():
        assert "OPENROUTER_LSP_MAX_MESSAGE_BYTES" in error["error"]["message"]  # type: ignore[index]


async def test_an_announced_body_over_the_limit_is_discarded_and_its_request_answered(
    tmp_path: Path,
) -> None:
    process = await ServerProcess.start(tmp_path / "state", OPENROUTER_LSP_MAX_MESSAGE_BYTES="4096")
    try:
        client = process.client
        await client.initialize()
        big = request(7, SETTINGS_GET, {"padding": "x" * 100_000})
        await client.write(frame(encode(big)) + good(8))
        error = await client.answer(7)
        assert error["error"]["code"] == -32600
        assert "4,096" in error["error"]["message"] and "100,0" in error["error"]["message"]
        assert "result" in await client.answer(8)
    finally:
        await process.stop()


async def test_a_message_of_several_megabytes_fits_the_default_limit(server: ServerProcess) -> None:
    # A 4M-character chat message must fit: here, 5 MB of params the method ignores.
    answer = await server.client.call(3, SETTINGS_GET, {"padding": "é" * 2_500_000})
    assert "result" in answer, answer


@pytest.mark.parametrize(
    "bad",
    [
        encode(request(1, SETTINGS_GET, {})),  # no header at all
        b"Content-Type: application/vscode-jsonrpc\r\n\r\n{}",  # no Content-Length
        b"Content-Length: 60\r\n\r\n" + encode(request(1, SETTINGS_GET, {})),  # too long
        b"Content-Length: 20\r\n\r\n" + encode(request(1, SETTINGS_GET, {})),  # too short
        b"X-Padding: " + b"a" * 100_000 + b"\r\n",  # one header line of 100 KB
        b"\x00\xff\xfe garbage \r\n\r\n",
    ],
    ids=["no-header", "no-length", "length-too-long", "length-too-short", "long-line", "binary"],
)
async def test_a_bad_frame_is_reported_and_the_next_message_is_answered(
    server: ServerProcess, bad: bytes
) -> None:
    await assert_error_then_answer(server.client, bad, -32700)
    await server.client.assert_alive("again")


async def test_header_names_are_case_insensitive_and_lf_only_lines_are_accepted(
    server: ServerProcess,
) -> None:
    body = encode(request(4, SETTINGS_GET, {}))
    await server.client.write(b"content-length: %d\n\n%s" % (len(body), body))
    assert "result" in await server.client.answer(4)
    await server.client.write(
        b"CONTENT-TYPE: application/vscode-jsonrpc; charset=utf-8\r\n"
        b"CONTENT-LENGTH:%d\r\n\r\n%s" % (len(body), body.replace(b"4", b"5"))
    )
    assert "result" in await server.client.answer(5)


async def test_bytes_trickled_one_at_a_time_still_frame(server: ServerProcess) -> None:
    for byte in good(6) + good(7):
        await server.client.write(bytes([byte]))
    assert "result" in await server.client.answer(6)
    assert "result" in await server.client.answer(7)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", -32700),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "x", "params": NaN}', -32700),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "x", "params": Infinity}', -32700),
        ('{"jsonrpc": "2.0", "id": 1, "method": "\u00e9"}'.encode("latin-1"), -32700),
        (b"[]", -32600),
        (b"[" + encode(request(1, SETTINGS_GET, {})) + b"]", -32600),
        (b"42", -32600),
        (b'{"jsonrpc": "2.0", "id": 1e999, "method": "openrouter/settings/get"}', -32600),
        (b'{"jsonrpc": "2.0", "id": [1], "method": "openrouter/settings/get"}', -32600),
        (b'{"jsonrpc": "2.0", "id": true, "method": "openrouter/settings/get"}', -32600),
        (b"[" * 100_000 + b"]" * 100_000, -32700),
    ],
    ids=[
        "not-json",
        "nan",
        "infinity",
        "latin-1",
        "empty-batch",
        "batch",
        "number",
        "id-1e999",
        "id-array",
        "id-bool",
        "deep",
    ],
)
async def test_invalid_json_and_invalid_requests_get_the_spec_errors(
    server: ServerProcess, body: bytes, code: int
) -> None:
    await assert_error_then_answer(server.client, frame(body), code)  # read as strict JSON


async def test_wrong_jsonrpc_version_is_invalid_request_with_the_id(server: ServerProcess) -> None:
    await server.client.send({"jsonrpc": "1.0", "id": 9, "method": SETTINGS_GET})
    answer = await server.client.answer(9)
    assert answer["error"]["code"] == -32600


async def test_an_integral_float_id_is_answered_as_that_integer(server: ServerProcess) -> None:
    body = b'{"jsonrpc":"2.0","id":12.0,"method":"%s"}' % SETTINGS_GET.encode()
    await server.client.write(frame(body))
    assert "result" in await server.client.answer(12)


async def test_a_nested_object_with_a_jsonrpc_member_is_just_params(server: ServerProcess) -> None:
    # pygls' object hook took any object with `jsonrpc` for a message: this nested `exit`
    # used to swallow the request (never answered) - now it is plain params.
    nested = {"jsonrpc": "2.0", "method": "exit"}
    answer = await server.client.call(10, SETTINGS_GET, {"jsonrpc": "2.0", "x": nested})
    assert "result" in answer, answer
    answer = await server.client.call(
        11, "workspace/executeCommand", {"command": "openrouter.showSettings", "jsonrpc": "2.0"}
    )
    assert "result" in answer or answer["error"]["code"] != -32603, answer
    await server.client.assert_alive()


# -- TCP -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def connect(port: int) -> RawClient:
    for _ in range(200):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**24)
            return RawClient(reader, writer)
        except OSError:
            await asyncio.sleep(0.05)
    raise AssertionError("the TCP server never listened")


@pytest_asyncio.fixture
async def tcp_server(tmp_path: Path) -> AsyncIterator[tuple[asyncio.subprocess.Process, int]]:
    port = free_port()
    home = tmp_path / "state"
    home.mkdir()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "openrouter_lsp",
        "--tcp",
        f"127.0.0.1:{port}",
        env={
            "OPENROUTER_LSP_HOME": str(home),
            "OPENROUTER_LSP_NO_KEYRING": "1",
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": ":".join(sys.path),
        },
    )
    yield process, port
    if process.returncode is None:
        process.kill()
    await process.wait()


async def test_tcp_probes_do_not_stop_the_server_and_a_second_client_is_refused(
    tcp_server: tuple[asyncio.subprocess.Process, int],
) -> None:
    process, port = tcp_server
    for _ in range(3):  # connect-and-close probes, one with garbage
        probe = await connect(port)
        await probe.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        probe.writer.close()
    client = await connect(port)
    await client.initialize()
    second = await connect(port)
    refusal = await second.read_message()
    assert refusal["id"] is None and "one client at a time" in refusal["error"]["message"]
    assert await asyncio.wait_for(second.reader.read(), WAIT_S) == b""  # closed
    # The first client keeps its answers (the second took them over before).
    await client.write(b"X-Long: " + b"a" * 100_000 + b"\r\n" + good(21))
    assert (await client.answer(None))["error"]["code"] == -32700
    assert "result" in await client.answer(21)
    await client.call(22, "shutdown")
    await client.send({"jsonrpc": "2.0", "method": "exit"})
    assert await asyncio.wait_for(process.wait(), WAIT_S) == 0


async def test_tcp_client_that_leaves_after_initialize_ends_the_server(
    tcp_server: tuple[asyncio.subprocess.Process, int],
) -> None:
    process, port = tcp_server
    client = await connect(port)
    await client.initialize()
    client.writer.close()
    assert await asyncio.wait_for(process.wait(), WAIT_S) == 1  # no shutdown was sent



def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
async def test_a_body_over_the_limit_streams_through_without_being_buffered(
    tmp_path: Path,
) -> None:
    limit = 1024 * 1024
    process = await ServerProcess.start(
        tmp_path / "state", OPENROUTER_LSP_MAX_MESSAGE_BYTES=str(limit)
    )
    try:
        client = process.client
        await client.initialize()
        before = peak_rss_mb(process.process.pid)
        size = 200 * 1024 * 1024
        head = b'{"jsonrpc":"2.0","id":31,"method":"openrouter/settings/get","params":{"p":"'
        await client.write(b"Content-Length: %d\r\n\r\n%s" % (size, head))
        chunk = b"a" * (1024 * 1024)
        sent = len(head)
        while sent + len(chunk) < size - 3:
            await client.write(chunk)
            sent += len(chunk)
        await client.write(b"a" * (size - 3 - sent) + b'"}}' + good(32))
        assert (await client.answer(31))["error"]["code"] == -32600
        assert "result" in await client.answer(32)
        grown = peak_rss_mb(process.process.pid) - before
        assert grown < 50, f"the peak RSS grew by {grown:.0f} MB for a 200 MB message"
    finally:
        await process.stop()


async def test_tcp_a_probe_never_takes_the_place_of_a_connected_client(
    tcp_server: tuple[asyncio.subprocess.Process, int],
) -> None:
    process, port = tcp_server
    client = await connect(port)  # connected, not yet initialized
    await client.write(b"\r\n")  # the server has accepted it once it reads this
    probe = await connect(port)
    await probe.write(b"\x16\x03\x01 TLS hello?")
    probe.writer.close()
    await asyncio.sleep(0.2)  # give the probe's connection time to reach the server (ordering only)
    await client.initialize()
    await client.assert_alive()
    assert process.returncode is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
async def test_the_stdio_pipes_are_widened_to_a_mebibyte(server: ServerProcess) -> None:
    """A 400,000-character prompt crosses stdin in one write, not seven 64 KiB ones."""
    import fcntl

    from openrouter_lsp.lsp.transport import PIPE_BYTES

    assert server.process.stdin is not None
    stdin = server.process.stdin.transport.get_extra_info("pipe")
    assert fcntl.fcntl(stdin.fileno(), fcntl.F_GETPIPE_SZ) == PIPE_BYTES
    # The server's stdout, reached through /proc (only its size is read, never its bytes).
    stdout = os.open(f"/proc/{server.process.pid}/fd/1", os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert fcntl.fcntl(stdout, fcntl.F_GETPIPE_SZ) == PIPE_BYTES
    finally:
        os.close(stdout)
    answer = await server.client.call(9, SETTINGS_GET, {"padding": "x" * 400_000})
    assert "result" in answer, answer  # the frame bigger than the old pipe was read whole
