package analyze

import "time"

// Every threshold the analysis decides by, in one place, each with where
// its value comes from: an RFC, OpenSSH, Zeek, a measurement in the lab,
// or "choice" where it is a judgement call that no source fixes.

// Defaults for Config.
const (
	DefaultRateWindow  = 60 * time.Second // choice: how far back a connection that got through counts
	DefaultGrace       = 2 * time.Second  // choice: room for data racing a forged reset (raceWindow bounds the evidence)
	DefaultFlowTimeout = 10 * time.Minute // choice: an idle interactive session outlives it rarely
	HandshakeTimeout   = 30 * time.Second // choice: unanswered SYNs are reported after this
	HalfCloseTimeout   = 60 * time.Second // one side closed, the other silent (Linux tcp_fin_timeout is 60 s)
	DefaultMaxFlows    = 50000            // measurement: about 3 KB each, some 160 MB at most
	// DefaultIdleThreshold is the silence after which a reset drawn by the
	// next packet is called an idle-timeout reset (choice: below the idle
	// timeouts of common NATs and load balancers, above interactive pauses).
	DefaultIdleThreshold = 30 * time.Second
)

// KeepAll as Config.KeepPackets keeps every packet of every connection
// (correlation needs them all).
const KeepAll = 1 << 40

// Reset forensics.
const (
	// raceWindow is how long after a RST data from its claimed sender still
	// proves the RST was not the sender's (Zeek's tcp_reset_delay).
	raceWindow = 5 * time.Second
	// burstWindow groups resets from one side into a burst (choice).
	burstWindow = 2 * time.Second
	// bothEndsWindow: resets toward both ends this close together, with no
	// other packet between them, come from one injector (measurement: the
	// lab's inject-both case).
	bothEndsWindow = time.Millisecond
	// minTimingRTT: below this the tap's round trip is too short for the
	// timing signal to mean anything (choice).
	minTimingRTT = time.Millisecond
	// farFactor: the timing signal counts only when the claimed sender took
	// at least this many times as long as the receiver to answer during the
	// handshake, so that the capture point lies clearly nearer the receiver
	// (choice; a Cisco pair in suricata-verify's ssh-hassh-reassembled both
	// answer in 8 ms, beside the tap).
	farFactor = 2
	// sentRingLen: a side's last packets kept for matching the resets that
	// answer them; a closed socket's kernel answers each arriving packet,
	// and the lab's maxstartups-late case has three in flight (measurement).
	sentRingLen = 4
	// challengeACKWindow: a challenge ACK (RFC 5961 §3.2) answers an
	// in-window reset at once; later ACKs are ordinary traffic (choice).
	challengeACKWindow = 100 * time.Millisecond
	// maxUnscaledWindow: a sequence number this far ahead of the sender's
	// next one still lies in any receive window (RFC 9293 §3.1: the window
	// field is 16 bits before scaling).
	maxUnscaledWindow = 65535
	// maxIPIDStep: a sender's IP ID counter that rose by 1 to this much
	// between two of its packets continues (choice: a per-host counter is
	// stepped by the host's other traffic too).
	maxIPIDStep = 64
	// maxTSStep: a TSval this far ahead of the sender's last one still
	// continues its clock (RFC 7323 §5.4 clocks tick every 1 ms to 1 s: at
	// 1 kHz this is about 17 minutes).
	maxTSStep = 1 << 20
)

// initialTTLs are the TTLs (hop limits) senders start with: 64 for Linux
// and macOS, 128 for Windows, 255 for much network gear, 32 for some old
// stacks. A packet's hop count is guessed from the nearest one above it.
var initialTTLs = [...]int{32, 64, 128, 255}

// Patterns.
const (
	// bigSegment is the payload size from which a segment may hit a lower
	// MTU (choice: below every common tunnel MTU, above SSH's handshake
	// messages).
	bigSegment = 1000
	// residualWindow: a connection blocked this long after a forged reset
	// between the same hosts counts as blocked by it (choice: twice the
	// 90 s INTANG assumes for the GFW's residual block).
	residualWindow = 180 * time.Second
	// minRateOK: a rate limit shows after some connections got through, not one.
	minRateOK = 2
	// relIdleFactor: a silence this many times the connection's round trip
	// and its longest other silence is out of the ordinary for it (choice:
	// interactive pauses within one session vary by less; the lab's
	// idle-timeout case has 5.8 s against 43 ms).
	relIdleFactor = 10
	// minRelIdle: no silence shorter than this is called idle, whatever
	// the connection's other gaps (choice: below the idle timeouts of any
	// conntrack or NAT seen, above scheduling noise).
	minRelIdle = time.Second
	// minRelIdlePackets: the connection's usual gaps are known from this
	// many packets before the silence (choice: a handshake and banners).
	minRelIdlePackets = 8
	// dupWindow is how close in time two copies of one packet must be
	// (choice; tcpdump -i any on the lab's router saw both copies at once).
	dupWindow = 5 * time.Millisecond
)

// Memory bounds.
const (
	// maxPending caps the out-of-order bytes one direction may hold. Past it
	// the hole is declared lost and parsing of that direction stops
	// (choice: more than OpenSSH's largest packet).
	maxPending = 256 << 10
	// maxICMP bounds the ICMP errors kept per connection (choice).
	maxICMP = 8
	// maxFree bounds the ended flows kept for reuse (choice).
	maxFree = 1024
	// maxHosts bounds the baselines: past it the half least recently seen go,
	// so a day-long capture of many clients holds no more than the latest.
	maxHosts = 1 << 14
	// maxHistory bounds the rate history (client and server pairs): past it,
	// pairs idle longer than the window go, then the least recent half.
	maxHistory = 1 << 14
	// maxBlockTimes bounds the forged resets remembered per client and
	// server pair, and per server (choice: a residual-block chain is told
	// from its latest links; the first one only dates it).
	maxBlockTimes = 32
	// maxKexShared bounds the table of distinct KEXINITs, identification
	// strings and negotiations shared by every connection; past it they
	// are kept per connection (choice: a capture's clients and servers run
	// a handful of SSH versions, a scan a few hundred).
	maxKexShared = 4096
	// agingEvery: how often, in packet time, the rate history and the
	// forged resets are swept of entries no connection still to be judged
	// can reach (aging.go), so that they follow the connections of the
	// last minutes, not the 16,384 latest pairs (choice: the rate window).
	agingEvery = DefaultRateWindow
)

// Limits that keep a hostile stream from deciding how much memory we use.
const (
	maxLineLen        = 8192      // SSH_MAX_BANNER_LEN in OpenSSH
	maxPreBannerLines = 1024      // SSH_MAX_PRE_BANNER_LINES in OpenSSH
	keptPreBanner     = 8         // pre-banner lines kept for the report
	keptLineLen       = 256       // characters kept of each pre-banner line
	keptBannerLen     = 1024      // characters kept of an identification string
	maxPacketLen      = 256 << 10 // PACKET_MAX_SIZE in OpenSSH
	maxKexInitKept    = 64 << 10  // KEXINIT payload bytes buffered for parsing
)
