# valuefrom: resolve AWS Secrets Manager and SSM Parameter Store references
# in the environment, then exec the real command.
#
# The final image is FROM scratch and holds only the static binary at
# /usr/local/bin/valuefrom. It has no shell and no CA bundle: valuefrom
# prefers the system's CA bundle and falls back to a root set compiled in.
#
# Build (multi-arch with buildx: --platform linux/amd64,linux/arm64):
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) -t valuefrom .
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
# arm64 image builds without emulation.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH VERSION COMMIT
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    make build BIN=/out/valuefrom VERSION="$VERSION" COMMIT="$COMMIT"

FROM scratch
COPY --from=build /out/valuefrom /usr/local/bin/valuefrom
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/valuefrom", "--"]
