# rstsniff: make demo | make test | make build
GO ?= go
BIN := bin/rstsniff

.PHONY: build demo test lab-deps build-deps check bench fuzz

build:
	@[ -e /usr/include/pcap.h ] || { echo "rstsniff needs libpcap's headers: apt-get install libpcap-dev (make does it when run as root)"; exit 1; }
	$(GO) build -o $(BIN) ./cmd/rstsniff

# Runs rstsniff on a bundled lab capture: a router forged a reset answering
# the client's SSH banner.
demo: build-deps build
	./$(BIN) -r testdata/pcaps/reject-banner/capture.pcap --all; test $$? -le 1

# Everything: formatting, vet, unit and golden tests, and (as root) the lab,
# which rebuilds every capture with the real sshd and ssh.
test: lab-deps check
	$(GO) test -count=1 ./...
	@# The readers' goroutines, under the race detector (a few seconds).
	$(GO) test -count=1 -race ./capture
	$(GO) test -count=1 -race -run 'TestFrameIterators|TestExitCodes|TestTcpdumpFlags|TestStdin|TestTruncatedInput|TestParallelSameAsSerial|TestBrokenInputs|TestSameVerdictsWhateverTheWrapping|TestCutEveryCapture' ./cmd/rstsniff

check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# Building needs libpcap-dev; the lab needs the rest as root, and the HTML
# report's screenshot test Chromium. Installed on Debian when missing and
# make runs as root.
LAB_TOOLS := /usr/sbin/sshd /usr/bin/ssh /usr/bin/tcpdump /usr/sbin/iptables /usr/sbin/ip /usr/bin/ping /usr/bin/pkill /usr/include/pcap.h /usr/bin/chromium
lab-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		missing=0; for f in $(LAB_TOOLS); do [ -e $$f ] || missing=1; done; \
		if [ $$missing = 1 ]; then \
			echo "installing the lab's packages"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				libpcap-dev openssh-server openssh-client tcpdump iptables iproute2 iputils-ping procps chromium >/dev/null; \
		fi; \
	fi

# Speed and memory on a synthetic capture of N connections (default 100000):
# rstsniff, the bare read loop and tshark. Go benchmarks follow.
bench: build
	bash bench/run.sh
	$(GO) test -run '^$$' -bench . -benchmem ./decode ./analyze
	$(GO) test -run '^$$' -bench Connection -benchmem ./cmd/rstsniff

# Fuzz every byte parser for FUZZTIME each (make test replays the committed
# corpus in testdata/fuzz). New findings land in testdata/fuzz too.
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./decode
	$(GO) test -run '^$$' -fuzz '^FuzzWalker$$' -fuzztime $(FUZZTIME) ./analyze
	$(GO) test -run '^$$' -fuzz '^FuzzAnalyzer$$' -fuzztime $(FUZZTIME) ./analyze
	$(GO) test -run '^$$' -fuzz '^FuzzCapture$$' -fuzztime $(FUZZTIME) ./capture
	$(GO) test -run '^$$' -fuzz '^FuzzPcapLikePcapgo$$' -fuzztime $(FUZZTIME) ./capture
	$(GO) test -run '^$$' -fuzz '^FuzzJSONString$$' -fuzztime $(FUZZTIME) ./report
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./sshdlog

# Building alone needs libpcap's headers (installed when root and missing).
build-deps:
	@if [ ! -e /usr/include/pcap.h ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpcap-dev >/dev/null; \
	fi
