package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The one reader of rstsniff's JSON lines for the tests that go through the
// command's output (its contract is schema/rstsniff.v1.json, which
// runCLI checks every line against). Tests of the analysis alone read flows
// with internal/flowtest instead.

// jsonFlow is a "flow" line: the members some test reads.
type jsonFlow struct {
	ID           int         `json:"id"`
	File         string      `json:"file"` // with several captures
	Client       string      `json:"client"`
	Server       string      `json:"server"`
	Start        time.Time   `json:"start"`
	Stage        string      `json:"stage"`
	Outcome      string      `json:"outcome"`
	ClosedBy     string      `json:"closed_by"`
	ClientError  string      `json:"client_error"`
	ServerBanner string      `json:"server_banner"`
	CommunityID  string      `json:"community_id"`
	Resets       []jsonReset `json:"resets"`
	Findings     []struct {
		ID     string `json:"id"`
		Source string `json:"source"`
		Blame  string `json:"blame"`
	} `json:"findings"`
	ICMP []struct {
		From string `json:"from"`
	} `json:"icmp"`
	Algorithms struct {
		Client string `json:"client_hassh"`
		Server string `json:"server_hassh"`
	} `json:"algorithms"`
	SSHDLog *struct {
		Lines []struct {
			Kind     string `json:"kind"`
			Client   string `json:"client"`
			JoinedBy string `json:"joined_by"`
			Message  string `json:"message"`
		} `json:"lines"`
	} `json:"sshd_log"`
	Dropped *struct {
		Count int      `json:"count"`
		Rule  *rlRules `json:"rule"`
	} `json:"kernel_dropped"`
}

// jsonReset is one of a flow's resets.
type jsonReset struct {
	Packet       int         `json:"packet"`
	Time         time.Time   `json:"time"`
	From         string      `json:"from"`
	Stage        string      `json:"stage"`
	Origin       string      `json:"origin"`
	Sender       string      `json:"sender"`
	Strength     string      `json:"strength"`
	Fingerprints []string    `json:"fingerprints"`
	Kernel       *jsonKernel `json:"kernel"`
}

// jsonKernel is what the host's kernel said of a reset (live, witness on).
type jsonKernel struct {
	Sender      string `json:"sender"`
	Basis       string `json:"basis"`
	Reason      string `json:"reason"`
	State       string `json:"state"`
	Hook        string `json:"hook"`
	Process     string `json:"process"`
	Received    bool   `json:"received"`
	NotAccepted bool   `json:"not_accepted"`
	After       []struct {
		Reason string `json:"reason"`
	} `json:"after"`
	Rule    *rlRules `json:"rule"`
	Summary string   `json:"summary"`
}

// jsonFlows reads every flow line of jsonl, in order.
func jsonFlows(t testing.TB, jsonl string) []jsonFlow {
	t.Helper()
	return decodeLines[jsonFlow](t, jsonl, "flow")
}

// decodeLines decodes every line of jsonl whose type is typ ("flow",
// "summary", "sshd_log", "probe"...) into a T, in order. A line that is
// not a JSON object fails the test.
func decodeLines[T any](t testing.TB, jsonl, typ string) []T {
	t.Helper()
	var out []T
	sc := bufio.NewScanner(strings.NewReader(jsonl))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &head); err != nil {
			t.Fatalf("bad JSON line %.200q: %v", sc.Text(), err)
		}
		if head.Type != typ {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("bad JSON %s line %.200q: %v", typ, sc.Text(), err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
