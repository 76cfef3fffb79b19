"""A real MCP client (the official Python SDK, `mcp` on PyPI) driven by tests/it/mcp.rs.

    mcp_client.py http URL PLAN          streamable HTTP to URL (e.g. http://127.0.0.1:PORT/mcp)
    mcp_client.py stdio BINARY DB PLAN   spawns `BINARY mcp --database-url DB`, speaks over stdio

PLAN is a JSON list of tool calls, each {"tool": NAME, "arguments": {...}}. The client
initialises the session, lists the tools, makes every call in order and prints one JSON object:
{"server", "protocolVersion", "tools": [{name, description, inputSchema, annotations}],
"calls": [{"isError", "structured", "text"} or {"rpcError": {"code", "message"}}]}.
The Rust test asserts on it. Exit code 3: the SDK is not installed.
"""

import asyncio
import json
import sys

try:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.exceptions import MCPError
except ImportError as e:  # the test names the install command
    print(f"mcp: {e}", file=sys.stderr)
    sys.exit(3)


async def drive(read, write, plan):
    out = {"calls": []}
    async with ClientSession(read, write) as session:
        init = await session.initialize()
        out["server"] = init.server_info.name
        out["protocolVersion"] = str(init.protocol_version)
        listed = await session.list_tools()
        out["tools"] = [
            {
                "name": t.name,
                "description": t.description,
                "inputSchema": t.input_schema,
                "annotations": t.annotations.model_dump(by_alias=True, exclude_none=True)
                if t.annotations
                else None,
            }
            for t in listed.tools
        ]
        for call in plan:
            try:
                r = await session.call_tool(call["tool"], call.get("arguments") or {})
            except MCPError as e:
                out["calls"].append({"rpcError": {"code": e.code, "message": e.message}})
                continue
            text = "".join(c.text for c in r.content if getattr(c, "type", "") == "text")
            out["calls"].append(
                {"isError": bool(r.is_error), "structured": r.structured_content, "text": text}
            )
    return out


async def main(argv):
    mode = argv[1]
    if mode == "http":
        url, plan = argv[2], json.loads(argv[3])
        async with streamable_http_client(url) as (read, write):
            return await drive(read, write, plan)
    if mode == "stdio":
        binary, db, plan = argv[2], argv[3], json.loads(argv[4])
        params = StdioServerParameters(command=binary, args=["mcp", "--database-url", db])
        async with stdio_client(params) as (read, write):
            return await drive(read, write, plan)
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv)), ensure_ascii=False))
