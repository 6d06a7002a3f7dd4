# Go test targets (tests/targets/go/<name>/main.go -> $(BUILD)/targets/go/<name>):
# gowait (goroutines blocked in known ways), gospawn (short-lived goroutines
# at a rate) and goupload (the seed's Go upload service). Built offline with
# Debian's Go (golang-go, 1.19) in GOPATH mode: no module downloads, imports
# from the standard library and Debian's golang-*-dev packages under
# /usr/share/gocode (gopkg.in/redis.v5 from golang-gopkg-redis.v5-dev).
# tools/setup.sh installs both packages. Without a go binary the targets are
# left out with a note, and the Go tests say they are skipped and why.
GO        ?= go
GO_TARGET_NAMES := $(notdir $(wildcard tests/targets/go/*))
GO_TARGETS := $(GO_TARGET_NAMES:%=$(BUILD)/targets/go/%)
GO_ENV := GO111MODULE=off GOPATH=$(abspath $(BUILD)/gopath):/usr/share/gocode \
          GOCACHE=$(abspath $(BUILD)/gocache) GOFLAGS= CGO_ENABLED=0

ifneq ($(shell command -v $(GO) 2>/dev/null),)
TEST_TARGETS += $(GO_TARGETS)
else
$(info note: $(GO) not found: Go test targets not built (make setup installs golang-go))
endif

# A stripped copy (-ldflags=-w: no DWARF) for the "no debug info" message.
TEST_TARGETS += $(if $(shell command -v $(GO) 2>/dev/null),$(BUILD)/targets/go/gowait-nodwarf)

$(BUILD)/targets/go/%: tests/targets/go/%/*.go
	@mkdir -p $(@D)
	cd tests/targets/go/$* && $(GO_ENV) $(GO) build -o $(abspath $@) .

$(BUILD)/targets/go/gowait-nodwarf: tests/targets/go/gowait/*.go
	@mkdir -p $(@D)
	cd tests/targets/go/gowait && $(GO_ENV) $(GO) build -ldflags=-w -o $(abspath $@) .
