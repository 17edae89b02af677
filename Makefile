# The README's commands: `make demo` runs valuefrom against a local AWS
# emulator; `make test` runs every check and the whole test suite.
#
#   make unit                  the unit lane: go test -short, no moto, no binaries
#
# Build targets. `make build` is the one definition of how the binary is
# built: static (CGO_ENABLED=0), reproducible (-trimpath), stripped (-s -w)
# and stamped with VERSION and COMMIT. The Dockerfile's builder stage runs
# it too, and so do the tests that run the binary (internal/testkit/vfbin).
#
#   make build                 bin/valuefrom for this machine (GOOS/GOARCH
#                              from the environment are honoured)
#   make cross                 dist/valuefrom-linux-{amd64,arm64}; prints
#                              both sizes and fails unless both are static
#   make image                 the FROM scratch image, with $(CONTAINER)
#   make clean

GO        ?= go
CONTAINER ?= docker
BIN       ?= bin/valuefrom
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
IMAGE     ?= valuefrom:$(or $(VERSION),dev)
PLATFORMS := linux/amd64 linux/arm64

LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# nethttpomithttp2 leaves net/http's bundled HTTP/2 out (0.5 MiB): the
# Secrets Manager, SSM and KMS endpoints answer HTTP/1.1, and serve's
# clients are on loopback.
TAGS      ?= nethttpomithttp2

.PHONY: demo test unit build cross image clean

demo:
	./scripts/demo

test:
	./scripts/test

# The unit lane: no moto, no binaries, no containers; seconds, not minutes.
unit:
	go test -short -count=1 ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/valuefrom

cross:
	@set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; \
		GOOS=$$os GOARCH=$$arch $(MAKE) --no-print-directory build BIN=dist/valuefrom-$$os-$$arch; \
	done
	@set -e; for p in $(PLATFORMS); do \
		f=dist/valuefrom-$${p%/*}-$${p#*/}; \
		size=$$(stat -c %s $$f); \
		printf '%-26s %9d bytes (%s MiB)\n' $$f $$size $$(awk "BEGIN{printf \"%.1f\", $$size/1048576}"); \
		printf '  file: %s\n' "$$(file -b $$f)"; \
		printf '  ldd:  %s\n' "$$(ldd $$f 2>&1 | tr -d '\t')"; \
		file -b $$f | grep -q 'statically linked' || { echo "$$f is not statically linked" >&2; exit 1; }; \
	done

image:
	$(CONTAINER) build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t $(IMAGE) .

clean:
	rm -rf bin dist
