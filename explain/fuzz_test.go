package explain

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzText: any text, any bytes: Text never panics and its result points
// inside itself.
func FuzzText(f *testing.F) {
	files, _ := filepath.Glob("../testdata/explain/*/*.txt")
	more, _ := filepath.Glob("../testdata/pcaps/*/client.txt")
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("Connection reset by \xff port 99999999999999999999")
	f.Fuzz(func(t *testing.T, s string) {
		r := Text(s)
		if r.Main >= len(r.Messages) {
			t.Fatalf("main %d of %d", r.Main, len(r.Messages))
		}
		for _, m := range r.Messages {
			if m.Pattern < 0 || m.Pattern >= len(Catalog) || m.Port < 0 || m.Port > 65535 {
				t.Fatalf("bad message %+v", m)
			}
		}
	})
}
