package report

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/probe"
)

// TestProbeOutputEscapes: what a server sends cannot reach the terminal
// raw or break a JSON line.
func TestProbeOutputEscapes(t *testing.T) {
	evil := "SSH-2.0-x\x1b]8;;http://evil\x07\u202e<b>"
	r := probe.Result{N: 1, Remote: netip.MustParseAddrPort("192.0.2.1:22"), Reached: probe.StepTCP, Err: probe.ErrClosed,
		ErrText: "closed \x1b[2J", PreBanner: []string{"line\x1b[31m"}, Banner: evil, HostKeyType: "ssh-ed25519\x1b",
		AuthMethods: []string{"publickey\x1b[0m"}}
	var b bytes.Buffer
	if err := ProbeTable(&b, []probe.Result{r}); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); strings.ContainsAny(s, "\x1b\x07\u202e") {
		t.Errorf("raw control characters in the table:\n%q", s)
	}
	b.Reset()
	if err := ProbeJSON(&b, []probe.Result{r}); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "\n") != 1 || strings.ContainsAny(b.String(), "\x1b\x07\u202e<") {
		t.Errorf("JSON line: %q", b.String())
	}
	var back struct {
		Banner string `json:"banner"`
	}
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back.Banner != evil {
		t.Errorf("the banner did not survive JSON: %q, %v", back.Banner, err)
	}
}

func TestLocateText(t *testing.T) {
	loc := &probe.Location{Trigger: probe.TriggerBanner, ResetTTL: 3, Hops: []probe.Hop{
		{TTL: 1, Answer: probe.AnswerTimeExceeded, From: netip.MustParseAddr("198.51.100.1")},
		{TTL: 2, Answer: probe.AnswerTimeExceeded, From: netip.MustParseAddr("192.0.2.2")},
		{TTL: 3, Answer: probe.AnswerReset}}}
	var b bytes.Buffer
	LocateText(&b, loc)
	if !strings.Contains(b.String(), "The reset is forged between hop 2 (192.0.2.2) and hop 3") {
		t.Errorf("%s", b.String())
	}
	b.Reset()
	LocateJSON(&b, loc)
	if !strings.Contains(b.String(), `"hop":2,"hop_addr":"192.0.2.2"`) {
		t.Errorf("%s", b.String())
	}
}
