# Go test targets (tests/targets/go/<name>/main.go -> $(BUILD)/targets/go/<name>):
# gowait (goroutines blocked in known ways), gospawn (short-lived goroutines
# at a rate) and goupload (the seed's Go upload service). Built offline with
# Debian's Go (golang-go, 1.19) in GOPATH mode: no module downloads, imports
# from the standard library and Debian's golang-*-dev packages under
# /usr/share/gocode (gopkg.in/redis.v5 from golang-gopkg-redis.v5-dev).
# tools/setup.sh (make setup, run by make test) installs both packages, as
# it installs clang and bpftool: without them the build stops with a line
# saying so, rather than the Go tests being skipped.
GO        ?= go
GO_TARGET_NAMES := $(notdir $(wildcard tests/targets/go/*))
GO_TARGETS := $(GO_TARGET_NAMES:%=$(BUILD)/targets/go/%)
GO_ENV := GO111MODULE=off GOPATH=$(abspath $(BUILD)/gopath):/usr/share/gocode \
          GOCACHE=$(abspath $(BUILD)/gocache) GOFLAGS= CGO_ENABLED=0

# A copy without DWARF (-ldflags=-w) for the "cannot read goroutines" line.
TEST_TARGETS += $(GO_TARGETS) $(BUILD)/targets/go/gowait-nodwarf

GO_CHECK = command -v $(GO) >/dev/null || { echo "build: $(GO) not found: \
	make setup (as root) installs golang-go and golang-gopkg-redis.v5-dev" >&2; \
	exit 1; }

$(BUILD)/targets/go/%: tests/targets/go/%/*.go
	@mkdir -p $(@D)
	@$(GO_CHECK)
	cd tests/targets/go/$* && $(GO_ENV) $(GO) build -o $(abspath $@) .

$(BUILD)/targets/go/gowait-nodwarf: tests/targets/go/gowait/*.go
	@mkdir -p $(@D)
	@$(GO_CHECK)
	cd tests/targets/go/gowait && $(GO_ENV) $(GO) build -ldflags=-w -o $(abspath $@) .
