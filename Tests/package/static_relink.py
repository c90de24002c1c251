#!/usr/bin/env python3
"""Links the debug build's own objects again into a poolctl with the Swift
runtime, Foundation and Dispatch inside, for `make dist DIST_CONFIG=debug`
(what CI packages and installs).

A second build with --static-swift-stdlib compiled the whole stack again
(8 minutes on 2 cores) only to change how it links. This takes SwiftPM's
own link command for the debug poolctl from its build manifest, so the
objects, libraries and flags stay SwiftPM's, and changes three things:
the output path, no $ORIGIN run path, and -static-stdlib with the archives
that static Foundation needs. Objects compiled against the shared runtime
do not name those archives (objects compiled with -static-stdlib do), hence
the list below; a toolchain that needs more fails here with undefined
symbols, never later.

usage: static_relink.py SCRATCH_PATH OUTPUT   (e.g. .build .build-dist/debug/poolctl)"""
import json
import os
import subprocess
import sys

# What static libFoundation and libFoundationEssentials link against, beyond
# what the objects' own autolink entries name (swift-autolink-extract shows
# both sets: these are the difference).
STATIC_FOUNDATION_ARCHIVES = ["-lCoreFoundation", "-l_FoundationCShims", "-l_FoundationCollections", "-l_FoundationICU"]
LINK_COMMAND = '"C.poolctl-'


def link_arguments(manifest_path):
    """The args of the poolctl executable's link step in llbuild's manifest:
    an entry `  "C.poolctl-<triple>-debug.exe":` whose indented lines
    include `args: [...]` (JSON)."""
    missing = f"static_relink: no link step for the poolctl executable in {manifest_path}; run 'swift build' first"
    try:
        with open(manifest_path) as f:
            lines = f.read().splitlines()
    except OSError as error:
        sys.exit(f"{missing} ({error.strerror})")
    for i, line in enumerate(lines):
        if line.strip().startswith(LINK_COMMAND) and line.strip().endswith('-debug.exe":'):
            indent = len(line) - len(line.lstrip())
            for following in lines[i + 1:]:
                # The entry ends where a line is indented no deeper than its key.
                if len(following) - len(following.lstrip()) <= indent:
                    break
                key, _, value = following.strip().partition(": ")
                if key == "args":
                    return json.loads(value)
    sys.exit(missing)


def static_arguments(args, output):
    out = []
    skip = 0
    named_output = False
    for i, arg in enumerate(args):
        if skip:
            skip -= 1
            continue
        if arg == "-o":
            out += ["-o", output]
            skip = 1
            named_output = True
        elif arg == "-Xlinker" and i + 1 < len(args) and args[i + 1].startswith("-rpath="):
            skip = 1
        else:
            out.append(arg)
    if not named_output:
        sys.exit("static_relink: the link step has no -o: SwiftPM's manifest changed shape")
    return out + ["-static-stdlib"] + STATIC_FOUNDATION_ARCHIVES


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    scratch, output = sys.argv[1], os.path.abspath(sys.argv[2])
    args = static_arguments(link_arguments(os.path.join(scratch, "debug.yaml")), output)
    os.makedirs(os.path.dirname(output), exist_ok=True)
    print("==> linking the debug build's objects with the Swift runtime inside:", output, flush=True)
    subprocess.run(args, check=True)


if __name__ == "__main__":
    main()
