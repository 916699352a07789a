"""The one place where the core's errors become JSON-RPC errors.

`InvalidInput` -> -32602 with `data.errors = [{"path", "message"}]`; `UpstreamError` -> -32001 with
`data` = the `UpstreamErrorData` (camelCase, absent fields omitted); `HistoryUnavailable` -> -32603
with `data = {"kind": "history", "message"}`; anything unexpected -> -32603
naming only the operation and the exception's class (a traceback could carry request data).
"""

from __future__ import annotations

import logging
from typing import Any

from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcServerError,
)

from .. import wire
from ..errors import HistoryUnavailable, InvalidInput, UpstreamError
from ..protocol import UPSTREAM_ERROR_CODE

log = logging.getLogger(__name__)


def to_jsonrpc(exc: BaseException, operation: str) -> JsonRpcException:
    if isinstance(exc, JsonRpcException):
        return exc
    if isinstance(exc, InvalidInput):
        return JsonRpcInvalidParams(
            message=exc.message,
            data={"errors": [{"path": e.path, "message": e.message} for e in exc.errors]},
        )
    if isinstance(exc, UpstreamError):
        data: dict[str, Any] = {
            k: v for k, v in wire.unstructure(exc.detail).items() if v is not None
        }
        return JsonRpcServerError(  # type: ignore[no-untyped-call]
            message=exc.message, code=UPSTREAM_ERROR_CODE, data=data
        )
    if isinstance(exc, HistoryUnavailable):
        return JsonRpcInternalError(
            message=exc.message, data={"kind": "history", "message": exc.message}
        )
    log.error("Unexpected failure in %s", operation, exc_info=exc)
    return JsonRpcInternalError(
        message=f"Internal error in {operation} ({type(exc).__name__}); see the server log."
    )
