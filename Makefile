# Everything a fresh machine needs is installed by these targets; binaries
# and tools are cached outside the clone, in $(CACHE).
SHELL := /bin/bash
export GOTOOLCHAIN := local
export GOFLAGS := -buildvcs=false
CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/kluctl-go
BIN := $(CURDIR)/bin
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(CACHE)/tools/staticcheck-$(STATICCHECK_VERSION)
DEMO_PROJECT := ../shared/examples/microservices-demo/3-templating-and-multi-env
TEST_TIMEOUT ?= 60m
VERSION ?= 0.0.0-dev+$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# The engine and the packages it runs concurrently are also tested with the
# race detector.
RACE_PKGS := ./internal/runtimelog/ ./internal/controller/ ./internal/ocisource/ ./internal/fluxartifact/ ./internal/safetar/ ./internal/engine/ ./internal/results/ ./internal/result/ ./internal/gitsource/ ./e2e/gitops/ ./internal/render/... ./internal/project/ ./internal/k8s/ ./internal/deploy/ ./internal/jinja2/ ./internal/chartpull/ ./internal/webui/ ./e2e/webui/

.PHONY: all build generate bench-gitops test test-deps lint demo cluster-up cluster-down cluster-status cluster-build bench clean

all: build

## build: one static binary (no cgo), trimmed and version stamped
build:
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/kluctl-go/kluctl/internal/cli.Version=$(VERSION)" -o $(BIN)/kluctl ./cmd/kluctl
	@ls -l $(BIN)/kluctl | awk '{printf "built %s (%.1f MB)\n", $$NF, $$5/1048576}'


## test: all tests, including those against the simulated cluster
test: test-deps
	go test -timeout $(TEST_TIMEOUT) -count=1 ./...
	go test -race -timeout $(TEST_TIMEOUT) -count=1 $(RACE_PKGS)

## test-deps: the Jinja2 oracle (Debian python3-jinja2, python3-yaml), git with its
## http-backend (the test git server), gnupg, chromium with chromedriver, the cluster binaries and Flux source-controller
test-deps: cluster-build
	@if ! /usr/bin/python3 -c 'import jinja2, yaml' 2>/dev/null; then \
		echo "installing python3-jinja2 and python3-yaml (differential test oracle)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-jinja2 python3-yaml >/dev/null; \
	fi
	@if ! test -x "$$(git --exec-path 2>/dev/null)/git-http-backend"; then \
		echo "installing git (the test git server runs git http-backend)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git >/dev/null; \
	fi
	@if ! command -v gpg >/dev/null || ! command -v gpgconf >/dev/null; then \
		echo "installing gnupg (SOPS files encrypted for PGP keys are decrypted through gpg)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnupg >/dev/null; \
	fi
	@if ! test -x /usr/bin/chromium || ! test -x /usr/bin/chromedriver; then \
		echo "installing chromium and chromium-driver (the web UI's browser tests)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

cluster-build:
	go run ./hack/cluster build

lint: $(STATICCHECK)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	$(STATICCHECK) ./...

$(STATICCHECK):
	mkdir -p $(dir $@)
	GOBIN=$(CACHE)/tools/tmp-sc go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(CACHE)/tools/tmp-sc/staticcheck $@ && rm -rf $(CACHE)/tools/tmp-sc

## demo: start the simulated cluster and deploy the bundled example project
demo: build
	@eval "$$(go run ./hack/cluster up)" && set -x && \
	$(BIN)/kluctl deploy --project-dir $(DEMO_PROJECT) -t local --context simcluster --yes && \
	kubectl wait --for=condition=Available deployment --all -n ms-demo-local --timeout=180s && \
	kubectl get deployments -n ms-demo-local
	@echo; echo "The cluster keeps running: export KUBECONFIG=$$(go run ./hack/cluster up 2>/dev/null | sed 's/^export KUBECONFIG=//')"; \
	echo "Stop it with: make cluster-down"

## cluster-up: start the simulated cluster; use: eval "$$(make -s cluster-up)"
cluster-up:
	go run ./hack/cluster up

cluster-down:
	go run ./hack/cluster down

cluster-status:
	go run ./hack/cluster status

## bench: render and deploy benchmarks against their floors
bench: build cluster-build
	go test -run '^$$' -bench . -benchmem ./internal/jinja2/ ./e2e/render/ ./internal/result/
	go run ./hack/bench -kluctl $(BIN)/kluctl
	go run ./hack/gitopsbench -kluctl $(BIN)/kluctl

clean:
	rm -rf $(BIN)

CONTROLLER_GEN_VERSION := v0.23.0
CONTROLLER_GEN := $(CACHE)/tools/controller-gen-$(CONTROLLER_GEN_VERSION)

$(CONTROLLER_GEN):
	mkdir -p $(dir $@)
	GOBIN=$(CACHE)/tools/tmp-cg go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)
	mv $(CACHE)/tools/tmp-cg/controller-gen $@ && rm -rf $(CACHE)/tools/tmp-cg

## generate: deep copy functions and CRDs (committed) of both APIs: gitops.kluctl.io/v1beta1 and the
## legacy flux.kluctl.io/v1alpha1 (KluctlDeployment, KluctlMultiDeployment)
generate: $(CONTROLLER_GEN)
	$(CONTROLLER_GEN) object paths=./api/...
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd/bases

## bench-gitops: 1000 KluctlDeployments through the controller (time to Ready, reconciles/s, peak RSS)
bench-gitops: build cluster-build
	go run ./hack/gitopsbench -kluctl $(BIN)/kluctl
