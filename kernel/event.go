package kernel

import (
	"net/netip"
	"time"
)

// Kind is what the kernel did.
type Kind uint8

const (
	KindNone        Kind = iota
	StackSent            // tcp:tcp_send_reset: the TCP stack sent a reset
	Received             // tcp:tcp_receive_reset: a local socket accepted a reset
	FirewallSent         // fentry nf_send_reset(6): a REJECT rule sent a reset
	FirewallDropped      // skb:kfree_skb NETFILTER_DROP: netfilter dropped a TCP packet
)

var kindNames = [...]string{"none", "stack-sent", "received", "firewall-sent", "firewall-dropped"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Reason is why the TCP stack sent a reset: enum sk_rst_reason (Linux 6.10
// and later), matched by name with the running kernel's BTF, so the values
// here need not equal the kernel's.
type Reason uint8

const (
	ReasonUnknown Reason = iota // not a name this package knows, or no reason given
	ReasonNotSpecified
	ReasonNoSocket
	ReasonInvalidAckSequence
	ReasonPAWS
	ReasonTooOldAck
	ReasonAckUnsentData
	ReasonFlags
	ReasonOldAck
	ReasonAbortOnData
	ReasonTimewaitSocket
	ReasonInvalidSYN
	ReasonAbortOnClose
	ReasonAbortOnLinger
	ReasonAbortOnMemory
	ReasonState
	ReasonKeepaliveTimeout
	ReasonDisconnectWithData
	ReasonMPTCP
	ReasonError
)

// reasonNames are the kernel's names without the SK_RST_REASON_ prefix.
var reasonNames = [...]string{
	"UNKNOWN", "NOT_SPECIFIED", "NO_SOCKET", "TCP_INVALID_ACK_SEQUENCE", "TCP_RFC7323_PAWS",
	"TCP_TOO_OLD_ACK", "TCP_ACK_UNSENT_DATA", "TCP_FLAGS", "TCP_OLD_ACK", "TCP_ABORT_ON_DATA",
	"TCP_TIMEWAIT_SOCKET", "INVALID_SYN", "TCP_ABORT_ON_CLOSE", "TCP_ABORT_ON_LINGER",
	"TCP_ABORT_ON_MEMORY", "TCP_STATE", "TCP_KEEPALIVE_TIMEOUT", "TCP_DISCONNECT_WITH_DATA",
	"MPTCP", "ERROR",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "UNKNOWN"
}

// ReasonByName maps a kernel enumerator name (with or without the
// SK_RST_REASON_ prefix) to a Reason; the MPTCP_RST_* names are ReasonMPTCP.
func ReasonByName(name string) Reason {
	const prefix = "SK_RST_REASON_"
	if len(name) > len(prefix) && name[:len(prefix)] == prefix {
		name = name[len(prefix):]
	}
	if len(name) >= 5 && name[:5] == "MPTCP" {
		return ReasonMPTCP
	}
	for i, n := range reasonNames {
		if n == name && i != 0 {
			return Reason(i)
		}
	}
	return ReasonUnknown
}

// ownerReasons run in the close(), shutdown() or connect(AF_UNSPEC) call of
// the process that owns the socket, never in a timer or softirq.
func (r Reason) ownerContext() bool {
	switch r {
	case ReasonAbortOnClose, ReasonAbortOnLinger, ReasonState, ReasonDisconnectWithData:
		return true
	}
	return false
}

// State is a TCP socket state (include/net/tcp_states.h); 0 when there was
// no socket.
type State uint8

var stateNames = [...]string{"", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "UNKNOWN"
}

// Hook is the netfilter hook a REJECT rule ran in (enum nf_inet_hooks).
type Hook uint8

const (
	HookPreRouting Hook = iota
	HookInput
	HookForward
	HookOutput
	HookPostRouting
)

var hookNames = [...]string{"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"}

func (h Hook) String() string {
	if int(h) < len(hookNames) {
		return hookNames[h]
	}
	return "UNKNOWN"
}

// Event is one thing the kernel did about a reset. Src and Dst are the
// reset's addresses as it travels (Src sent it); for FirewallDropped they are
// the dropped packet's reversed, the reset a REJECT rule would have sent.
// Comm is the kernel's name of the task the event ran in: untrusted text.
// The zero value is an empty event.
type Event struct {
	Time     time.Time
	Netns    uint32 // inode of the network namespace
	Kind     Kind
	Src, Dst netip.AddrPort
	State    State  // the socket's state, StackSent and Received
	Reason   Reason // StackSent
	Hook     Hook   // FirewallSent
	// Active: the socket reset the connection itself (close, timer), not in
	// answer to a packet.
	Active bool
	PID    uint32
	Comm   string
}

// Owner tells whether the event ran in the call of the process that owns
// the socket, so PID and Comm name it: an active reset for a reason only
// close(), shutdown() or connect() give.
func (e *Event) Owner() bool {
	return e.Kind == StackSent && e.Active && e.Reason.ownerContext()
}
