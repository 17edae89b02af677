# The README's commands: `make demo` runs valuefrom against a local AWS
# emulator; `make test` runs every check and the whole test suite.
#
#   make unit                  the unit lane: go test -short, no moto, no binaries
#
# Build targets. `make build` is the one definition of how the binary is
# built: static (CGO_ENABLED=0), reproducible (-trimpath, no VCS stamp of
# the go command's own), stripped (-s -w) and stamped with VERSION, COMMIT
# and DATE. The Dockerfile's builder stage runs it, the tests that run the
# binary (internal/testkit/vfbin) do, and goreleaser gets its flags from here.
#
#   make build                 bin/valuefrom for this machine (GOOS/GOARCH
#                              from the environment are honoured)
#   make cross                 dist/valuefrom-linux-{amd64,arm64}; prints
#                              both sizes and fails unless both are static
#   make image                 the FROM scratch image (Dockerfile.local) from
#                              a binary built here: no registry needed
#   make reproducible          builds linux/amd64 twice (this tree and a git
#                              archive of HEAD, fresh caches) and compares
#   make release-check         goreleaser check of .goreleaser.yaml
#   make release-snapshot      archives, SHA256SUMS, SBOMs, deb and rpm in
#                              dist/, offline (no image, no signatures)
#   make release               the real release; run by .github/workflows/release.yml
#   make clean

GO        ?= go
BIN       ?= bin/valuefrom
PLATFORMS := linux/amd64 linux/arm64

# What the binary is stamped with (valuefrom --version): the version from
# the git tag, the commit, and the commit's time (SOURCE_DATE_EPOCH when
# set), from git or from a source archive's .git_archival.txt. See
# scripts/buildinfo. Set all three to build from a tree that is neither.
VERSION   ?= $(shell scripts/buildinfo version 2>/dev/null)
COMMIT    ?= $(shell scripts/buildinfo commit 2>/dev/null)
DATE      ?= $(shell scripts/buildinfo date 2>/dev/null)

# nethttpomithttp2 leaves net/http's bundled HTTP/2 out (0.5 MiB): the
# Secrets Manager, SSM and KMS endpoints answer HTTP/1.1, and serve's
# clients are on loopback.
TAGS      ?= nethttpomithttp2

# The build's flags. -buildvcs=false: the go command would otherwise stamp
# the VCS state of a git checkout, so a build from a source archive would
# differ; COMMIT and DATE say the same, from both.
BUILDFLAGS = -trimpath -buildvcs=false -tags=$(TAGS)
LDFLAGS    = -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)

# The container engine: Docker when its daemon answers, else Podman.
CONTAINER ?= $(shell docker info >/dev/null 2>&1 && echo docker || { command -v podman >/dev/null 2>&1 && echo podman; })
IMAGE     ?= valuefrom:$(or $(VERSION),dev)
IMAGE_ARCH ?= $(shell $(GO) env GOARCH)
# The image's build context: the binary alone, at linux/ARCH/valuefrom,
# where goreleaser puts it too.
IMAGE_CONTEXT ?= bin/image

# The release tools, built from tools/go.mod (a module of their own, so
# the binary's go.mod does not grow); pinned there.
TOOLS      := bin/tools
GORELEASER := $(TOOLS)/goreleaser

.PHONY: demo test unit build stamped cross image reproducible tools release-check release-snapshot release clean

demo:
	./scripts/demo

test:
	./scripts/test

# The unit lane: no moto, no binaries, no containers; seconds, not minutes.
unit:
	go test -short -count=1 ./...

build: stamped
	CGO_ENABLED=0 $(GO) build $(BUILDFLAGS) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/valuefrom

# stamped fails unless the version, commit and date are known: a binary
# never says (devel).
stamped:
	@if [ -z "$(VERSION)" ] || [ -z "$(COMMIT)" ] || [ -z "$(DATE)" ]; then \
		scripts/buildinfo version >/dev/null; \
		echo "make: set VERSION, COMMIT and DATE to build this tree" >&2; exit 1; \
	fi

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

image: stamped
	@[ -n "$(CONTAINER)" ] || { echo "make image: no Docker daemon answers and podman is not installed; set CONTAINER=" >&2; exit 1; }
	rm -rf $(IMAGE_CONTEXT)
	GOOS=linux GOARCH=$(IMAGE_ARCH) $(MAKE) --no-print-directory build BIN=$(IMAGE_CONTEXT)/linux/$(IMAGE_ARCH)/valuefrom
	$(CONTAINER) build --platform linux/$(IMAGE_ARCH) \
		--build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) --build-arg DATE=$(DATE) \
		-f Dockerfile.local -t $(IMAGE) $(IMAGE_CONTEXT)

reproducible:
	./scripts/reproducible

tools: $(TOOLS)/.built

$(TOOLS)/.built: tools/go.mod tools/go.sum
	cd tools && $(GO) build -buildvcs=false -o ../$(TOOLS)/ github.com/goreleaser/goreleaser/v2 github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod
	touch $@

# goreleaser builds with this Makefile's flags (.goreleaser.yaml reads them
# from the environment and fails without them) and runs cyclonedx-gomod
# from $(TOOLS). The module cache is filled first: the SBOMs are made with
# GOPROXY=off.
RELEASE_ENV = PATH="$(CURDIR)/$(TOOLS):$$PATH" CGO_ENABLED=0 \
	GOFLAGS='$(BUILDFLAGS)' GO_LDFLAGS='$(LDFLAGS)' VERSION='$(VERSION)' COMMIT='$(COMMIT)' DATE='$(DATE)' \
	GOMODCACHE="$$($(GO) env GOMODCACHE)" GOCACHE="$$($(GO) env GOCACHE)"

# cyclonedx-gomod reads the repository with go-git, which cannot read a
# linked work tree (git worktree add): say so before the builds, not after.
NOT_WORKTREE = @[ "$$(git rev-parse --path-format=absolute --git-dir)" = "$$(git rev-parse --path-format=absolute --git-common-dir)" ] || \
	{ echo "make $@: this is a linked git work tree, which cyclonedx-gomod cannot read; run it in a clone: git clone . DIR && make -C DIR $@" >&2; exit 1; }

release-check: tools
	$(GORELEASER) check

release-snapshot: stamped tools
	$(NOT_WORKTREE)
	$(GO) mod download
	$(RELEASE_ENV) $(GORELEASER) release --snapshot --clean --skip=docker,sign
	cd dist && sha256sum -c SHA256SUMS

release: stamped tools
	$(NOT_WORKTREE)
	$(GO) mod download
	$(RELEASE_ENV) $(GORELEASER) release --clean

clean:
	rm -rf bin dist
