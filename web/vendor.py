#!/usr/bin/env python3
"""Refreshes web/vendor/ from the npm registry.

For every package pinned in web/vendor.json: `npm pack NAME@VERSION` into a temporary folder,
check the tarball's sha256 against the recorded one (a mismatch stops everything, nothing is
written), then copy only the listed files into web/vendor/NAME-VERSION/ and write
web/vendor/SHA256SUMS (the checksum of every vendored file; a Rust test checks the embedded
assets against it). Folders of versions no longer pinned are removed.

A package with a "bundle" entry is also built: its pinned dependencies and esbuild are
installed with `npm install --ignore-scripts` into a temporary folder, the entry module (under
web/build/) is bundled and minified, and the output's sha256 is checked against the recorded
one, so a rebuild from the same pins gives the same bytes or stops.

Usage:
  python3 web/vendor.py            # fetch, verify, copy
  python3 web/vendor.py --pin      # after changing a version: record the new tarball checksums
                                   # (review the diff of vendor.json before committing)

Needs Python 3 and npm; the Rust build never runs this (the vendored files are committed).
"""

import hashlib
import json
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile

WEB = pathlib.Path(__file__).resolve().parent
MANIFEST = WEB / "vendor.json"
VENDOR = WEB / "vendor"


def sha256(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def pack(name: str, version: str, into: pathlib.Path) -> pathlib.Path:
    out = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    )
    # npm prints the tarball's file name as the last line.
    return into / out.stdout.strip().splitlines()[-1]


def build(pkg: dict, into: pathlib.Path, dest: pathlib.Path, pin: bool, problems: list) -> None:
    """Bundles pkg's entry module with esbuild into dest (see the module doc)."""
    spec = pkg["bundle"]
    name, version = pkg["name"], pkg["version"]
    work = into / f"build-{name}"
    work.mkdir()
    pins = {name: version, "esbuild": spec["esbuild"], **spec["dependencies"]}
    (work / "package.json").write_text(
        json.dumps({"name": "edustats-vendor-build", "private": True, "dependencies": pins}),
        encoding="utf-8",
    )
    subprocess.run(
        ["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"],
        cwd=work,
        check=True,
    )
    # npm resolves the package's own dependency ranges too: what was installed must be what
    # is pinned, or the bundle would silently change.
    for dep, want in pins.items():
        got = json.loads((work / "node_modules" / dep / "package.json").read_text(encoding="utf-8"))
        if got["version"] != want:
            problems.append(f"{name}@{version} bundle: {dep} installed at {got['version']}, pinned {want}")
            return
    entry = work / "entry.js"
    shutil.copyfile(WEB.parent / spec["entry"], entry)
    out = dest / spec["output"]
    subprocess.run(
        [
            str(work / "node_modules" / ".bin" / "esbuild"),
            str(entry),
            "--bundle",
            "--minify",
            "--format=iife",
            "--target=es2017",
            # The licences are vendored beside the bundle instead (see "files").
            "--legal-comments=none",
            f"--outfile={out}",
            "--log-level=warning",
        ],
        cwd=work,
        check=True,
    )
    digest = sha256(out)
    if pin:
        spec["output_sha256"] = digest
    elif digest != spec.get("output_sha256"):
        problems.append(
            f"{name}@{version} bundle: output sha256 {digest}, vendor.json records "
            f"{spec.get('output_sha256')}"
        )
    print(f"{name}@{version}: bundled {spec['entry']} -> {spec['output']} ({out.stat().st_size} bytes)")


def main() -> int:
    pin = "--pin" in sys.argv[1:]
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        staged = tmp / "vendor"
        staged.mkdir()
        for pkg in manifest["packages"]:
            name, version = pkg["name"], pkg["version"]
            tarball = pack(name, version, tmp)
            digest = sha256(tarball)
            if pin:
                pkg["tarball_sha256"] = digest
            elif digest != pkg.get("tarball_sha256"):
                problems.append(
                    f"{name}@{version}: tarball sha256 {digest}, vendor.json records "
                    f"{pkg.get('tarball_sha256')}"
                )
                continue
            dest = staged / f"{name}-{version}"
            dest.mkdir()
            with tarfile.open(tarball, "r:gz") as tar:
                members = {m.name: m for m in tar.getmembers()}
                for inner, outer in pkg["files"].items():
                    member = members.get(f"package/{inner}")
                    if member is None or not member.isfile():
                        problems.append(f"{name}@{version}: no file {inner} in the tarball")
                        continue
                    src = tar.extractfile(member)
                    assert src is not None
                    (dest / outer).write_bytes(src.read())
            if "bundle" in pkg:
                build(pkg, tmp, dest, pin, problems)
            print(f"{name}@{version}: sha256 ok, {len(pkg['files'])} files")
        if problems:
            for p in problems:
                print("error:", p, file=sys.stderr)
            print("nothing written", file=sys.stderr)
            return 1
        sums = []
        for f in sorted(p for p in staged.rglob("*") if p.is_file()):
            sums.append(f"{sha256(f)}  {f.relative_to(staged).as_posix()}\n")
        (staged / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")
        if VENDOR.exists():
            shutil.rmtree(VENDOR)
        shutil.copytree(staged, VENDOR)
    if pin:
        MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print("recorded new tarball checksums in web/vendor.json")
    print(f"wrote {VENDOR.relative_to(WEB.parent)}/ and its SHA256SUMS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
