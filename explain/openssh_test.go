package explain

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestCatalogAgainstOpenSSH checks every message and debug line the
// catalog claims against openssh-portable's own source, at every release
// tag from V_7_0_P1 to Newest: the fragments of each pattern are present
// exactly from First to Last (no gap). It needs a clone of
// openssh-portable (git clone https://github.com/openssh/openssh-portable,
// any path) named by RSTSNIFF_OPENSSH_GIT, and skips without it.
func TestCatalogAgainstOpenSSH(t *testing.T) {
	dir := os.Getenv("RSTSNIFF_OPENSSH_GIT")
	if dir == "" {
		t.Skip("RSTSNIFF_OPENSSH_GIT (a clone of openssh-portable) not set")
	}
	out, err := exec.Command("git", "-C", dir, "tag").Output()
	if err != nil {
		t.Fatalf("git tag: %v", err)
	}
	tags := releaseTags(strings.Fields(string(out)))
	if len(tags) == 0 || tags[len(tags)-1] != Newest {
		t.Fatalf("release tags %v: the newest should be %s", tags, Newest)
	}
	present := func(tag string, s Src) bool {
		for _, frag := range s.Any {
			args := append([]string{"-C", dir, "grep", "-q", "-F", "-e", frag, tag, "--"}, strings.Fields(s.File)...)
			if exec.Command("git", args...).Run() == nil {
				return true
			}
		}
		return false
	}
	check := func(name string, srcs []Src, first, last string) {
		var in []string
		for _, tag := range tags {
			all := true
			for _, s := range srcs {
				if !present(tag, s) {
					all = false
					break
				}
			}
			if all {
				in = append(in, tag)
			}
		}
		if len(in) == 0 {
			t.Errorf("%s: in no release", name)
			return
		}
		got := fmt.Sprintf("%s..%s", in[0], in[len(in)-1])
		if want := first + ".." + last; got != want {
			t.Errorf("%s: printed by %s, catalog says %s", name, got, want)
		}
		// No gap: every tag between first and last has it.
		i := indexOf(tags, in[0])
		for k, tag := range in {
			if tags[i+k] != tag {
				t.Errorf("%s: missing from %s", name, tags[i+k])
				break
			}
		}
	}
	for i, p := range Catalog {
		check(fmt.Sprintf("Catalog[%d] %s %q", i, p.Kind, p.Re), p.Src, p.First, p.Last)
	}
	for i, s := range StageLines {
		check(fmt.Sprintf("StageLines[%d] %s", i, s.Stage), s.Src, s.First, s.Last)
	}
	for i, s := range muxLines {
		check(fmt.Sprintf("muxLines[%d]", i), s.Src, s.First, s.Last)
	}
	check("knownHostLine", knownHostLine.Src, knownHostLine.First, knownHostLine.Last)
	for i, s := range preBannerLines {
		check(fmt.Sprintf("preBannerLines[%d]", i), s.Src, s.First, s.Last)
	}
	for _, s := range SshdRefusals {
		check("SshdRefusals "+s.Text, s.Src, s.First, s.Last)
	}
}

var tagRe = regexp.MustCompile(`^V_(\d+)_(\d+)_P1$`)

// releaseTags keeps V_7_0_P1 and later portable releases, oldest first.
func releaseTags(all []string) []string {
	type v struct {
		tag          string
		major, minor int
	}
	var vs []v
	for _, tag := range all {
		m := tagRe.FindStringSubmatch(tag)
		if m == nil {
			continue
		}
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		if major >= 7 {
			vs = append(vs, v{tag, major, minor})
		}
	}
	sort.Slice(vs, func(i, j int) bool {
		if vs[i].major != vs[j].major {
			return vs[i].major < vs[j].major
		}
		return vs[i].minor < vs[j].minor
	})
	var tags []string
	for _, x := range vs {
		tags = append(tags, x.tag)
	}
	return tags
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}
