package analyze

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Finding is a named pattern found in a connection: its ID, whom it
// blames, the packets it rests on, and the facts report/ words it from.
// Which facts are set depends on ID (see each detector).
type Finding struct {
	ID      FindingID
	Blame   Blame
	Packets []int

	Side     Side          // the side the finding is about
	Reset    int           // frame of the reset it rests on
	Other    int           // frame of the packet that answered, drew or ended it
	Delay    time.Duration // a time the finding measured (see the detector)
	HasDelay bool
	Count    int        // SYNs, resets, transmissions or earlier connections
	Size     [2]int     // mtu-blackhole: bytes first sent, bytes retransmitted
	Packet   PacketKind // what the claimed sender sent after the reset
	Bytes    int        // its payload
	Stage    Stage
	Outcome  Outcome    // rate-limit: how the limited connection ended
	Forged   bool       // refused: a device on the path answered in the server's name
	ICMP     ICMPError  // icmp-unreachable: the error that refused the connection
	Sender   ICMPSender // icmp-unreachable: who sent it
	Close    CloseCause // server-close-before-banner: what the server said instead
	Stop     StopReason // malformed-ssh: how the stream broke
	// mtu-blackhole with nothing from the peer after the large segment:
	// the side's smaller segments before it were acknowledged and it was
	// the side's first large one, so a black hole is likely, but the path
	// (or the peer) dying at that moment fits as well.
	Silent bool
	// residual-block: the earlier forged resets were between another
	// client and this server (not this pair).
	AllClients bool
	// idle-timeout-reset found by the relative rule (the silence was below
	// the idle threshold but far beyond the connection's own): its longest
	// other silence and its handshake round trip (0 when unseen).
	Relative bool
	Usual    time.Duration
	RTT      time.Duration
	// Quote is text from the network the finding quotes (untrusted).
	Quote string
	// Suspicion: the finding rests only on resets called forged on weak
	// evidence (Reset.Suspected). It is listed, but it does not make a
	// connection that ended normally abnormal.
	Suspicion bool
}

// ICMPSender says who sent an ICMP error about a connection.
type ICMPSender uint8

const (
	ICMPFromServer   ICMPSender = iota // the server itself
	ICMPFromClient                     // the client's own host
	ICMPFromFirewall                   // a device on the path, "administratively prohibited"
	ICMPFromRouter                     // a router on the path
)

// CloseCause is what a server that closed before its banner wrote instead.
type CloseCause uint8

const (
	CloseSilent      CloseCause = iota // nothing
	CloseMaxStartups                   // "Exceeded MaxStartups"
	CloseNotAllowed                    // "Not allowed at this time" (MaxStartups or PerSourcePenalties, OpenSSH 9.8+)
	CloseOtherText                     // another line
)

// A detector names one pattern in a finished flow, appending to
// f.out.Findings. Detectors run in the order of detectors; later ones may
// look at what earlier ones found.
type detector interface {
	detect(f *flow, idle time.Duration)
}

// detectors is the ordered list of per-connection detectors.
var detectors = []detector{
	refusedDetector{}, synTimeoutDetector{}, icmpDetector{}, ignoredDetector{}, ttlMismatchDetector{}, raceDetector{},
	hostFirewallDetector{}, burstDetector{}, bothEndsDetector{}, idleDetector{}, postSynAckDetector{},
	clientResetDetector{}, closeBeforeBannerDetector{}, mtuDetector{}, streamDetector{}, serverResetDetector{},
}

// A crossDetector names a pattern across connections, with the history of
// the connections handed over before this one.
type crossDetector interface{ detect(a *Analyzer, f *Flow) }

// crossDetectors run after every per-connection detector, in order.
var crossDetectors = []crossDetector{residualDetector{}, rateLimitDetector{}}

var (
	_ detector      = refusedDetector{}
	_ crossDetector = rateLimitDetector{}
)

// blameOf is whom a finding resting on a reset from sender blames, side
// being the endpoint it would be if the reset is genuine.
func blameOf(sender Sender, s Side) Blame {
	switch {
	case sender.Forged():
		return BlameMiddlebox
	case sender.Genuine() && s == Client:
		return BlameClient
	case sender.Genuine() && s == Server:
		return BlameServer
	}
	return BlameUnknown
}

// endingReset returns the index of the RST that ended the connection, or -1.
func (f *flow) endingReset() int { return f.endReset - 1 }

// findings names the patterns of one flow (cross-flow ones come later).
func (f *flow) findings(idle time.Duration) {
	if f.out.Missing != SideNone {
		// Half the conversation is not in the capture: no pattern that
		// rests on it can be told, and no blame given.
		f.add(Finding{ID: FindOneDirection, Blame: BlameUnknown, Side: f.out.Missing,
			Packets: []int{f.out.FirstPacket, f.out.LastPacket}})
		return
	}
	for _, d := range detectors {
		d.detect(f, idle)
	}
}

func (f *flow) add(fd Finding) { f.out.Findings = append(f.out.Findings, fd) }

// refused: the SYN was answered by a RST. Reset, Forged, Delay (after the
// SYN, when it was seen).
type refusedDetector struct{}

func (refusedDetector) detect(f *flow, _ time.Duration) {
	o := &f.out
	if o.Outcome != OutcomeRefused {
		return
	}
	r := o.Resets[0]
	fd := Finding{ID: FindRefused, Blame: blameOf(r.Sender, Server), Packets: []int{o.FirstPacket, r.Packet}, Reset: r.Packet}
	if r.Sender.Forged() {
		fd.Forged = true
	}
	if !f.synTime.IsZero() {
		fd.Delay, fd.HasDelay = r.Time.Sub(f.synTime), true
	}
	f.add(fd)
}

// syn-timeout: Count SYNs over Delay, never answered.
type synTimeoutDetector struct{}

func (synTimeoutDetector) detect(f *flow, _ time.Duration) {
	o := &f.out
	if o.Outcome == OutcomeTimeout && !f.synAckSeen && o.Packets[1] == 0 {
		f.add(Finding{ID: FindSynTimeout, Blame: BlameNetwork, Packets: []int{o.FirstPacket, o.LastPacket},
			Count: f.d[0].retrans + 1, Delay: o.End.Sub(o.Start), HasDelay: true})
	}
}

// icmp-unreachable: ICMP, the error that refused the SYN, and its Sender.
type icmpDetector struct{}

func (icmpDetector) detect(f *flow, _ time.Duration) {
	o := &f.out
	e, ok := o.RefusingICMP()
	if !ok {
		return
	}
	sender, blame := ICMPFromServer, BlameServer
	switch {
	case e.From == o.Client.Addr():
		sender, blame = ICMPFromClient, BlameClient
	case e.From != o.Server.Addr() && e.Prohibited():
		sender, blame = ICMPFromFirewall, BlameMiddlebox
	case e.From != o.Server.Addr():
		sender, blame = ICMPFromRouter, BlameNetwork
	}
	f.add(Finding{ID: FindICMPUnreachable, Blame: blame, Packets: []int{o.FirstPacket, e.Packet}, ICMP: e, Sender: sender})
}

// ttl-mismatch: Reset, the first reset whose TTL differs from its
// sender's (its SigTTLDistance or SigTTLUnlike evidence has the baseline).
type ttlMismatchDetector struct{}

func (ttlMismatchDetector) detect(f *flow, _ time.Duration) {
	var mism []int
	weak := true
	for i := range f.out.Resets {
		if r := &f.out.Resets[i]; r.ttlMismatch {
			mism = append(mism, r.Packet)
			weak = weak && r.Suspected()
		}
	}
	if len(mism) > 0 {
		r := f.out.Resets[indexOf(f.out.Resets, mism[0])]
		f.add(Finding{ID: FindTTLMismatch, Blame: BlameMiddlebox, Packets: mism, Reset: r.Packet, Side: r.From, Suspicion: weak})
	}
}

// forged-reset-ignored: a forged reset (Reset, in Side's name) that its
// receiver went on past, sending new data (Other): an injector tried and
// failed, and the connection's real end is elsewhere. Count: how many such
// resets.
type ignoredDetector struct{}

func (ignoredDetector) detect(f *flow, _ time.Duration) {
	var pk []int
	weak := true
	first := -1
	for i := range f.out.Resets {
		if r := &f.out.Resets[i]; r.Ignored {
			pk = append(pk, r.Packet)
			weak = weak && r.Suspected()
			if first < 0 {
				first = i
			}
		}
	}
	if first < 0 {
		return
	}
	r, c := &f.out.Resets[first], &f.rx[first]
	f.add(Finding{ID: FindForgedResetIgnored, Blame: BlameMiddlebox, Packets: pk, Reset: r.Packet, Side: r.From,
		Other: c.ignored.frame, Stage: r.Stage, Count: len(pk), Suspicion: weak})
}

// raceFacts fills a finding from the first reset of pkts whose claimed
// sender kept sending: Reset, Other (what it sent), Packet, Bytes, Delay.
func (f *flow) raceFacts(fd Finding) Finding {
	i := indexOf(f.out.Resets, fd.Packets[0])
	r, c := f.out.Resets[i], f.rx[i]
	fd.Side, fd.Reset, fd.Other = r.From, r.Packet, c.race.frame
	fd.Packet, fd.Bytes = c.raceKind, c.raceBytes
	fd.Delay, fd.HasDelay = time.Duration(c.race.t-r.Time.UnixNano()), true
	return fd
}

// racing lists, reset frame then race frame, the resets whose claimed
// sender kept sending, those forged by the sender's host or the others.
func (f *flow) racing(byHost bool) []int {
	var pk []int
	for i, r := range f.out.Resets {
		if f.rx[i].race.frame != 0 && r.Sender.HostFirewall() == byHost {
			pk = append(pk, r.Packet, f.rx[i].race.frame)
		}
	}
	return pk
}

// reset-race: the claimed sender kept sending after its "own" reset.
type raceDetector struct{}

func (raceDetector) detect(f *flow, _ time.Duration) {
	if pk := f.racing(false); len(pk) > 0 {
		f.add(f.raceFacts(Finding{ID: FindResetRace, Blame: BlameMiddlebox, Packets: pk}))
	}
}

// host-firewall-reset: as reset-race, but from the sender's own distance.
type hostFirewallDetector struct{}

func (hostFirewallDetector) detect(f *flow, _ time.Duration) {
	if pk := f.racing(true); len(pk) > 0 {
		fd := f.raceFacts(Finding{ID: FindHostFirewall, Packets: pk})
		fd.Blame = blameOf(stackOf(fd.Side), fd.Side)
		f.add(fd)
	}
}

// reset-burst: Count resets in Side's name with different sequence numbers.
type burstDetector struct{}

func (burstDetector) detect(f *flow, _ time.Duration) {
	for _, side := range []Side{Client, Server} {
		var pk []int
		for _, r := range f.out.Resets {
			if r.From == side && r.burst {
				pk = append(pk, r.Packet)
			}
		}
		if len(pk) >= 2 {
			f.add(Finding{ID: FindResetBurst, Blame: BlameMiddlebox, Packets: pk, Side: side, Count: len(pk)})
		}
	}
}

// reset-both-ends: resets toward both ends at once.
type bothEndsDetector struct{}

func (bothEndsDetector) detect(f *flow, _ time.Duration) {
	var both []int
	for _, r := range f.out.Resets {
		if r.bothEnds {
			both = append(both, r.Packet)
		}
	}
	if len(both) >= 2 {
		f.add(Finding{ID: FindResetBothEnds, Blame: BlameMiddlebox, Packets: both})
	}
}

// idle-timeout-reset: after Delay of silence the packet Other drew the
// ending reset in Side's name. The silence is at least the idle threshold
// (a floor users set), or (Relative) a forged reset answered the first
// packet after the connection's longest silence, which was at least
// minRelIdle and relIdleFactor times both its round trip (RTT) and its
// longest other silence (Usual).
type idleDetector struct{}

func (idleDetector) detect(f *flow, idle time.Duration) {
	end := f.endingReset()
	if end < 0 {
		return
	}
	r, c := f.out.Resets[end], f.rx[end]
	if !c.hasTrigger || time.Duration(r.Time.UnixNano()-c.trigger.t) >= time.Second {
		return
	}
	fd := Finding{ID: FindIdleTimeoutReset, Blame: blameOf(r.Sender, r.From), Packets: []int{c.trigger.frame, r.Packet},
		Side: r.From, Reset: r.Packet, Other: c.trigger.frame, Delay: c.trigger.gap, HasDelay: true}
	switch rtt := f.respDelay(Server) + f.respDelay(Client); {
	case c.trigger.gap >= idle:
	case r.Sender.Forged() && c.longestGap && c.pktsBefore >= minRelIdlePackets && c.trigger.gap >= minRelIdle &&
		c.trigger.gap >= relIdleFactor*c.usualGap && c.trigger.gap >= relIdleFactor*rtt:
		fd.Relative, fd.Usual, fd.RTT = true, c.usualGap, rtt
	default:
		return
	}
	f.add(fd)
}

// post-synack-reset: reset right after the handshake, before any byte.
type postSynAckDetector struct{}

func (postSynAckDetector) detect(f *flow, _ time.Duration) {
	end := f.endingReset()
	if end < 0 {
		return
	}
	r := f.out.Resets[end]
	if r.From == Server && !f.d[0].dataSet && !f.d[1].dataSet && f.established && r.Stage == StageBanner && !f.out.Midstream {
		f.add(Finding{ID: FindPostSynAckReset, Blame: blameOf(r.Sender, Server), Packets: []int{r.Packet}, Reset: r.Packet})
	}
}

// client-reset: the client's own genuine reset at Stage, when nothing
// before explains the connection.
type clientResetDetector struct{}

func (clientResetDetector) detect(f *flow, _ time.Duration) {
	end := f.endingReset()
	if end < 0 || len(f.out.Findings) > 0 {
		return
	}
	if r := f.out.Resets[end]; r.Sender.Genuine() && r.From == Client {
		f.add(Finding{ID: FindClientReset, Blame: BlameClient, Packets: []int{r.Packet}, Reset: r.Packet, Stage: r.Stage})
	}
}

// server-close-before-banner: the genuine server ended the connection
// (frame Other) before its identification string; Close and Quote say
// what it wrote instead.
type closeBeforeBannerDetector struct{}

func (closeBeforeBannerDetector) detect(f *flow, _ time.Duration) {
	// A capture begun mid-stream cannot show that no banner came before it.
	if !f.established || f.out.Midstream || f.d[1].w.banner != "" || !f.endedByServerBeforeBanner() ||
		f.d[0].w.stopWhy == StopNotSSH || f.d[1].w.stopWhy == StopNotSSH {
		return
	}
	fd := Finding{ID: FindCloseBeforeBan, Blame: BlameServer, Packets: []int{f.serverEndFrame}, Other: f.serverEndFrame}
	if len(f.d[1].w.preBanner) > 0 {
		fd.Quote = f.d[1].w.preBanner[0]
	}
	switch {
	case strings.Contains(fd.Quote, "Exceeded MaxStartups"):
		fd.Close = CloseMaxStartups
	case strings.Contains(fd.Quote, "Not allowed at this time"):
		fd.Close = CloseNotAllowed
	case fd.Quote != "":
		fd.Close = CloseOtherText
	}
	f.add(fd)
}

// mtu-blackhole: Side's large segment went out Count times (Size: first
// and retransmitted sizes) and was never acknowledged while the peer's
// packets kept arriving; or (Silent) nothing of the peer's arrived after
// it, but it was the side's first large segment, every byte before it was
// acknowledged, and no smaller segment followed it (one would have crossed
// and drawn a duplicate ACK). Packets lists the first transmissions kept.
type mtuDetector struct{}

func (mtuDetector) detect(f *flow, _ time.Duration) {
	for i, side := range []Side{Client, Server} {
		d, b := &f.d[i], &f.d[i].ev.big
		peer := &f.d[1-i]
		if b.retrans < 2 || peer.ackSet && seqDiff(peer.maxAck, b.seq) > 0 {
			continue
		}
		fd := Finding{ID: FindMTUBlackhole, Blame: BlameNetwork, Packets: append([]int(nil), b.frames[:b.nframes]...),
			Side: side, Count: b.retrans + 1, Size: [2]int{b.n, b.again}}
		switch {
		case f.out.Packets[1-i] > 0 && peer.last > b.first:
		case d.ev.firstBigSet && d.ev.firstBig == b.seq && d.dataSet && peer.ackSet &&
			seqDiff(peer.maxAck, d.dataBase) > 0 && peer.maxAck == b.seq && (d.ev.lastSmall < b.first || peer.w.awaitsLarge() && f.senderFar(side.Other())):
			// A smaller segment after it, unanswered too (no duplicate
			// ACK), would have crossed a lower MTU: the peer is gone, not
			// the large segments (suricata-verify's ssh-hassh-incomplete).
			// Unless the peer's own next packet is a large one (its KEXINIT
			// after its banner) that never came either: its answer to the small segment rides on it, and a
			// link with a lower MTU both ways swallows both. Only where
			// the capture lies nearer this side than the peer: a peer's
			// large packet would have passed a tap beside it
			// (ssh-hassh-incomplete is captured beside its server).
			fd.Silent = true
		default:
			continue
		}
		f.add(fd)
	}
}

// not-ssh and malformed-ssh: what the SSH streams themselves showed. Side,
// Other (the frame the stream stopped at), Quote (not-ssh: the first
// line), Stop (malformed-ssh).
type streamDetector struct{}

func (streamDetector) detect(f *flow, _ time.Duration) {
	for i, side := range []Side{Client, Server} {
		w := &f.d[i].w
		switch w.stopWhy {
		case StopNotSSH:
			f.add(Finding{ID: FindNotSSH, Blame: BlameUnknown, Packets: []int{w.stopFrame}, Side: side, Other: w.stopFrame, Quote: w.refused})
		case StopLongLine, StopTooManyLines, StopMalformedPacket:
			if f.d[1-i].w.stopWhy == StopNotSSH {
				// Answering a peer that is not SSH (sshd writes an error
				// text after its banner), the stream proves nothing.
				break
			}
			f.add(Finding{ID: FindMalformedSSH, Blame: blameOf(stackOf(side), side), Packets: []int{w.stopFrame}, Side: side, Other: w.stopFrame, Stop: w.stopWhy})
		}
	}
}

// server-reset: the server's own genuine reset at Stage, when nothing
// else explains the connection.
type serverResetDetector struct{}

func (serverResetDetector) detect(f *flow, _ time.Duration) {
	end := f.endingReset()
	if end < 0 || len(f.out.Findings) > 0 {
		return
	}
	if r := f.out.Resets[end]; r.Sender.Genuine() && r.From == Server {
		f.add(Finding{ID: FindServerReset, Blame: BlameServer, Packets: []int{r.Packet}, Reset: r.Packet, Stage: r.Stage})
	}
}

// endedByServerBeforeBanner: the server's first FIN or ending RST came before
// any identification string from it, and that RST was not forged.
func (f *flow) endedByServerBeforeBanner() bool {
	if f.serverEndFrame == 0 {
		return false
	}
	for _, r := range f.out.Resets {
		if r.From == Server && r.ForgedSurely() {
			return false
		}
	}
	return true
}

func indexOf(rs []Reset, pkt int) int {
	for i, r := range rs {
		if r.Packet == pkt {
			return i
		}
	}
	return 0
}

// rateKey is a client address and a server address and port, as plain
// bytes for one hash call.
type rateKey struct {
	c, s addrKey
	port uint16
}

type rate struct {
	ok     int
	lastOK int64 // Unix nanoseconds: no pointer for the garbage collector
}

// rate-limit: a connection from one client to one server refused or reset
// early (Outcome, Reset) right after Count others got through, the last
// Delay before it.
type rateLimitDetector struct{}

func (rateLimitDetector) detect(a *Analyzer, f *Flow) {
	if f.Missing != SideNone {
		return
	}
	k := rateKey{keyOfAddr(f.Client.Addr()), keyOfAddr(f.Server.Addr()), f.Server.Port()}
	h := a.history.value(k)
	start := f.Start.UnixNano()
	if h.ok > 0 && time.Duration(start-h.lastOK) > a.rate {
		h = rate{}
	}
	early := f.Outcome == OutcomeRefused || (f.Outcome == OutcomeReset && f.Stage <= StageBanner && len(f.Resets) > 0 && f.Resets[0].From == Server)
	// An injector reacting to content explains a reset better than a limit.
	injected := slices.ContainsFunc(f.Findings, func(fd Finding) bool {
		return fd.ID == FindResetRace || fd.ID == FindResetBurst || fd.ID == FindResetBothEnds || fd.ID == FindResidualBlock
	})
	switch {
	case early && h.ok >= minRateOK && !injected:
		r := f.Resets[0]
		f.Findings = append(f.Findings, Finding{ID: FindRateLimit, Blame: blameOf(r.Sender, Server), Packets: []int{f.FirstPacket, r.Packet},
			Reset: r.Packet, Count: h.ok, Delay: time.Duration(start - h.lastOK), HasDelay: true, Outcome: f.Outcome})
	case !early && f.Stage > StageBanner:
		h.ok++
		h.lastOK = start
		*a.history.put(k) = h
	}
	if a.history.len() > maxHistory {
		a.history.expire(f.Start.UnixNano(), a.rate, maxHistory/2, func(v *rate) int64 { return v.lastOK })
	}
}

// sortFindings puts the main finding first: IDs are ranks.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(x, y Finding) int { return cmp.Compare(x.ID, y.ID) })
}
