# rstsniff: make demo | make test | make build
GO ?= go
BIN := bin/rstsniff

.PHONY: build demo test lab-deps build-deps check bench soak fuzz generate-bpf release release-deps release-arm64-deps deb otelcol otel-validate

build:
	@[ -e /usr/include/pcap.h ] || { echo "rstsniff needs libpcap's headers: apt-get install libpcap-dev (make does it when run as root)"; exit 1; }
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/rstsniff

# Runs rstsniff on a bundled lab capture: a router forged a reset answering
# the client's SSH banner.
demo: build-deps build
	./$(BIN) -r testdata/pcaps/reject-banner/capture.pcap --all; test $$? -le 1

# Everything: formatting, vet, unit and golden tests, and (as root) the lab,
# which rebuilds every capture with the real sshd and ssh.
test: lab-deps check
	$(GO) test -count=1 -timeout 25m ./...
	@# The readers' goroutines, under the race detector (a few seconds).
	$(GO) test -count=1 -race ./capture
	$(GO) test -count=1 -race ./probe
	$(GO) test -count=1 -race ./otlp
	$(GO) test -count=1 -race -run 'TestPacketTimeInOrder|TestWallClockAsJudged|TestRunStops|TestMatch' ./pipeline
	$(GO) test -count=1 -race -run 'TestExitCodes|TestTcpdumpFlags|TestStdin|TestTruncatedInput|TestParallelSameAsSerial|TestBrokenInputs|TestSameVerdictsWhateverTheWrapping|TestCutEveryCapture' ./cmd/rstsniff

check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	@# The kernel witness builds for big-endian Linux too (its BPF object in both byte orders).
	GOOS=linux GOARCH=s390x $(GO) vet ./kernel/...

# Building needs libpcap-dev; the lab needs the rest as root, and the HTML
# report's screenshot test Chromium. Installed on Debian when missing and
# make runs as root.
LAB_TOOLS := /usr/sbin/sshd /usr/bin/ssh /usr/bin/tcpdump /usr/sbin/iptables /usr/sbin/nft /usr/sbin/ip /usr/bin/ping /usr/bin/pkill /usr/include/pcap.h /usr/bin/chromium \
	/usr/lib/x86_64-linux-gnu/libdbus-1.a /usr/bin/promtool /usr/bin/prometheus /usr/bin/systemd-analyze /usr/bin/setpriv /usr/sbin/chroot /usr/bin/groff /usr/bin/zsh /usr/bin/fish /usr/bin/curl /usr/sbin/logrotate /usr/bin/man /usr/sbin/setcap /usr/bin/tcpreplay
lab-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		missing=0; for f in $(LAB_TOOLS); do [ -e $$f ] || missing=1; done; \
		if [ $$missing = 1 ]; then \
			echo "installing the lab's packages"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				libpcap-dev openssh-server openssh-client tcpdump iptables nftables iproute2 iputils-ping procps chromium \
				libdbus-1-dev prometheus systemd util-linux coreutils groff-base zsh fish curl logrotate man-db libcap2-bin tcpreplay >/dev/null; \
		fi; \
	fi

# Speed and memory on a synthetic capture of N connections (default 100000):
# rstsniff, the bare read loop and tshark. Go benchmarks follow.
bench: build
	bash bench/run.sh
	$(GO) test -run '^$$' -bench . -benchmem ./decode ./analyze
	$(GO) test -run '^$$' -bench Connection -benchmem ./cmd/rstsniff
	@# --otlp off, to a collector, to none (unreachable): the same speed.
	$(GO) test -run '^$$' -bench OTLP -benchtime 3x ./cmd/rstsniff

# The OpenTelemetry Collector of the OTLP tests, built from upstream modules
# (deploy/otel, a Go module of its own): the OTLP receiver and the file
# exporter. go test builds it too (once per change, in the temporary
# directory); RSTSNIFF_OTELCOL=bin/rstsniff-otelcol reuses this one.
otelcol:
	cd deploy/otel && $(GO) build -o ../../bin/rstsniff-otelcol .

# deploy/otel/collector.yaml (OTLP in; Elasticsearch, Loki, Kafka out)
# checked by the collector's own validate, with those exporters built in.
otel-validate:
	cd deploy/otel && $(GO) build -tags full -o ../../bin/rstsniff-otelcol-full .
	bin/rstsniff-otelcol-full validate --config=deploy/otel/collector.yaml

# A live capture under load (root, tcpreplay): 1,000,000 connections of the
# failing mix replayed at 300,000 packets/s through a veth pair into
# rstsniff -i with the kernel witness and --metrics; fails on kernel drops
# or memory growing after warm-up (bench/soak.sh; N, PPS, MIX, GROWTH).
# make test runs a short one (TestSoakShort).
soak: build-deps lab-deps
	bash bench/soak.sh

# Fuzz every byte parser for FUZZTIME each (make test replays the committed
# corpus in testdata/fuzz). New findings land in testdata/fuzz too.
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./decode
	$(GO) test -run '^$$' -fuzz '^FuzzReassembler$$' -fuzztime $(FUZZTIME) ./decode
	$(GO) test -run '^$$' -fuzz '^FuzzWalker$$' -fuzztime $(FUZZTIME) ./analyze
	$(GO) test -run '^$$' -fuzz '^FuzzAnalyzer$$' -fuzztime $(FUZZTIME) ./analyze
	$(GO) test -run '^$$' -fuzz '^FuzzCapture$$' -fuzztime $(FUZZTIME) ./capture
	$(GO) test -run '^$$' -fuzz '^FuzzPcapLikePcapgo$$' -fuzztime $(FUZZTIME) ./capture
	$(GO) test -run '^$$' -fuzz '^FuzzJSONString$$' -fuzztime $(FUZZTIME) ./report
	$(GO) test -run '^$$' -fuzz '^FuzzText$$' -fuzztime $(FUZZTIME) ./explain
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./sshdlog
	$(GO) test -run '^$$' -fuzz '^FuzzCleartext$$' -fuzztime $(FUZZTIME) ./probe

# Building alone needs libpcap's headers (installed when root and missing).
build-deps:
	@if [ ! -e /usr/include/pcap.h ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpcap-dev >/dev/null; \
	fi

# The kernel witness's BPF object (kernel/probe/witness_bpfel.{o,go}) is
# committed; this regenerates it from witness.bpf.c with bpf2go. Needs clang
# and libbpf's headers, installed here (not for the normal build) on Debian.
generate-bpf:
	@if ! command -v clang >/dev/null || [ ! -e /usr/include/bpf/bpf_helpers.h ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang llvm libbpf-dev >/dev/null; \
		else echo "generate-bpf needs clang and libbpf-dev"; exit 1; fi; \
	fi
	cd kernel/probe && $(GO) generate .

# Checks every OpenSSH client message rstsniff explain claims against
# openssh-portable's source at each release tag from 7.0p1 on (git grep over
# a bare clone, made once; about 15 s).
.PHONY: openssh-check
OPENSSH_GIT ?= /tmp/openssh-portable.git
openssh-check:
	@[ -d $(OPENSSH_GIT) ] || git clone --bare -q https://github.com/openssh/openssh-portable $(OPENSSH_GIT)
	RSTSNIFF_OPENSSH_GIT=$(OPENSSH_GIT) $(GO) test -count=1 -run TestCatalogAgainstOpenSSH ./explain

# Static release binaries with libpcap linked in (they run on a host with no
# libpcap and no Go), their SHA-256 in $(DIST)/SHA256SUMS, and the version
# from git describe (rstsniff --version prints it). Debian's libpcap.a needs
# libdbus-1.a; see internal/staticlink. linux/arm64 is built too when the
# cross compiler and libpcap-dev:arm64 are installed (make release-arm64-deps).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
DIST ?= dist
RELEASE_TAGS := static,osusergo,netgo
RELEASE_LDFLAGS = -s -w -X main.version=$(VERSION) -linkmode external -extldflags "-static -ldbus-1"
release: release-deps
	@mkdir -p $(DIST)
	CGO_ENABLED=1 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -tags $(RELEASE_TAGS) -ldflags '$(RELEASE_LDFLAGS)' -o $(DIST)/rstsniff-$(VERSION)-linux-amd64 ./cmd/rstsniff 2>$(DIST)/.ld-amd64.log || { cat $(DIST)/.ld-amd64.log; exit 1; }
	@if command -v aarch64-linux-gnu-gcc >/dev/null && [ -e /usr/lib/aarch64-linux-gnu/libpcap.a ] && [ -e /usr/lib/aarch64-linux-gnu/libdbus-1.a ]; then \
		echo "building linux/arm64"; \
		CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc PKG_CONFIG_PATH=/usr/lib/aarch64-linux-gnu/pkgconfig $(GO) build -trimpath -tags $(RELEASE_TAGS) -ldflags '$(RELEASE_LDFLAGS)' -o $(DIST)/rstsniff-$(VERSION)-linux-arm64 ./cmd/rstsniff 2>$(DIST)/.ld-arm64.log || { cat $(DIST)/.ld-arm64.log; exit 1; }; \
	else \
		echo "linux/arm64 skipped: needs aarch64-linux-gnu-gcc and libpcap-dev:arm64, libdbus-1-dev:arm64 (make release-arm64-deps, as root)"; \
	fi
	@rm -f $(DIST)/.ld-*.log
	cd $(DIST) && sha256sum rstsniff-$(VERSION)-linux-* > SHA256SUMS && cat SHA256SUMS

release-deps:
	@if [ ! -e /usr/lib/x86_64-linux-gnu/libpcap.a -o ! -e /usr/lib/x86_64-linux-gnu/libdbus-1.a ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpcap-dev libdbus-1-dev >/dev/null; \
	fi

# The arm64 cross toolchain and libraries (Debian multiarch).
release-arm64-deps:
	dpkg --add-architecture arm64
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 gcc-aarch64-linux-gnu libc6-dev-arm64-cross libpcap-dev:arm64 libdbus-1-dev:arm64 >/dev/null

# The Debian package (amd64): the static binary, its man page and
# completions (generated from its flags), the rstsniff@IFACE systemd unit,
# /etc/default/rstsniff, logrotate, and the Prometheus rules and Grafana
# dashboard as documentation. nfpm runs through go run, so its modules stay
# out of go.mod.
NFPM := github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
DEB_VERSION = $(shell echo '$(VERSION)' | sed 's/^v//; s/-/+/g; /^[0-9]/!s/^/0.0.0+git/')
deb: release
	@mkdir -p $(DIST)/pkg
	$(DIST)/rstsniff-$(VERSION)-linux-amd64 --help-man | gzip -9n > $(DIST)/pkg/rstsniff.1.gz
	$(DIST)/rstsniff-$(VERSION)-linux-amd64 --completion bash > $(DIST)/pkg/rstsniff.bash
	$(DIST)/rstsniff-$(VERSION)-linux-amd64 --completion zsh > $(DIST)/pkg/_rstsniff
	$(DIST)/rstsniff-$(VERSION)-linux-amd64 --completion fish > $(DIST)/pkg/rstsniff.fish
	RSTSNIFF_ARCH=amd64 RSTSNIFF_VERSION=$(DEB_VERSION) RSTSNIFF_BIN=$(DIST)/rstsniff-$(VERSION)-linux-amd64 RSTSNIFF_PKG=$(DIST)/pkg \
		$(GO) run $(NFPM) package -f deploy/nfpm.yaml -p deb -t $(DIST)/rstsniff_$(DEB_VERSION)_amd64.deb
	cd $(DIST) && sha256sum rstsniff_$(DEB_VERSION)_amd64.deb >> SHA256SUMS
