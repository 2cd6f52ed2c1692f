package golden

import (
	"strings"
	"testing"
)

const line = `{"type":"flow","id":1,"resets":[{"packet":13,"evidence":[{"signal":"ttl-distance","ttl":64,"text":"TTL 64 \u003c 63"},{"signal":"out-of-window","text":"its sequence"}],"strength":"strong"}],"findings":[{"id":"reset-race","summary":"The server sent"}],"client_error":"","causes":["a","b"],"next_steps":[],"algorithms":{"kex":"x"}}` + "\n" +
	`{"type":"summary","flows":1,"warnings":[]}` + "\n"

func TestSplitJoin(t *testing.T) {
	facts, words, err := Split(line)
	if err != nil {
		t.Fatal(err)
	}
	wantFacts := `{"type":"flow","id":1,"resets":[{"packet":13,"evidence":[{"signal":"ttl-distance","ttl":64},{"signal":"out-of-window"}],"strength":"strong"}],"findings":[{"id":"reset-race"}],"algorithms":{"kex":"x"}}` + "\n" +
		`{"type":"summary","flows":1}` + "\n"
	if facts != wantFacts {
		t.Errorf("facts\n%s\nwant\n%s", facts, wantFacts)
	}
	wantWords := `{"at":"1/resets/0/evidence/0/text","after":"ttl","value":"TTL 64 \u003c 63"}
{"at":"1/resets/0/evidence/1/text","after":"signal","value":"its sequence"}
{"at":"1/findings/0/summary","after":"id","value":"The server sent"}
{"at":"1/client_error","after":"findings","value":""}
{"at":"1/causes","after":"client_error","value":["a","b"]}
{"at":"1/next_steps","after":"causes","value":[]}
{"at":"2/warnings","after":"flows","value":[]}
`
	if words != wantWords {
		t.Errorf("words\n%s\nwant\n%s", words, wantWords)
	}
	back, err := Join(facts, words)
	if err != nil || back != line {
		t.Errorf("joined (%v)\n%s\nwant\n%s", err, back, line)
	}
}

func TestJoinErrors(t *testing.T) {
	facts, words, _ := Split(line)
	for name, c := range map[string][2]string{
		"a place the facts lack": {facts, words + `{"at":"1/resets/5/text","after":"","value":"x"}` + "\n"},
		"no member to follow":    {strings.Replace(facts, `,"ttl":64`, ``, 1), words},
		"not JSON":               {facts, words + "text\n"},
	} {
		if _, err := Join(c[0], c[1]); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, _, err := Split("table\n"); err == nil {
		t.Error("Split took a line that is not JSON")
	}
}
