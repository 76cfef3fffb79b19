"""A third-party client reads the live schema: graphql-core (PyPI) builds its standard
introspection query, sends it to the server over HTTP, builds a client schema from the answer
and compares it with the committed SDL.

Usage: introspect.py URL SCHEMA_FILE
Exit codes: 0 same schema, 1 the schemas differ (a unified diff is printed), 2 the request or
the introspection failed, 3 graphql-core is missing.

Normalisation, and why: both sides are sorted by name (`lexicographic_sort_schema`), because
an SDL's type and field order is the printer's choice and introspection reports the server's
registration order; both sides are printed by graphql-core's `print_schema`, so the
formatting of descriptions (block strings, indentation) is the same printer's. Nothing else is
normalised: a missing type, field, argument, default value, description, deprecation or
directive shows as a difference.
"""

import difflib
import json
import sys
import urllib.request

try:
    import graphql
    from graphql import (
        build_client_schema,
        build_schema,
        get_introspection_query,
        lexicographic_sort_schema,
        print_schema,
    )
except ImportError as e:
    print(f"graphql-core is not installed: {e}", file=sys.stderr)
    sys.exit(3)


def main() -> int:
    url, schema_file = sys.argv[1], sys.argv[2]
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        input_value_deprecation=True,
    )
    body = json.dumps({"query": query, "operationName": "IntrospectionQuery"}).encode()
    req = urllib.request.Request(
        url, data=body, headers={"content-type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            answer = json.load(resp)
    except Exception as e:  # the test prints what went wrong, whatever it is
        print(f"introspection request failed: {e}", file=sys.stderr)
        return 2
    if answer.get("errors") or not answer.get("data"):
        print(f"introspection refused: {json.dumps(answer)[:2000]}", file=sys.stderr)
        return 2
    try:
        client = build_client_schema(answer["data"])
    except Exception as e:
        print(f"graphql-core cannot build a client schema: {e}", file=sys.stderr)
        return 2
    with open(schema_file, encoding="utf-8") as f:
        committed = build_schema(f.read())
    live = print_schema(lexicographic_sort_schema(client))
    want = print_schema(lexicographic_sort_schema(committed))
    types = len(client.type_map)
    if live != want:
        diff = difflib.unified_diff(
            want.splitlines(), live.splitlines(), "schema.graphql", "introspection", lineterm=""
        )
        print("\n".join(diff))
        return 1
    print(f"graphql-core {graphql.__version__}: {types} types, same schema")
    return 0


if __name__ == "__main__":
    sys.exit(main())
