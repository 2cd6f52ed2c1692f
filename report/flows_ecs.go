package report

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/rstsniff/rstsniff/analyze"
)

// ECSVersion is the Elastic Common Schema version the ECS documents follow
// (report/testdata/ecs holds the definitions of the fields they use).
const ECSVersion = "9.4.0"

// ecsDoc is one ECS document: a connection or one of its resets. Standard
// ECS fields only, except rstsniff's own under "rstsniff".
type ecsDoc struct {
	Timestamp string      `json:"@timestamp"`
	ECS       ecsVersion  `json:"ecs"`
	Event     ecsEvent    `json:"event"`
	Source    ecsEndpoint `json:"source"`
	Dest      ecsEndpoint `json:"destination"`
	Client    ecsAddr     `json:"client"`
	Server    ecsAddr     `json:"server"`
	Network   ecsNetwork  `json:"network"`
	Related   ecsRelated  `json:"related"`
	Rule      *ecsRule    `json:"rule,omitempty"`
	Rstsniff  ecsRstsniff `json:"rstsniff"`
}

type ecsVersion struct {
	Version string `json:"version"`
}

type ecsEvent struct {
	Kind     string   `json:"kind"`
	Category []string `json:"category"`
	Type     []string `json:"type"`
	Action   string   `json:"action"`
	Outcome  string   `json:"outcome"`
	Reason   string   `json:"reason"`
	Module   string   `json:"module"`
	Dataset  string   `json:"dataset"`
	Start    string   `json:"start,omitempty"`
	End      string   `json:"end,omitempty"`
	Duration *int64   `json:"duration,omitempty"` // nanoseconds
}

type ecsEndpoint struct {
	IP      string `json:"ip"`
	Port    uint16 `json:"port"`
	Bytes   *int64 `json:"bytes,omitempty"`
	Packets *int64 `json:"packets,omitempty"`
}

type ecsAddr struct {
	IP   string `json:"ip"`
	Port uint16 `json:"port"`
}

type ecsNetwork struct {
	Transport   string `json:"transport"`
	Protocol    string `json:"protocol"`
	Type        string `json:"type"`
	IANANumber  string `json:"iana_number"`
	CommunityID string `json:"community_id,omitempty"`
}

// ecsRule names the finding a document is about (rule.name = finding ID):
// a connection's first-ranked finding.
type ecsRule struct {
	Name string `json:"name"`
}

type ecsRelated struct {
	IP []string `json:"ip"`
}

// ecsRstsniff holds rstsniff's own fields, named as in --format json.
type ecsRstsniff struct {
	ConnectionID int       `json:"connection_id"`
	File         string    `json:"file,omitempty"`
	Stage        string    `json:"stage"`
	Outcome      string    `json:"outcome"`
	ClosedBy     string    `json:"closed_by,omitempty"`
	Forged       bool      `json:"forged"`
	Findings     []string  `json:"findings"`
	ClientBanner string    `json:"client_banner,omitempty"`
	ServerBanner string    `json:"server_banner,omitempty"`
	ConnState    string    `json:"conn_state,omitempty"`
	History      string    `json:"history,omitempty"`
	Resets       int       `json:"resets"`
	Reset        *ecsReset `json:"reset,omitempty"`
}

type ecsReset struct {
	Packet    int      `json:"packet"`
	From      string   `json:"from"`
	Origin    string   `json:"origin"`
	Sender    string   `json:"sender"`
	Strength  string   `json:"strength"`
	DecidedBy []string `json:"decided_by"`
	Stage     string   `json:"stage"`
	TTL       uint8    `json:"ttl"`
	SeqState  string   `json:"seq_state,omitempty"`
}

// ECS writes one ECS document per line for the connection, then one for
// each of its resets. A reset that a device on the path forged makes its
// document, and the connection's, an alert (event.kind). Source is always
// the client and destination the server, in every document of a
// connection, so they share network.community_id; a reset's claimed sender
// is rstsniff.reset.from. multi (a run over several files) names the
// capture file of each connection (rstsniff.file).
func ECS(w io.Writer, f *analyze.Flow, multi bool) error {
	conn, base := ecsConnection(f, multi)
	if err := writeLine(w, conn); err != nil {
		return err
	}
	for _, r := range f.Resets {
		d := base
		d.Timestamp = stamp(r.Time)
		d.Rstsniff.Reset = &ecsReset{Packet: r.Packet, From: r.From.String(), Origin: r.Sender.Verdict().Origin(),
			Sender: r.Sender.String(), Stage: r.Stage.String(), TTL: r.TTL, SeqState: r.SeqState.String()}
		st, sigs := r.Strength()
		d.Rstsniff.Reset.Strength, d.Rstsniff.Reset.DecidedBy = st.String(), []string{}
		for _, s := range sigs {
			d.Rstsniff.Reset.DecidedBy = append(d.Rstsniff.Reset.DecidedBy, s.String())
		}
		d.Event = ecsEvent{
			Kind: "event", Category: []string{"network"}, Type: []string{"connection", "end"},
			Action: "tcp-reset", Outcome: "failure", Reason: ecsResetReason(r),
			Module: "rstsniff", Dataset: "rstsniff.reset",
		}
		if r.ForgedSurely() {
			d.Event.Kind = "alert"
			d.Event.Type = []string{"connection", "denied"}
			d.Event.Action = "tcp-reset-forged"
		}
		if err := writeLine(w, d); err != nil {
			return err
		}
	}
	return nil
}

// ecsConnection is the connection's ECS document, and the fields its
// resets' documents share (base). FlowLog flattens it too.
func ecsConnection(f *analyze.Flow, multi bool) (conn, base ecsDoc) {
	forged := 0
	for _, r := range f.Resets {
		if r.ForgedSurely() {
			forged++
		}
	}
	base = ecsDoc{
		ECS:     ecsVersion{ECSVersion},
		Source:  ecsEndpoint{IP: ecsIP(f.Client), Port: f.Client.Port()},
		Dest:    ecsEndpoint{IP: ecsIP(f.Server), Port: f.Server.Port()},
		Client:  ecsAddr{ecsIP(f.Client), f.Client.Port()},
		Server:  ecsAddr{ecsIP(f.Server), f.Server.Port()},
		Network: ecsNetwork{Transport: "tcp", Protocol: "ssh", Type: "ipv4", IANANumber: "6", CommunityID: f.CommunityID},
		Related: ecsRelated{[]string{ecsIP(f.Client), ecsIP(f.Server)}},
		Rstsniff: ecsRstsniff{
			ConnectionID: f.ID, Stage: f.Stage.String(), Outcome: f.Outcome.String(),
			ClosedBy: f.ClosedBy.String(), Forged: forged > 0, Findings: []string{},
			ClientBanner: f.ClientBanner, ServerBanner: f.ServerBanner,
			ConnState: f.ConnState, History: f.History, Resets: len(f.Resets),
		},
	}
	if f.Client.Addr().Is6() && !f.Client.Addr().Is4In6() {
		base.Network.Type = "ipv6"
	}
	if multi {
		base.Rstsniff.File = f.File
	}
	for _, fd := range f.Findings {
		base.Rstsniff.Findings = append(base.Rstsniff.Findings, fd.ID.String())
	}
	if len(f.Findings) > 0 {
		base.Rule = &ecsRule{f.Findings[0].ID.String()}
	}

	conn = base
	conn.Timestamp = stamp(f.Start)
	sp, dp := int64(f.Packets[0]), int64(f.Packets[1])
	sb, db := f.Bytes[0], f.Bytes[1]
	conn.Source.Packets, conn.Source.Bytes = &sp, &sb
	conn.Dest.Packets, conn.Dest.Bytes = &dp, &db
	dur := f.End.Sub(f.Start).Nanoseconds()
	conn.Event = ecsEvent{
		Kind: "event", Category: []string{"network"}, Type: ecsConnTypes(f, forged),
		Action: "ssh-connection-" + f.Outcome.String(), Outcome: ecsOutcome(f.Outcome),
		Reason: ecsConnReason(f, forged), Module: "rstsniff", Dataset: "rstsniff.connection",
		Start: stamp(f.Start), End: stamp(f.End), Duration: &dur,
	}
	if forged > 0 {
		conn.Event.Kind = "alert"
	}
	return conn, base
}

// ecsIP is the address without a zone (decoded packets have none) and with
// an IPv4-mapped address unmapped, as ECS's ip type wants.
func ecsIP(ap netip.AddrPort) string {
	return ap.Addr().Unmap().WithZone("").String()
}

// ecsConnTypes are event.type values for a connection (all allowed with
// event.category network).
func ecsConnTypes(f *analyze.Flow, forged int) []string {
	switch {
	case f.Outcome == analyze.OutcomeOpen:
		return []string{"connection", "info"}
	case f.Outcome == analyze.OutcomeRefused || forged > 0:
		return []string{"connection", "denied", "end"}
	}
	return []string{"connection", "end"}
}

// ecsOutcome maps an outcome to event.outcome: an abnormal end is a
// failure, a close a success, a connection still open unknown.
func ecsOutcome(o analyze.Outcome) string {
	switch {
	case o.Abnormal():
		return "failure"
	case o == analyze.OutcomeClosed:
		return "success"
	}
	return "unknown"
}

// ecsConnReason says in one line how the connection ended (event.reason).
func ecsConnReason(f *analyze.Flow, forged int) string {
	var b strings.Builder
	switch f.Outcome {
	case analyze.OutcomeReset:
		fmt.Fprintf(&b, "SSH connection reset at the %s stage", f.Stage)
		if f.ClosedBy != analyze.SideNone {
			fmt.Fprintf(&b, " in the %s's name", f.ClosedBy)
		}
	case analyze.OutcomeRefused:
		b.WriteString("SSH connection refused: the SYN was answered by a reset")
	case analyze.OutcomeTimeout:
		fmt.Fprintf(&b, "SSH connection timed out at the %s stage", f.Stage)
	case analyze.OutcomeUnreachable:
		b.WriteString("SSH connection refused by an ICMP error")
	case analyze.OutcomeClosed:
		fmt.Fprintf(&b, "SSH connection closed at the %s stage", f.Stage)
	default:
		fmt.Fprintf(&b, "SSH connection still open at the %s stage when the capture ended", f.Stage)
	}
	path, fw := 0, 0
	for i := range f.Resets {
		switch r := &f.Resets[i]; r.Sender {
		case analyze.SenderPath:
			if !r.Suspected() {
				path++
			}
		case analyze.SenderClientFirewall, analyze.SenderServerFirewall:
			fw++
		}
	}
	switch {
	case path == 1:
		b.WriteString("; one reset was forged by a device on the path")
	case path > 1:
		fmt.Fprintf(&b, "; %d resets were forged by a device on the path", path)
	case fw > 0:
		b.WriteString("; a firewall on an endpoint's own host sent the reset")
	}
	return b.String()
}

// ecsResetReason says in one line who sent a reset (event.reason).
func ecsResetReason(r analyze.Reset) string {
	switch r.Sender {
	case analyze.SenderPath:
		if r.Suspected() {
			return fmt.Sprintf("reset in the %s's name at the %s stage, possibly forged by a device on the path (weak evidence)", r.From, r.Stage)
		}
		return fmt.Sprintf("reset in the %s's name at the %s stage, forged by a device on the path", r.From, r.Stage)
	case analyze.SenderClientFirewall, analyze.SenderServerFirewall:
		return fmt.Sprintf("reset in the %s's name at the %s stage, sent by a firewall on the %s's own host", r.From, r.Stage, r.From)
	case analyze.SenderClient, analyze.SenderServer:
		return fmt.Sprintf("reset sent by the %s at the %s stage", r.From, r.Stage)
	}
	return fmt.Sprintf("reset in the %s's name at the %s stage, sender not determined", r.From, r.Stage)
}
