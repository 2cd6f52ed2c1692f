package kernel

// Verdict is what a firewall rule does with the packets it matches: its
// last statement.
type Verdict uint8

const (
	VerdictNone   Verdict = iota // no verdict: the packet goes on to the next rule (a counter, a log)
	VerdictAccept                // accept
	VerdictDrop                  // drop (iptables -j DROP)
	VerdictReject                // reject (iptables -j REJECT): drops, and answers with a reset or an ICMP error
	VerdictJump                  // jump or goto another chain
	VerdictReturn                // return to the calling chain
	VerdictOther                 // queue, continue, nat and other targets
)

var verdictNames = [...]string{"none", "accept", "drop", "reject", "jump", "return", "other"}

func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return "unknown"
}

// Stops: the verdict ends the packet's journey here (drop or reject).
func (v Verdict) Stops() bool { return v == VerdictDrop || v == VerdictReject }

// Owner is the program that manages a rule's chain or table.
type Owner uint8

const (
	OwnerNone      Owner = iota
	OwnerFail2ban        // a chain or table named f2b-* (fail2ban's iptables and nftables actions)
	OwnerFirewalld       // table inet firewalld (firewalld's nftables backend)
)

var ownerNames = [...]string{"", "fail2ban", "firewalld"}

func (o Owner) String() string {
	if int(o) < len(ownerNames) {
		return ownerNames[o]
	}
	return "unknown"
}

// Rule is one firewall rule of this host as nftables holds it (iptables-nft
// rules included). Text fields are rendered from the kernel's expressions,
// not read from a file; Comment is the rule's own comment: untrusted text,
// as are the names. The zero value is an empty rule.
type Rule struct {
	Family string // ip, ip6, inet, arp, bridge, netdev
	Table  string
	Chain  string
	Handle uint64
	// Hook is the base chain's hook (input, forward, output, prerouting,
	// postrouting, ingress), "" for a chain only reached by jumps.
	Hook    string
	Verdict Verdict
	// Counted: the rule has a counter; Packets and Bytes are its values
	// when it was read.
	Counted        bool
	Packets, Bytes uint64
	Text           string // the rule in nft syntax, as `nft list ruleset` shows it (counter values left out)
	Iptables       string // the rule in iptables-save syntax (-A CHAIN ...), for tables iptables-nft manages; "" otherwise
	Comment        string
	Owner          Owner
	OwnerName      string // the fail2ban jail (f2b-sshd: sshd) or the firewalld zone, when the names say
	// WithCounter is the rule's text with a counter added before its
	// verdict, for `nft replace rule ... handle N`: "" when it has a
	// counter already or its text is partial.
	WithCounter string
	Policy      bool // not a rule: the base chain's policy (Handle 0)
	Partial     bool // some expression had no rendering: Text holds a placeholder for it
}

// Match is how far a rule's match was shown to cover a connection's packet.
type Match uint8

const (
	MatchCovers  Match = iota // every match of the rule was evaluated and holds for the packet
	MatchUnknown              // some match could not be evaluated (a set, conntrack, recent, an interface): kept as a candidate
)

var matchNames = [...]string{"covers", "unknown"}

func (m Match) String() string {
	if int(m) < len(matchNames) {
		return matchNames[m]
	}
	return "unknown"
}

// Candidate is a rule that could have sent or dropped the packet.
type Candidate struct {
	Rule Rule
	// Rose is how many packets its counter counted over the snapshots
	// around the event (0 for a rule without counter).
	Rose  uint64
	Match Match
	// Unevaluated names the matches that could not be evaluated (e.g.
	// "xt match recent", "ct state"), for MatchUnknown.
	Unevaluated []string
}

// RuleStatus says how far the firewall's rules could be named for an event.
type RuleStatus uint8

const (
	RulesNone       RuleStatus = iota // no ruleset was read (not asked)
	RulesNamed                        // Candidates rose at the event and cover it
	RulesNoneRose                     // no counted reject/drop rule covering it rose; Uncounted may list rules without counters that could have
	RulesNoSnapshot                   // no snapshot of the counters after the event (the capture stopped first, or reading failed since)
	RulesUnreadable                   // the ruleset could not be read: Why says why
	RulesLegacy                       // iptables-legacy holds rules that nftables does not show: they cannot be named
)

var ruleStatusNames = [...]string{"none", "named", "none-rose", "no-snapshot", "unreadable", "iptables-legacy"}

func (s RuleStatus) String() string {
	if int(s) < len(ruleStatusNames) {
		return ruleStatusNames[s]
	}
	return "unknown"
}

// RuleWhy is why the ruleset could not be read, for RulesUnreadable.
type RuleWhy uint8

const (
	WhyNone       RuleWhy = iota
	WhyPrivilege          // reading nftables needs CAP_NET_ADMIN, which rstsniff no longer holds (-Z)
	WhyNoNftables         // the kernel has no nf_tables
	WhyError              // another error: Err holds it
)

var ruleWhyNames = [...]string{"", "privilege", "no-nftables", "error"}

func (w RuleWhy) String() string {
	if int(w) < len(ruleWhyNames) {
		return ruleWhyNames[w]
	}
	return "unknown"
}

// Rules is what the firewall's rules say about one firewall event: the
// rules whose packet counter rose around it, whose verdict drops or
// rejects, and whose match could cover the packet. Two candidates mean
// either could have; none invented. The zero value says nothing.
type Rules struct {
	Status     RuleStatus
	Candidates []Candidate
	// Uncounted are drop/reject rules without a counter whose match could
	// cover the packet: one of them may be the rule, its counter cannot
	// say (RulesNoneRose), or they are listed beside counted candidates.
	Uncounted []Rule
	Why       RuleWhy
	Err       string // RulesUnreadable with WhyError: the error's text (untrusted)
}
