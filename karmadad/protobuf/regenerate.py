"""Regenerates the protobuf tables karmadad speaks Kubernetes' wire format with.

    python -m karmadad.protobuf.regenerate        (needs Go, the Go module proxy and grpcio-tools:
                                                   ``pip install -e '.[protobuf-tables]'``)

Two files come out, both committed, both facts about the Kubernetes release the test bed pins
(``K8S_VERSION`` in ``tests/kube/versions.env``):

- ``kubernetes.binpb``: a ``FileDescriptorSet`` compiled by ``protoc`` from the ``generated.proto`` files of
  the ``k8s.io/api`` and ``k8s.io/apimachinery`` modules of that release (names, numbers and types only:
  no comments).
- ``kubernetes-json.json``: what the ``.proto`` files cannot say about the JSON form of the same objects,
  read from the Go types by reflection (``gofacts/main.go``): each field's JSON name, its Go shape
  (pointer, slice, map, struct, ...), ``omitempty``/``omitzero`` and embedded inline structs; and which
  message each ``apiVersion``/``kind`` is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERSIONS = HERE.parent.parent / "tests" / "kube" / "versions.env"
DESCRIPTORS = HERE / "kubernetes.binpb"
JSON_FACTS = HERE / "kubernetes-json.json"
MODULES = ("k8s.io/api", "k8s.io/apimachinery")


def pinned_kubernetes() -> str:
    for line in VERSIONS.read_text().splitlines():
        if line.startswith("K8S_VERSION="):
            return line.split("=", 1)[1].strip()
    raise SystemExit(f"no K8S_VERSION in {VERSIONS}")


def staging_version(kubernetes: str) -> str:
    """k8s.io/api and friends are tagged v0.<minor>.<patch> for Kubernetes v1.<minor>.<patch>."""
    _, minor, patch = kubernetes.lstrip("v").split(".")
    return f"v0.{minor}.{patch}"


def _go_env() -> dict[str, str]:
    return {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": os.environ.get("GOTOOLCHAIN", "local")}


def module_dirs(version: str) -> dict[str, Path]:
    """Downloads (or finds in the module cache) each module and returns where its files are."""
    found = {}
    for module in MODULES:
        out = subprocess.run(
            ["go", "mod", "download", "-json", f"{module}@{version}"],
            check=True, capture_output=True, text=True, env=_go_env(),
        ).stdout  # fmt: skip
        found[module] = Path(json.loads(out)["Dir"])
    return found


def compile_descriptors(dirs: dict[str, Path], work: Path) -> bytes:
    root = work / "include"
    for module, directory in dirs.items():
        link = root / module
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(directory)
    protos = sorted(
        str(path.relative_to(root))
        for module in dirs
        for path in (root / module).rglob("generated.proto")
        if "testapigroup" not in path.parts
    )
    out = work / "kubernetes.binpb"
    compiled = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{root}", f"--descriptor_set_out={out}",
         "--include_imports", *protos],
        capture_output=True, text=True,
    )  # fmt: skip
    if compiled.returncode != 0:  # unused-import warnings are normal; errors are not
        raise SystemExit(f"protoc failed:\n{compiled.stderr}")
    return out.read_bytes()


def json_facts(version: str, work: Path) -> dict:
    module = work / "gofacts"
    module.mkdir()
    shutil.copy(HERE / "gofacts" / "main.go", module / "main.go")
    (module / "go.mod").write_text("module karmadad.local/gofacts\n\ngo 1.26.0\n")
    env = _go_env()
    pins = [f"{name}@{version}" for name in ("k8s.io/client-go", *MODULES)]
    subprocess.run(["go", "get", *pins], cwd=module, check=True, env=env, capture_output=True)
    out = subprocess.run(["go", "run", "."], cwd=module, check=True, env=env, capture_output=True, text=True)
    return json.loads(out.stdout)


def only_messages(facts: dict, descriptors: bytes) -> dict:
    """The facts about Go types that are protobuf messages (some, like meta/v1 InternalEvent, are not)."""
    from google.protobuf import descriptor_pb2

    known = {
        f"{file.package}.{message.name}"
        for file in descriptor_pb2.FileDescriptorSet.FromString(descriptors).file
        for message in file.message_type
    }
    return {
        "messages": {name: m for name, m in facts["messages"].items() if name in known},
        "kinds": {kind: name for kind, name in facts["kinds"].items() if name in known},
    }


def render_facts(kubernetes: str, facts: dict) -> str:
    """One message per line: reviewable diffs when the pinned release moves.

    A field is ``[number, json name, shape, flags]``; flags: ``e`` omitempty, ``z`` omitzero, ``i`` inline.
    """
    lines = ["{", f' "kubernetes": {json.dumps(kubernetes)},', ' "kinds": {']
    kinds = sorted(facts["kinds"].items())
    lines += [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in kinds]
    lines[-1] = lines[-1].rstrip(",")
    lines += [" },", ' "customJSON": ' + json.dumps(sorted(
        name for name, message in facts["messages"].items() if message.get("customJSON")
    )) + ",", ' "messages": {']  # fmt: skip
    for name, message in sorted(facts["messages"].items()):
        fields = [
            [
                f["number"],
                f["json"],
                f["shape"],
                "".join(flag for flag, key in (("e", "omitempty"), ("z", "omitzero"), ("i", "inline"))
                        if f.get(key)),
            ]
            for f in message["fields"]
        ]  # fmt: skip
        lines.append(f"  {json.dumps(name)}: {json.dumps(fields, separators=(',', ':'))},")
    lines[-1] = lines[-1].rstrip(",")
    lines += [" }", "}", ""]
    return "\n".join(lines)


def main() -> None:
    kubernetes = pinned_kubernetes()
    version = staging_version(kubernetes)
    with tempfile.TemporaryDirectory(prefix="karmadad-protobuf-") as tmp:
        work = Path(tmp)
        descriptors = compile_descriptors(module_dirs(version), work)
        facts = only_messages(json_facts(version, work), descriptors)
    DESCRIPTORS.write_bytes(descriptors)
    JSON_FACTS.write_text(render_facts(kubernetes, facts))
    print(f"wrote {DESCRIPTORS.name} ({len(descriptors)} bytes) and {JSON_FACTS.name} for {kubernetes}",
          file=sys.stderr)  # fmt: skip


if __name__ == "__main__":
    main()
