package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rstsniff/rstsniff/internal/golden"
)

// repoRoot is the module root, where the Makefile is.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// needRoot skips a test that needs root (chroot, dpkg, namespaces).
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

var static struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// testVersion is the version the tests give make release.
const testVersion = "v0.0.0-releasetest"

// staticBinary builds the release binary once with make release into a
// directory of its own and returns its path.
func staticBinary(t *testing.T) string {
	t.Helper()
	static.once.Do(func() {
		dir, err := os.MkdirTemp("", "rstsniff-release-")
		if err != nil {
			static.err = err
			return
		}
		cmd := exec.Command("make", "-s", "release", "DIST="+dir, "VERSION="+testVersion)
		cmd.Dir = repoRoot(t)
		static.out, static.err = cmd.CombinedOutput()
		static.path = filepath.Join(dir, "rstsniff-"+testVersion+"-linux-amd64")
	})
	if static.err != nil {
		t.Fatalf("make release: %v\n%s", static.err, static.out)
	}
	return static.path
}

// TestStaticBinaryInEmptyRoot runs the release binary in a chroot that
// holds only the binary and one capture: no libc, no libpcap, no /etc, no
// /proc. It must print the version make release gave it, and read the
// capture to the very JSON lines the golden file holds.
func TestStaticBinaryInEmptyRoot(t *testing.T) {
	needRoot(t)
	bin := staticBinary(t)

	sums, err := os.ReadFile(filepath.Join(filepath.Dir(bin), "SHA256SUMS"))
	if err != nil {
		t.Fatalf("make release wrote no SHA256SUMS: %v", err)
	}
	sum, err := exec.Command("sha256sum", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(sum))[0] + "  " + filepath.Base(bin)
	if !strings.Contains(string(sums), want) {
		t.Errorf("SHA256SUMS does not hold %q:\n%s", want, sums)
	}
	if out, err := exec.Command("file", bin).Output(); err == nil && !bytes.Contains(out, []byte("statically linked")) {
		t.Errorf("release binary is not static: %s", out)
	}

	empty := t.TempDir()
	capture := "testdata/pcaps/reject-banner/capture.pcap"
	copyFile(t, bin, filepath.Join(empty, "rstsniff"), 0o755)
	copyFile(t, filepath.Join(repoRoot(t), capture), filepath.Join(empty, capture), 0o644)
	var files []string
	filepath.WalkDir(empty, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, strings.TrimPrefix(p, empty))
		}
		return nil
	})
	if len(files) != 2 {
		t.Fatalf("the empty root holds %v, want only the binary and the capture", files)
	}

	out, err := exec.Command("chroot", empty, "/rstsniff", "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("rstsniff --version in the empty root: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); !isVersion(got) {
		t.Errorf("--version = %q, want %q (then the revision and toolchain)", got, "rstsniff "+testVersion)
	}

	// The capture's path is relative to the chroot's /, as the golden run's is
	// to the repository, so the input name in the summary matches too.
	cmd := exec.Command("chroot", empty, "/rstsniff", "-r", capture, "--format", "json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		// 1: a connection was reset (the router forged it).
		t.Fatalf("rstsniff -r in the empty root: %v (want exit 1)\n%s", err, stderr.String())
	}
	// The golden JSON lines, kept as facts and words (internal/golden).
	jsonl, err := golden.Read(filepath.Join(repoRoot(t), "testdata/pcaps/reject-banner/golden"))
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := []byte(jsonl)
	// The summary names the version that wrote it: the release's here,
	// "dev" in the golden run.
	out = bytes.Replace(out, []byte(`"version":"`+testVersion+`"`), []byte(`"version":"dev"`), 1)
	if !bytes.Equal(out, wantJSON) {
		t.Errorf("static binary in the empty root printed\n%s\nwant (golden-facts.json and golden-words.json)\n%s", out, wantJSON)
	}
	t.Logf("in a root holding only %v: exit 1, %d bytes of JSON lines equal to the golden ones", files, len(out))

	// linux/arm64, when make release could build it (cross toolchain
	// installed) and qemu-user can run it.
	arm := strings.Replace(bin, "-linux-amd64", "-linux-arm64", 1)
	qemu, err := exec.LookPath("qemu-aarch64")
	if _, serr := os.Stat(arm); serr != nil || err != nil {
		t.Logf("linux/arm64 not tried: binary %v, qemu-aarch64 %v", serr, err)
		return
	}
	if !strings.Contains(string(sums), filepath.Base(arm)) {
		t.Errorf("SHA256SUMS does not list %s", filepath.Base(arm))
	}
	cmd = exec.Command(qemu, arm, "-r", capture, "--format", "json")
	cmd.Dir = repoRoot(t)
	out, _ = cmd.Output()
	// The summary names the version that wrote it: the release's here,
	// "dev" in the golden run.
	out = bytes.Replace(out, []byte(`"version":"`+testVersion+`"`), []byte(`"version":"dev"`), 1)
	if !bytes.Equal(out, wantJSON) {
		t.Errorf("the arm64 binary under qemu printed\n%s\nwant (golden-facts.json and golden-words.json)\n%s", out, wantJSON)
	} else {
		t.Logf("linux/arm64 under qemu-aarch64: JSON lines equal to the golden ones")
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
}

// isVersion reports whether --version's line names the release the test
// built: "rstsniff VERSION", then optionally ", go1.x" or " (revision ...)".
func isVersion(line string) bool {
	rest, ok := strings.CutPrefix(line, "rstsniff "+testVersion)
	return ok && (rest == "" || strings.HasPrefix(rest, ",") || strings.HasPrefix(rest, " ("))
}
