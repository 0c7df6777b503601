#!/usr/bin/env bash
# Builds the static binaries and the OpenCPH container image, offline:
#   deploy/build-image.sh [docker build options...]
# IMAGE names the image (default opencph:dev). Extra arguments go to
# docker build (e.g. --label key=value). The image is built FROM scratch,
# so no base image is pulled; CA certificates are copied from the build
# machine (/etc/ssl/certs/ca-certificates.crt) when it has them.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="$PATH:/usr/local/go/bin"
fi
image="${IMAGE:-opencph:dev}"
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/bin" "$ctx/certs" "$ctx/data" "$ctx/tmp"

# Static binaries; the version control stamp (vcs.revision, vcs.time,
# vcs.modified) is recorded when git can read the checkout.
export CGO_ENABLED=0 GOOS=linux
GOFLAGS="${GOFLAGS:-} -buildvcs=auto" go build -trimpath -ldflags='-s -w' -o "$ctx/bin/" ./cmd/cphd ./cmd/cph-agent ./cmd/cph

ca=/etc/ssl/certs/ca-certificates.crt
if [ -r "$ca" ]; then
  cp "$ca" "$ctx/certs/ca-certificates.crt"
else
  echo "build-image: no $ca on this machine; the image has no CA certificates" >&2
fi
cp deploy/Dockerfile "$ctx/Dockerfile"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
docker build -t "$image" \
  --label "org.opencontainers.image.revision=$revision" \
  "$@" "$ctx"
echo "built $image"
