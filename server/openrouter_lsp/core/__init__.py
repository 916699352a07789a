"""The core: every operation of the server as plain Python, no pygls or lsprotocol types in or out.

Custom methods, `workspace/executeCommand` commands, code actions and editor configuration (in
`features/`) are thin adapters over `core.service.Core`; each rule (settings layers, model ids,
key checks, limits) is decided here once.
"""
