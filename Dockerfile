# valuefrom: resolve AWS Secrets Manager and SSM Parameter Store references
# in the environment, then exec the real command.
#
# This is the Dockerfile for a CI that builds images and has no Go: its
# builder stage compiles valuefrom. `make image` needs neither a registry
# nor this file: it builds Dockerfile.local, this file's final stage, from
# a binary built on the host; so do the releases.
#
# The final image is FROM scratch and holds only the static binary at
# /usr/local/bin/valuefrom. It has no shell and no CA bundle: valuefrom
# prefers the system's CA bundle and falls back to a root set compiled in.
#
# Build (multi-arch with buildx: --platform linux/amd64,linux/arm64). From a
# git checkout, pass what the binary is stamped with (.git is not sent to
# the builder); a source archive made by git archive knows it already:
#   docker build --build-arg VERSION=$(scripts/buildinfo version) \
#     --build-arg COMMIT=$(scripts/buildinfo commit) \
#     --build-arg DATE=$(scripts/buildinfo date) -t valuefrom .
#
# Use it as a source for your own image (any base):
#   COPY --from=valuefrom /usr/local/bin/valuefrom /usr/local/bin/valuefrom
#   ENTRYPOINT ["/usr/local/bin/valuefrom", "--"]
#   CMD ["/app/server"]
#
# or as a base for a static application:
#   FROM valuefrom
#   COPY --chown=65532:65532 server /app/server
#   CMD ["/app/server"]

# The builder runs on the build host's platform and cross-compiles, so an
# arm64 image builds without emulation. Its Go is the version go.mod
# names, the one releases are built with.
#
# The base is pinned by tag only: no registry was reachable where this was
# written to read a digest from. To pin it (and to update the pin), read
# the multi-arch index's digest and append it to the tag:
#   docker buildx imagetools inspect golang:1.26.8-bookworm --format '{{json .Manifest.Digest}}'
#   (or: crane digest golang:1.26.8-bookworm)
#   FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm@sha256:DIGEST AS build
# and change the tag and the digest together when go.mod's Go moves.
FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH VERSION COMMIT DATE
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH make build BIN=/out/valuefrom \
    ${VERSION:+VERSION="$VERSION"} ${COMMIT:+COMMIT="$COMMIT"} ${DATE:+DATE="$DATE"}

# The image: Dockerfile.local's, the binary copied from the builder.
FROM scratch
ARG VERSION
ARG COMMIT
ARG DATE
COPY --from=build /out/valuefrom /usr/local/bin/valuefrom
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/valuefrom", "--"]
LABEL org.opencontainers.image.title="valuefrom" \
      org.opencontainers.image.description="Resolves AWS Secrets Manager and SSM Parameter Store references in the environment, then execs the program" \
      org.opencontainers.image.source="https://github.com/valuefrom/valuefrom" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$COMMIT" \
      org.opencontainers.image.created="$DATE"
