#!/usr/bin/env bash
# Build the real Kubernetes control plane used by the test member clusters:
# kube-apiserver, kube-controller-manager, kube-scheduler and kubectl (k8s.io/kubernetes),
# etcd and kwok, all from Go modules; and the clients the tests drive besides: the previous
# supported kubectl (k8s.io/kubectl's command) and karmadactl (Karmada's module). Each part lands in its own cache folder keyed by
# version, outside the repository, and is reused when already there.
#
#   KARMADAD_KUBE_CACHE   cache root (default: ${XDG_CACHE_HOME:-~/.cache}/karmadad/kube)
#   K8S_VERSION, ETCD_VERSION, KWOK_VERSION, OLD_KUBECTL_VERSION, KARMADA_VERSION
#                                             override the pins in versions.env
#
# Prints the directory of each part's binaries on stdout, one per line; progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
pins=$(grep -E '^[A-Z0-9_]+=' "$here/versions.env")
while IFS='=' read -r key value; do
  [ -n "${!key:-}" ] || printf -v "$key" '%s' "$value"
done <<<"$pins"
CACHE=${KARMADAD_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/karmadad/kube}
mkdir -p "$CACHE"
command -v go >/dev/null || { echo "build-binaries: 'go' not found; Go >= 1.26 is needed to build the test clusters" >&2; exit 3; }
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-local}

# One build at a time per cache: parallel test runs wait for each other instead of racing.
exec 9>"$CACHE/.lock"
flock 9

log() { echo "build-binaries: $*" >&2; }

build_kubernetes() {
  local out=$CACHE/kubernetes-$K8S_VERSION bins="kube-apiserver kube-controller-manager kube-scheduler kubectl"
  if [ -x "$out/bin/kubectl" ]; then echo "$out/bin"; return; fi
  log "building Kubernetes $K8S_VERSION (cold: tens of minutes on 2 cores)"
  local src=$out/src minor patch staging gomod
  minor=$(cut -d. -f2 <<<"$K8S_VERSION"); patch=$(cut -d. -f3 <<<"$K8S_VERSION")
  staging=v0.$minor.$patch   # the staging modules (k8s.io/api, ...) are tagged v0.<minor>.<patch>
  rm -rf "$src" && mkdir -p "$src" && cd "$src"
  printf 'module karmadad.test/kubebins\n\ngo 1.26.0\n' > go.mod
  # k8s.io/kubernetes requires its staging modules as v0.0.0 with local replaces; point them at
  # the published versions instead, and keep its godebug defaults.
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  grep '^godebug ' "$gomod" >> go.mod || true
  for m in $(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$gomod" | sort -u); do
    go mod edit -replace="$m=$m@$staging"
  done
  local pkgs=() b
  for b in $bins; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  go get -tool "${pkgs[@]/%/@$K8S_VERSION}"
  local ldf="-s -w" p date
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  mkdir -p "$out/tmp"
  go build -trimpath -ldflags "$ldf" -o "$out/tmp/" "${pkgs[@]}"
  mv "$out/tmp" "$out/bin"   # appears whole or not at all
  echo "$out/bin"
}

build_etcd() {
  local out=$CACHE/etcd-$ETCD_VERSION
  if [ -x "$out/bin/etcd" ]; then echo "$out/bin"; return; fi
  log "building etcd $ETCD_VERSION"
  rm -rf "$out/src" "$out/tmp" && mkdir -p "$out/src" "$out/tmp" && cd "$out/src"
  printf 'module karmadad.test/etcdbin\n\ngo 1.26.0\n' > go.mod
  go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$out/tmp/etcd" go.etcd.io/etcd/server/v3
  mv "$out/tmp" "$out/bin"
  echo "$out/bin"
}

build_kwok() {
  local out=$CACHE/kwok-$KWOK_VERSION
  if [ -x "$out/bin/kwok" ]; then echo "$out/bin"; return; fi
  log "building kwok $KWOK_VERSION"
  rm -rf "$out/tmp" && mkdir -p "$out/tmp"
  GOBIN="$out/tmp" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  mv "$out/tmp" "$out/bin"
  echo "$out/bin"
}

# kubectl of an older release: the kubectl command is a library in k8s.io/kubectl; a three-line main runs it.
build_old_kubectl() {
  local out=$CACHE/kubectl-$OLD_KUBECTL_VERSION minor patch staging date
  if [ -x "$out/bin/kubectl" ]; then echo "$out/bin"; return; fi
  log "building kubectl $OLD_KUBECTL_VERSION"
  minor=$(cut -d. -f2 <<<"$OLD_KUBECTL_VERSION"); patch=$(cut -d. -f3 <<<"$OLD_KUBECTL_VERSION")
  staging=v0.$minor.$patch
  rm -rf "$out/src" "$out/tmp" && mkdir -p "$out/src" "$out/tmp" && cd "$out/src"
  printf 'module karmadad.test/oldkubectl\n\ngo 1.26.0\n' > go.mod
  cat > main.go <<'GO'
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		util.CheckErr(err)
	}
}
GO
  go get "k8s.io/kubectl@$staging" "k8s.io/component-base@$staging" "k8s.io/client-go@$staging"
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local ldf="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf+=" -X $p.gitVersion=$OLD_KUBECTL_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  go build -trimpath -ldflags "$ldf" -o "$out/tmp/kubectl" .
  mv "$out/tmp" "$out/bin"
  echo "$out/bin"
}

build_karmadactl() {
  local out=$CACHE/karmada-$KARMADA_VERSION
  if [ -x "$out/bin/karmadactl" ]; then echo "$out/bin"; return; fi
  log "building karmadactl $KARMADA_VERSION"
  rm -rf "$out/src" "$out/tmp" && mkdir -p "$out/src" "$out/tmp" && cd "$out/src"
  # through a module of our own: `go install pkg@version` also asks the proxy for the version list,
  # which it may refuse
  printf 'module karmadad.test/karmadactl\n\ngo 1.26.0\n' > go.mod
  go get -tool "github.com/karmada-io/karmada/cmd/karmadactl@$KARMADA_VERSION"
  go build -trimpath -ldflags "-s -w -X github.com/karmada-io/karmada/pkg/version.gitVersion=$KARMADA_VERSION" \
    -o "$out/tmp/karmadactl" github.com/karmada-io/karmada/cmd/karmadactl
  mv "$out/tmp" "$out/bin"
  echo "$out/bin"
}

build_etcd
build_kwok
build_kubernetes
build_old_kubectl
build_karmadactl
