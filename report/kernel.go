package report

import (
	"fmt"
	"strings"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/kernel"
)

// jsonKernel is what this host's kernel said about a reset (live capture
// with the kernel witness on).
type jsonKernel struct {
	Sender      string            `json:"sender"`
	Basis       string            `json:"basis,omitempty"`
	Reason      string            `json:"reason,omitempty"`
	State       string            `json:"state,omitempty"`
	Hook        string            `json:"hook,omitempty"`
	PID         uint32            `json:"pid,omitempty"`
	Process     string            `json:"process,omitempty"`
	Received    bool              `json:"received"`
	NotAccepted bool              `json:"not_accepted,omitempty"`
	After       []jsonKernelAfter `json:"after,omitempty"`
	Rule        *jsonRules        `json:"rule,omitempty"`
	Summary     string            `json:"summary"`
}

// jsonKernelAfter is a reset this host sent after a local socket accepted one.
type jsonKernelAfter struct {
	Time   jsonTime `json:"time"`
	Reason string   `json:"reason"`
	State  string   `json:"state,omitempty"`
}

func newJSONKernel(w *kernel.Witness) *jsonKernel {
	if w == nil {
		return nil
	}
	k := &jsonKernel{Sender: w.Sender.String(), Basis: w.Basis.String(), Received: w.Received != nil,
		NotAccepted: w.NotAccepted, Summary: KernelSentence(w), Rule: newJSONRules(w.Rules)}
	if e := w.Sent; e != nil {
		switch e.Kind {
		case kernel.StackSent:
			k.Reason, k.State = e.Reason.String(), e.State.String()
			if e.Owner() {
				k.PID, k.Process = e.PID, e.Comm
			}
		case kernel.FirewallSent:
			k.Hook = e.Hook.String()
		}
	}
	for _, a := range w.After {
		k.After = append(k.After, jsonKernelAfter{Time: jsonTime(a.Time), Reason: a.Reason.String(), State: a.State.String()})
	}
	return k
}

// appendKernel writes k as the member "kernel" of the reset object o.
func appendKernel(o *jsonObject, k *jsonKernel) {
	o.open("kernel")
	o.str("sender", k.Sender)
	o.strOmit("basis", k.Basis)
	o.strOmit("reason", k.Reason)
	o.strOmit("state", k.State)
	o.strOmit("hook", k.Hook)
	if k.PID != 0 {
		o.uint("pid", uint64(k.PID))
	}
	o.strOmit("process", k.Process)
	o.bool("received", k.Received)
	if k.NotAccepted {
		o.bool("not_accepted", true)
	}
	if len(k.After) > 0 {
		o.objects("after", false, len(k.After), func(i int) {
			a := &k.After[i]
			o.time("time", a.Time)
			o.str("reason", a.Reason)
			o.strOmit("state", a.State)
		})
	}
	if k.Rule != nil {
		appendRules(o, "rule", k.Rule)
	}
	o.str("summary", k.Summary)
	o.close()
}

// reasonWords says what the kernel's reset reason means for an SSH user.
var reasonWords = map[kernel.Reason]string{
	kernel.ReasonNoSocket:           "no socket for the packet it answered (port closed, or the connection already gone)",
	kernel.ReasonAbortOnClose:       "the process closed the socket with unread data",
	kernel.ReasonAbortOnLinger:      "the process closed the socket and its linger time ran out",
	kernel.ReasonAbortOnMemory:      "the kernel ran short of memory for the orphaned socket",
	kernel.ReasonState:              "the process aborted the connection (SO_LINGER 0 or disconnect)",
	kernel.ReasonKeepaliveTimeout:   "keepalive probes went unanswered",
	kernel.ReasonDisconnectWithData: "the connection was disconnected with data pending",
	kernel.ReasonAbortOnData:        "data arrived for a socket the process had closed",
	kernel.ReasonTimewaitSocket:     "the packet it answered hit a connection in TIME_WAIT",
	kernel.ReasonInvalidAckSequence: "the packet it answered acknowledged data never sent",
	kernel.ReasonInvalidSYN:         "an unexpected SYN on an established connection",
	kernel.ReasonPAWS:               "the packet it answered failed the timestamp check (PAWS)",
	kernel.ReasonTooOldAck:          "the packet it answered acknowledged too old data",
	kernel.ReasonAckUnsentData:      "the packet it answered acknowledged unsent data",
	kernel.ReasonOldAck:             "the packet it answered carried an old acknowledgment",
	kernel.ReasonFlags:              "the packet it answered had flags not allowed in that state",
}

// KernelSentence words what this host's kernel said about one reset.
// Process names come from the kernel's task and are escaped.
func KernelSentence(w *kernel.Witness) string {
	if w == nil {
		return ""
	}
	var parts []string
	e := w.Sent
	if e == nil {
		e = &kernel.Event{} // not made by kernel.Journal; words without details
	}
	switch w.Sender {
	case kernel.SenderStack:
		words, ok := reasonWords[e.Reason]
		if !ok {
			words = "reason"
		}
		s := fmt.Sprintf("sent by this host's kernel: %s (%s)", words, e.Reason)
		if e.Owner() {
			s += fmt.Sprintf(", %s pid %d", Safe(e.Comm), e.PID)
		}
		parts = append(parts, s)
	case kernel.SenderFirewall:
		if w.Basis == kernel.BasisFentry {
			parts = append(parts, fmt.Sprintf("sent by this host's firewall (REJECT in %s)", e.Hook))
		} else {
			parts = append(parts, "sent by this host's firewall: netfilter dropped the packet it answers and no TCP socket sent it (inferred from kfree_skb)")
		}
		if rs := RulesSentence(w.Rules); rs != "" {
			parts = append(parts, rs)
		}
	case kernel.SenderNotHost:
		parts = append(parts, "not sent by this host: it carries this host's address, but neither its TCP stack nor its firewall sent it")
	}
	if r := w.Received; r != nil {
		s := "a socket of this host accepted it"
		if r.State != 0 {
			s += " in " + r.State.String()
		}
		if len(w.After) == 0 {
			s += "; this host's kernel sent no reset on the connection afterwards"
		} else {
			counts := map[kernel.Reason]int{}
			var order []kernel.Reason
			for _, a := range w.After {
				if counts[a.Reason] == 0 {
					order = append(order, a.Reason)
				}
				counts[a.Reason]++
			}
			var rs []string
			for _, r := range order {
				rs = append(rs, fmt.Sprintf("%d %s", counts[r], r))
			}
			s += fmt.Sprintf("; this host's kernel then sent %d reset(s) on it: %s", len(w.After), strings.Join(rs, ", "))
		}
		parts = append(parts, s)
	} else if w.NotAccepted {
		parts = append(parts, "addressed to this host, but no open socket of it took the reset: it fell outside the window, or the connection had already ended here")
	}
	return strings.Join(parts, "; ")
}

// KernelLines are the kernel witness's sentences for a flow's resets, one
// per reset it has something to say about, each naming the reset's frame.
func KernelLines(f *analyze.Flow) []string {
	var out []string
	for _, r := range f.Resets {
		if s := KernelSentence(r.Kernel); s != "" {
			out = append(out, fmt.Sprintf("kernel, reset frame %d: %s", r.Packet, s))
		}
	}
	if s := DropsSentence(f.Dropped); s != "" {
		out = append(out, "kernel: "+s)
	}
	return out
}
