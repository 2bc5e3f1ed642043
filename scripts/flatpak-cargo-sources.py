#!/usr/bin/env python3
"""Writes flatpak/cargo-sources.json from Cargo.lock, so the Flatpak builds with no network.

Every crates.io package of the lock becomes an archive source unpacked where Cargo's
directory source expects it (cargo/vendor/NAME-VERSION, with a .cargo-checksum.json), and
one cargo/config.toml points crates-io at that directory. The manifest sets CARGO_HOME to
the module's cargo/ directory, so Cargo reads that config.toml.

    scripts/flatpak-cargo-sources.py            # rewrite flatpak/cargo-sources.json
    scripts/flatpak-cargo-sources.py --check    # exit 1 if the committed file is stale

Python 3.11 standard library only.
"""

import argparse
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"
VENDOR = "cargo/vendor"

# Cargo resolves a relative path in a config file against the parent of the directory that
# holds the file: for /run/build/reelcast/cargo/config.toml that is /run/build/reelcast.
CONFIG_TOML = f"""\
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "{VENDOR}"
"""


def registry_packages(lock: dict) -> list[tuple[str, str, str]]:
    """(name, version, checksum) of every crates.io package, in the lock's order."""
    out = []
    for pkg in lock.get("package", []):
        source = pkg.get("source")
        if source is None:
            continue  # a workspace member or path dependency: it is in the source tree
        if source != CRATES_IO:
            # A git or other registry source would need the network at build time.
            raise SystemExit(f"{pkg['name']} {pkg['version']}: unsupported source {source}")
        checksum = pkg.get("checksum")
        if not checksum:
            raise SystemExit(f"{pkg['name']} {pkg['version']}: no checksum in Cargo.lock")
        out.append((pkg["name"], pkg["version"], checksum))
    return out


def sources(lock: dict) -> list[dict]:
    out = []
    for name, version, checksum in registry_packages(lock):
        dest = f"{VENDOR}/{name}-{version}"
        out.append(
            {
                "type": "archive",
                # .crate is a gzipped tar, which flatpak-builder cannot tell from the name.
                "archive-type": "tar-gzip",
                "url": f"https://static.crates.io/crates/{name}/{name}-{version}.crate",
                "sha256": checksum,
                "dest": dest,
            }
        )
        out.append(
            {
                "type": "inline",
                # Cargo's directory source checks "package" against Cargo.lock; an empty
                # "files" skips the per-file hashes (the archive's sha256 covers them).
                "contents": json.dumps({"package": checksum, "files": {}}),
                "dest": dest,
                "dest-filename": ".cargo-checksum.json",
            }
        )
    out.append(
        {
            "type": "inline",
            "contents": CONFIG_TOML,
            "dest": "cargo",
            "dest-filename": "config.toml",
        }
    )
    return out


def render(lock_path: Path) -> str:
    with lock_path.open("rb") as f:
        lock = tomllib.load(f)
    return json.dumps(sources(lock), indent=4) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "Cargo.lock")
    parser.add_argument("--out", type=Path, default=ROOT / "flatpak" / "cargo-sources.json")
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if --out differs from what would be written",
    )
    args = parser.parse_args()

    text = render(args.lock)
    if args.check:
        current = args.out.read_text() if args.out.exists() else None
        if current != text:
            print(
                f"{args.out} does not match {args.lock}: run scripts/flatpak-cargo-sources.py",
                file=sys.stderr,
            )
            return 1
        return 0
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
